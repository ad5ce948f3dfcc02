use axum_scopes::{HttpError, SecurityScopes, dependency};

#[dependency(responses(999 = "Out of range"))]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

fn main() {}
