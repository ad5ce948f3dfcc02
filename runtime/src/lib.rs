//! FastAPI's OAuth2 scopes for axum: declare the scopes a handler requires once, and have them
//! enforced through a tree of dependencies.
//!
//! # Example
//!
//! ```
//! use axum::{Json, Router, routing::get};
//! use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};
//! use http::{StatusCode, header::WWW_AUTHENTICATE};
//!
//! axum_scopes::oauth2_password_bearer! {
//!     /// The API's scheme.
//!     pub Oauth2 { token_url: "token", scopes: { "me" => "Read yourself.", "items" => "Read items." } }
//! }
//!
//! #[derive(Clone)]
//! struct User {
//!     name: String,
//!     scopes: Vec<String>,
//! }
//!
//! /// Checks the token and the scopes every caller above requires.
//! #[dependency]
//! async fn current_user(
//!     security_scopes: SecurityScopes,
//!     token: BearerToken<Oauth2>,
//! ) -> Result<User, HttpError> {
//!     let user = lookup(token.as_bytes()).ok_or_else(|| {
//!         HttpError::new(StatusCode::UNAUTHORIZED, "Could not validate credentials")
//!             .with_header(WWW_AUTHENTICATE, security_scopes.bearer_challenge())
//!     })?;
//!     if !security_scopes.is_satisfied_by(user.scopes.iter().map(String::as_str)) {
//!         return Err(HttpError::new(StatusCode::UNAUTHORIZED, "Not enough permissions")
//!             .with_header(WWW_AUTHENTICATE, security_scopes.bearer_challenge()));
//!     }
//!     Ok(user)
//! }
//!
//! #[requires_scopes("items")]
//! async fn read_items(user: Security<current_user>) -> Json<Vec<String>> {
//!     Json(vec![format!("{}'s item", user.name)])
//! }
//!
//! # fn lookup(token: &[u8]) -> Option<User> {
//! #     (token == b"secret").then(|| User { name: "john".into(), scopes: vec!["items".into()] })
//! # }
//! let app: Router = Router::new().route("/items/", get(read_items));
//! ```
//!
//! # Details
//!
#![doc = include_str!("../docs/guide.md")]

pub mod credential;
pub mod dangerous;
pub mod dependency;
pub mod guide;
pub mod jwt;
pub mod openapi;
pub mod password;
pub mod rejection;
pub mod scheme;
pub mod scope;

mod check;
pub mod guard;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use axum_scopes_macros::{dependency, requires_scopes, scoped};

/// Declares an OAuth2 password-flow scheme (FastAPI's `OAuth2PasswordBearer`) and its scope
/// catalogue.
///
/// The declared type is a [`Scheme`]; use it as the type parameter of [`BearerToken`]. Scopes
/// must be valid RFC 6749 scope tokens, each declared once; both are checked at compile time,
/// at the literal. An optional `name: "..."` sets the name the scheme has in OpenAPI (defaults
/// to `OAuth2PasswordBearer`, as in FastAPI).
///
/// ```
/// axum_scopes::oauth2_password_bearer! {
///     /// The tutorial's scheme.
///     pub Oauth2 {
///         token_url: "token",
///         scopes: {
///             "me" => "Read information about the current user.",
///             "items" => "Read items.",
///         },
///     }
/// }
///
/// use axum_scopes::Scheme;
/// assert_eq!(Oauth2::INFO.name, "OAuth2PasswordBearer");
/// assert!(Oauth2::INFO.declares("items"));
/// ```
///
/// ```compile_fail
/// axum_scopes::oauth2_password_bearer! {
///     Twice { token_url: "token", scopes: { "me" => "Me.", "me" => "Me again." } }
/// }
/// ```
///
/// A scope may imply others: `implies [..]` after its description. A token granted it then
/// satisfies every scope it implies, transitively, wherever granted scopes meet required ones
/// ([`SecurityScopes::is_satisfied_by`] and `first_missing`, [`Authenticated`]); what a route
/// requires, its `scope="..."` challenge and its OpenAPI `security` are unchanged. The closure
/// is computed at compile time; an implied scope the catalogue does not declare, a scope
/// implying itself and a cycle are compile errors at the literal. OpenAPI describes each
/// scope with what it implies.
///
/// ```
/// axum_scopes::oauth2_password_bearer! {
///     pub Api {
///         token_url: "token",
///         scopes: {
///             "admin" => "Everything." implies ["items:write", "me"],
///             "items:write" => "Write items." implies ["items:read"],
///             "items:read" => "Read items.",
///             "me" => "Read yourself.",
///         }
///     }
/// }
///
/// use axum_scopes::Scheme;
/// let implied: Vec<&str> = Api::INFO.implied_by("admin").iter().map(|s| s.as_str()).collect();
/// assert_eq!(implied, ["items:write", "items:read", "me"]);
/// let required = axum_scopes::SecurityScopes::new([axum_scopes::Scope::new("items:read")])
///     .with_implications(Api::INFO.implications);
/// assert!(required.is_satisfied_by(["admin"]));
/// ```
pub use axum_scopes_macros::oauth2_password_bearer;

pub use crate::credential::{AuthConfig, BearerToken};
pub use crate::dependency::Security;
pub use crate::guard::{Authenticated, AuthenticatedBy, MaybeAuthenticated};
pub use crate::jwt::{Authenticator, Issuer, JwtKeys, TokenError};
pub use crate::password::{OAuth2PasswordRequestForm, PasswordVerifier};
pub use crate::rejection::{AuthError, HttpError};
pub use crate::scheme::Scheme;
pub use crate::scope::{Scope, SecurityScopes};
pub use jsonwebtoken;
