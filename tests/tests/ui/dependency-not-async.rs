use axum_scopes::{HttpError, SecurityScopes, dependency};

#[dependency]
fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

fn main() {}
