//! A dependency with an error in its attribute still exists for its users: only the attribute's
//! error is reported, not "expected type, found function" at every `Security<..>`.
use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
#[requires_scopes("no spaces allowed")]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes("items")]
async fn read_items(user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {
    let _router: axum::Router = axum::Router::new().route("/items", axum::routing::get(read_items));
}
