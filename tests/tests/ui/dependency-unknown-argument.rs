use axum_scopes::{HttpError, SecurityScopes, dependency};

#[dependency(scopes = "me")]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

fn main() {}
