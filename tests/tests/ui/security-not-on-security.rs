use axum::http::HeaderMap;
use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes("items")]
async fn read_items(
    user: Security<current_user>,
    #[security(scopes = ["me"])] headers: HeaderMap,
) -> String {
    format!("{} {}", user.into_inner(), headers.len())
}

fn main() {}
