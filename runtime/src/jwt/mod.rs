//! JSON Web Tokens: one verifier behind two front doors.
//!
//! - [`JwtKeys`]: keys you hold, as in FastAPI's tutorial (HS256 with `SECRET_KEY`): issue and
//!   verify, with tokens byte-identical to PyJWT's.
//! - [`Authenticator`]: the keys of identity providers ([`Issuer`]s: secrets, PEM/DER public
//!   keys, static JWKS, JWKS URLs, `OpenID` Connect discovery), kept fresh without a lock on the
//!   request path.
//!
//! Both verify through the same verifier: one validation policy per issuer (`exp` required,
//! `exp`/`nbf` with a leeway of 0 s by default, `iss` exactly one string equal to the issuer,
//! `aud`, `crit` rejected, `typ` when asked), one reader of the granted scopes
//! ([`ScopesClaim`]), one verified-token cache whose every hit passes the same admission, and
//! one rejection log (debug level, target `axum_scopes`, never the token).
//!
//! The files, lower ones knowing nothing of higher ones: `error` (what went wrong), `key` and
//! `issuer` (configuration), `claims` (the payload reader), `policy` (an issuer's rules and key
//! sets), `accepted` (an accepted token), `cache` (where accepted tokens are kept), `verify`
//! (the full check of one token), `verifier` (lookup, admission, full check, insertion),
//! `keys` and `authenticator` (the front doors), `jwks` (remote key sets, above the verifier).

mod accepted;
mod access;
mod authenticator;
mod cache;
mod claims;
mod clock;
mod error;
#[cfg(feature = "jwks")]
mod introspection;
mod issuer;
#[cfg(feature = "jwks")]
mod jwks;
mod key;
mod keys;
mod policy;
mod verifier;
mod verify;

pub use self::accepted::Verified;
pub use self::access::AccessToken;
pub use self::authenticator::{Authenticator, AuthenticatorBuilder, BuildError};
pub use self::cache::{TokenCacheOptions, TokenCacheStats};
pub use self::claims::{GrantedScopes, GrantedScopesIter, ScopesClaim, Subject};
pub use self::error::{DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY, TokenError};
#[cfg(feature = "jwks")]
pub use self::introspection::{ClientAuth, Introspection};
pub use self::issuer::Issuer;
#[cfg(feature = "jwks")]
pub use self::jwks::{JwksError, JwksOptions};
pub use self::key::{Key, KeyError};
pub use self::keys::JwtKeys;
pub use crate::crypto::install_crypto_provider;
pub use jsonwebtoken::Algorithm;

pub(crate) use self::accepted::Accepted;
pub(crate) use self::verify::Refused;
