use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};
use axum_scopes::__private::Unscoped;

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes("items")]
async fn read_items(user: Security<current_user, Unscoped>) -> String {
    user.into_inner()
}

fn main() {}
