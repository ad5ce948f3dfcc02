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

/// Lets a replica keep accepting tokens while it cannot vouch that its revocations are current
/// (Redis unreachable past the bound, or not yet read): tokens are then checked against what
/// the mirror last held, and a revocation made elsewhere meanwhile is not seen. Each such
/// acceptance is logged at warn.
///
/// By default such a replica refuses every token with 503 (fail closed). Failing open turns a
/// Redis outage into a window in which logged-out sessions and leaked tokens work again on
/// this replica: weigh that against the outage, and prefer a longer
/// [`RedisOptions::currency_bound`](crate::revocation::RedisOptions::currency_bound).
#[cfg(feature = "redis")]
#[must_use]
pub fn fail_open(options: crate::revocation::RedisOptions) -> crate::revocation::RedisOptions {
    options.with_fail_open()
}

/// Compares DPoP proofs' `htu` with the request's `Host` header (or its URI's authority)
/// instead of the host of the external URL `dpop` was configured with; the scheme and path
/// prefix stay the configured ones.
///
/// A client chooses its `Host` header: a proof captured for another origin (another service
/// trusting the same provider, say) then passes here if the attacker sends that origin's
/// name as `Host`. Use it only behind a proxy that sets `Host` itself and serves one origin.
#[must_use]
pub fn dpop_trust_host(dpop: crate::dpop::Dpop) -> crate::dpop::Dpop {
    dpop.with_trusted_host()
}
