//! The test kit (feature `test-util`): what a team needs to test its own handlers.
//!
//! - [`TestIssuer`]: ES256 or RS256 tokens for chosen scopes, claims, lifetime and `typ`, the usual
//!   wrong tokens in one call each, and the [`Authenticator`](crate::Authenticator) that trusts
//!   them, built by the ordinary builder; [`TestIssuer::serve`] answers discovery and JWKS on
//!   127.0.0.1 for apps that call [`Issuer::discover`](crate::Issuer::discover).
//! - [`Overrides`]: a `#[dependency]` replaced by a fixed value for one router (`FastAPI`'s
//!   `dependency_overrides`), the routes' scope requirements still checked against the scopes
//!   the override stands for.
//! - [`assert_unauthorized`], [`assert_invalid_token`], [`assert_insufficient_scope`] and
//!   [`Challenge`]: the RFC 6750 answers, read from any response.
//! - [`RouteAudit`]: every route the tests reach, also those missing from the OpenAPI document,
//!   asked again without credentials.
//!
//! The guide's chapter [`guide::testing`](crate::guide::testing) shows them together. Enable
//! the feature for tests only:
//!
//! ```toml
//! [dev-dependencies]
//! axum-scopes = { version = "*", features = ["test-util"] }
//! ```

mod answer;
mod audit;
mod issuer;
mod keys;
mod serve;

pub use self::answer::{
    Answer, Challenge, assert_insufficient_scope, assert_invalid_token, assert_unauthorized,
};
pub use self::audit::{Audited, RouteAudit};
pub use self::issuer::{TestIssuer, TokenRequest};
pub use self::serve::ServedIssuer;
pub use crate::dependency::overrides::Overrides;
