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
mod crypto;
pub mod dangerous;
pub mod dependency;
pub mod dpop;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod guide;
pub mod jwt;
pub mod openapi;
pub mod password;
pub mod rejection;
pub mod revocation;
pub mod routing;
pub mod scheme;
pub mod scope;
#[cfg(feature = "test-util")]
pub mod testing;
#[cfg(any(feature = "websocket", feature = "grpc"))]
mod watch;
#[cfg(feature = "websocket")]
pub mod websocket;

mod check;
pub mod guard;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "grpc")]
pub use axum_scopes_macros::grpc;
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

/// Declares a security scheme of any kind and its scope catalogue: OAuth2 with one or more
/// flows, OpenID Connect, HTTP bearer, an API key, or a bearer token in a cookie.
///
/// The declaration reads as `oauth2_password_bearer!`'s, with one kind in place of
/// `token_url`; `name`, `description` and `scopes` are optional (the catalogue defaults to
/// empty) and the catalogue takes the same compile-time checks (valid scope tokens, declared
/// once, `implies [..]`). Routes requiring its scopes are checked against it at compile time
/// and documented with it in OpenAPI, under FastAPI's class name for the kind unless `name`
/// says otherwise.
///
/// | kind | fields | OpenAPI | default name | [`Authenticated`] reads |
/// |---|---|---|---|---|
/// | `oauth2: { flow: { .. }, .. }` | flows `password`, `authorization_code`, `client_credentials`, `implicit` with `authorization_url`, `token_url`, `refresh_url` | `oauth2`, one flow object each, every flow listing the catalogue | `OAuth2PasswordBearer` (password only), `OAuth2AuthorizationCodeBearer` (authorization code only), else `OAuth2` | `Authorization: Bearer` |
/// | `openid_connect: { url }` | the provider's discovery URL | `openIdConnect` | `OpenIdConnect` | `Authorization: Bearer` |
/// | `http_bearer: { bearer_format? }` | e.g. `"JWT"` | `http`, `scheme: bearer` | `HTTPBearer` | `Authorization: Bearer` |
/// | `api_key: { header \| query \| cookie }` | the name | `apiKey` in that place | `APIKeyHeader`, `APIKeyQuery`, `APIKeyCookie` | - (use [`credential::ApiKey<Self>`]) |
/// | `token_cookie: { name }` | the cookie name | `apiKey`, `in: cookie` | `TokenCookie` | the cookie, under the CSRF rule |
///
/// The kinds without a scope map in OpenAPI list the catalogue in the scheme's description.
/// An API-key or token-cookie scheme is itself a
/// [`CredentialSource`](credential::CredentialSource) reading the place it declares, so what
/// the document says is what the extractor reads.
///
/// ```
/// axum_scopes::security_scheme! {
///     /// People sign in at the identity provider; services use client credentials.
///     pub Idp {
///         oauth2: {
///             authorization_code: {
///                 authorization_url: "https://idp.example.com/authorize",
///                 token_url: "https://idp.example.com/token",
///             },
///             client_credentials: { token_url: "https://idp.example.com/token" },
///         },
///         scopes: { "items" => "Read items.", "items:write" => "Write items." implies ["items"] },
///     }
/// }
/// axum_scopes::security_scheme! {
///     pub Keys { api_key: { header: "X-API-Key" }, scopes: { "reports" => "Read reports." } }
/// }
///
/// use axum_scopes::Scheme;
/// assert_eq!(Idp::INFO.name, "OAuth2");
/// assert_eq!(Keys::INFO.name, "APIKeyHeader");
/// assert_eq!(Idp::INFO.token_url(), Some("https://idp.example.com/token"));
/// ```
///
/// ```compile_fail
/// axum_scopes::security_scheme! {
///     Two { http_bearer: {}, api_key: { header: "X-API-Key" } }
/// }
/// ```
pub use axum_scopes_macros::security_scheme;

pub use crate::credential::{AuthConfig, BearerToken};
pub use crate::dependency::Security;
pub use crate::guard::{Authenticated, AuthenticatedBy, MaybeAuthenticated};
pub use crate::jwt::{Authenticator, Issuer, JwtKeys, TokenError};
pub use crate::password::{OAuth2PasswordRequestForm, PasswordVerifier};
pub use crate::rejection::{AuthError, HttpError};
pub use crate::scheme::Scheme;
pub use crate::scope::{Scope, SecurityScopes};
pub use jsonwebtoken;
