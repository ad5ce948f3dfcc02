//! The macros' expansions are clean under strict lints: this file denies them, and `.ci/run`
//! runs clippy on it with `-D warnings`.
//!
//! Its own binary: the lints are denied at a crate root, so they reach this file's expansions
//! alone; inside `it/` they would hold every test module to `missing_docs` and clippy's
//! pedantic and nursery groups.
#![deny(
    missing_docs,
    unused_qualifications,
    unreachable_pub,
    clippy::pedantic,
    clippy::nursery
)]

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use axum_scopes::{
    BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes, scoped,
};

axum_scopes::oauth2_password_bearer! {
    /// The scheme.
    pub Oauth2 { token_url: "token", scopes: { "me" => "Me.", "items" => "Items." } }
}

/// The state.
#[derive(Clone, Debug)]
pub struct App;

/// The innermost dependency.
///
/// # Errors
///
/// Never.
#[dependency]
pub async fn current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Oauth2>,
    State(_app): State<App>,
) -> Result<String, HttpError> {
    Ok(format!(
        "{} {}",
        security_scopes.scope_str(),
        token.as_bytes().len()
    ))
}

/// A dependency with scopes and a per-parameter requirement.
///
/// # Errors
///
/// Never.
#[dependency(state = App)]
#[requires_scopes("me")]
pub async fn active_user(
    user: Security<current_user>,
    #[security(scopes = ["items"], use_cache = false)] again: Security<current_user>,
) -> Result<String, HttpError> {
    Ok(format!("{} {}", *user, *again))
}

/// A handler.
#[requires_scopes("items")]
pub async fn handler(user: Security<active_user>) -> String {
    user.into_inner()
}

/// A handler without scopes of its own.
#[requires_scopes]
pub async fn per_parameter(#[security(scopes = ["me"])] user: Security<current_user>) -> String {
    user.into_inner()
}

/// Handlers and a dependency as associated functions.
#[derive(Debug)]
pub struct Users;

#[scoped]
impl Users {
    /// A dependency of the block.
    ///
    /// # Errors
    ///
    /// Never.
    #[dependency]
    #[requires_scopes("me")]
    pub async fn current(user: Security<current_user>) -> Result<String, HttpError> {
        Ok(user.into_inner())
    }

    /// A handler of the block.
    #[requires_scopes("items")]
    pub async fn list(user: Security<current>) -> String {
        user.into_inner()
    }
}

#[test]
fn builds() {
    let _app: Router = Router::new()
        .route("/", get(handler))
        .route("/p", get(per_parameter))
        .route("/users", get(Users::list))
        .with_state(App);
}
