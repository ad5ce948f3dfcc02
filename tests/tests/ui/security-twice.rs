use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes()]
async fn read_items(
    #[security(scopes = ["items"])]
    #[security(use_cache = false)]
    user: Security<current_user>,
) -> String {
    user.into_inner()
}

fn main() {}
