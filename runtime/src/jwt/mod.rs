//! JSON Web Tokens: one verification core behind two front doors.
//!
//! - [`JwtKeys`]: keys you hold, as in FastAPI's tutorial (HS256 with `SECRET_KEY`): issue and
//!   verify, with tokens byte-identical to PyJWT's.
//! - [`Authenticator`]: the keys of identity providers ([`Issuer`]s: secrets, PEM/DER public
//!   keys, static JWKS, JWKS URLs, `OpenID` Connect discovery), kept fresh without a lock on the
//!   request path.
//!
//! Both verify through the same core: one validation policy (`exp` required, `exp`/`nbf` with a
//! leeway of 0 s by default, `iss` exactly one string equal to the issuer, `aud`, `crit`
//! rejected, `typ` when asked), one reader of the granted scopes ([`ScopesClaim`]) and one
//! rejection log (debug level, target `axum_scopes`, never the token).

mod authenticator;
mod cache;
mod claims;
mod error;
#[cfg(feature = "jwks")]
mod jwks;
mod key;
mod keys;
mod verify;

pub use self::authenticator::{Authenticator, AuthenticatorBuilder, BuildError};
pub use self::cache::TokenCacheOptions;
pub use self::claims::{GrantedScopes, GrantedScopesIter, ScopesClaim, Subject};
pub use self::error::{DEFAULT_MAX_TOKEN_LEN, MAX_LEEWAY, TokenError};
#[cfg(feature = "jwks")]
pub use self::jwks::{JwksError, JwksOptions};
pub use self::key::{Issuer, Key, KeyError};
pub use self::keys::{JwtKeys, install_crypto_provider};
pub use self::verify::Verified;
pub use jsonwebtoken::Algorithm;
