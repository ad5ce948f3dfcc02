//! `#[utoipa::path]` must come below `#[requires_scopes]`: written above, it runs first and its
//! `__path_read_items` would lack the security entry. The error says which order is right.
use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[utoipa::path(get, path = "/items/")]
#[requires_scopes("items")]
async fn read_items(user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {}
