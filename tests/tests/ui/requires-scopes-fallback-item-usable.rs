//! After an error in the attribute, the function is still emitted: only the attribute's error is
//! reported, not a cascade of "cannot find function" errors at its callers.
use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes("bad scope")]
async fn read_items(user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {
    let _router: axum::Router = axum::Router::new().route("/items", axum::routing::get(read_items));
}
