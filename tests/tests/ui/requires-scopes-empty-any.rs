use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes("me", any())]
async fn read_items(user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {}
