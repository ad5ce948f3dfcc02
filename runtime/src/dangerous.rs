//! Everything that weakens security, so that code using it says so.

use crate::credential::CsrfPolicy;
#[cfg(feature = "jwks")]
use crate::jwt::AuthenticatorBuilder;

/// Lets JWKS and discovery URLs use plain `http`.
///
/// Meant for tests against a local provider: over `http`, anyone on the path can replace the
/// keys and so mint tokens. By default only `https` URLs are accepted.
#[cfg(feature = "jwks")]
pub fn allow_http(mut builder: AuthenticatorBuilder) -> AuthenticatorBuilder {
    builder.jwks.allow_http = true;
    builder
}

/// A [`CsrfPolicy`] that checks nothing, for APIs whose cookies never reach a browser.
///
/// Any web page can then make its visitors' browsers send state-changing requests with their
/// cookies: use it only when `SameSite=Strict` cookies on a site without sibling subdomains you
/// do not control already rule that out.
#[must_use]
pub fn disable_csrf_check() -> CsrfPolicy {
    CsrfPolicy::disabled()
}
