//! Everything that weakens security, so that code using it says so.

use std::marker::PhantomData;

use http::request::Parts;

use crate::credential::{CredentialName, CredentialSource, CsrfPolicy, RawCredential};
#[cfg(feature = "jwks")]
use crate::jwt::AuthenticatorBuilder;
use crate::rejection::{AuthError, CredentialKind};

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

/// A bearer token in the query parameter named by `N` (`wss://api.example.com/feed?access_token=..`,
/// RFC 6750 §2.3), for clients that can set neither a header nor a subprotocol.
///
/// The token then sits in the URL, and URLs are written to access logs (this server's, every
/// proxy's and load balancer's on the way), to browser history and to `Referer` headers: anyone
/// who reads those can use it until it expires. Prefer the `Authorization` header, the token
/// cookie or, for a browser's WebSocket,
/// [`WebSocketProtocol`](crate::credential::WebSocketProtocol); if you must, keep such tokens
/// short-lived and scrub the parameter from every log. A repeated parameter is an
/// `invalid_request`; an empty one is no credential.
///
/// ```
/// use axum_scopes::credential::CredentialName;
/// use axum_scopes::dangerous::QueryToken;
/// use axum_scopes::{AuthenticatedBy, requires_scopes};
///
/// axum_scopes::oauth2_password_bearer! {
///     /// The scheme.
///     pub Api { token_url: "token", scopes: { "items" => "Read items." } }
/// }
///
/// /// `?access_token=`.
/// struct AccessTokenParam;
///
/// impl CredentialName for AccessTokenParam {
///     const NAME: &'static str = "access_token";
/// }
///
/// #[derive(Clone, serde::Deserialize)]
/// struct Claims {
///     sub: String,
/// }
///
/// #[requires_scopes("items")]
/// async fn feed(claims: AuthenticatedBy<Claims, Api, QueryToken<AccessTokenParam>>) -> String {
///     claims.into_inner().sub
/// }
/// ```
pub struct QueryToken<N>(PhantomData<fn() -> N>);

impl<N: CredentialName> CredentialSource for QueryToken<N> {
    const KIND: CredentialKind = CredentialKind::BearerToken;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        crate::credential::query_parameter(parts, N::NAME, Self::KIND)
    }
}
