//! The issuers an [`Authenticator`](super::Authenticator) trusts: [`Issuer`].

use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::claims::ScopesClaim;
use super::key::{Key, KeyError};

/// One trusted token issuer: the `iss` its tokens carry, where its keys come
/// from, and the audiences it must name.
///
/// Keys are bound to their issuer: a token verified by one of these keys must
/// carry exactly this `iss` (unless built with [`Issuer::any`]). With several
/// issuers, a token's `iss` (read before its signature is checked, so only a
/// hint) picks its issuer's keys and `kid` the key among them: two issuers may
/// publish the same `kid`, and an unknown `kid` refreshes only that issuer's
/// remote keys. The signature and the exact `iss` are then checked as for any
/// token, so a key of one issuer never vouches for another's token.
///
/// Settings that differ between providers are per issuer: audiences,
/// algorithms, [`Issuer::scopes_claim`], [`Issuer::leeway`],
/// [`Issuer::require_access_token_type`]; the last three default to what the
/// [`AuthenticatorBuilder`](super::AuthenticatorBuilder) sets.
///
/// ```
/// use axum_scopes::jwt::{Issuer, ScopesClaim};
///
/// # #[cfg(feature = "jwks")]
/// # fn issuers() -> [Issuer; 2] { [
/// // Keycloak writes `scope`; Entra ID writes `scp` and requires v2 tokens' audience.
/// Issuer::discover("https://sso.example.com/realms/shop").audience("shop-api"),
/// Issuer::discover("https://login.microsoftonline.com/TENANT/v2.0")
///     .audience("api://shop")
///     .scopes_claim(ScopesClaim::Scp),
/// # ] }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Issuer {
    pub(crate) iss: Option<String>,
    pub(crate) audiences: Option<Vec<String>>,
    pub(crate) algorithms: Option<Vec<Algorithm>>,
    pub(crate) scopes_claim: Option<ScopesClaim>,
    pub(crate) leeway: Option<Duration>,
    pub(crate) require_at_jwt: Option<bool>,
    pub(crate) keys: Vec<Key>,
    #[cfg(feature = "jwks")]
    pub(crate) remote: Vec<RemoteSpec>,
    #[cfg(feature = "jwks")]
    pub(crate) introspection: Option<super::Introspection>,
}

#[cfg(feature = "jwks")]
#[derive(Debug, Clone)]
pub(crate) enum RemoteSpec {
    Url(String),
    Discovery,
}

impl Issuer {
    /// Tokens of this issuer: `iss` is required and must equal `issuer`
    /// exactly (a trailing `/` counts). Add keys with [`Issuer::key`],
    /// [`Issuer::jwks`] or [`Issuer::jwks_url`].
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            iss: Some(issuer.into()),
            audiences: None,
            algorithms: None,
            scopes_claim: None,
            leeway: None,
            require_at_jwt: None,
            keys: Vec::new(),
            #[cfg(feature = "jwks")]
            remote: Vec::new(),
            #[cfg(feature = "jwks")]
            introspection: None,
        }
    }

    /// Keys not bound to an issuer: tokens they verify may carry any `iss`,
    /// or none. For keys you hold yourself, such as the tutorial's secret.
    pub fn any() -> Self {
        Self {
            iss: None,
            ..Self::new(String::new())
        }
    }

    /// An `OpenID` Connect provider: its keys come from the `jwks_uri` of
    /// `{issuer}/.well-known/openid-configuration` (one `/` between them),
    /// fetched by [`AuthenticatorBuilder::build`](super::AuthenticatorBuilder::build). The document's `issuer`
    /// must equal `issuer` exactly, and `iss` in tokens too.
    ///
    /// The discovery document is read once; the key set is refreshed as
    /// described under [`JwksOptions`](super::JwksOptions).
    #[cfg(feature = "jwks")]
    pub fn discover(issuer: impl Into<String>) -> Self {
        let mut this = Self::new(issuer);
        this.remote.push(RemoteSpec::Discovery);
        this
    }

    /// Introspects this issuer's opaque access tokens (RFC 7662; see
    /// [`Introspection`](super::Introspection)): tokens that are not JWT-shaped go to its
    /// endpoint, and only this issuer's (at most one issuer may take them, so that no token is
    /// handed to a provider that did not issue it).
    #[cfg(feature = "jwks")]
    pub fn introspection(mut self, introspection: super::Introspection) -> Self {
        self.introspection = Some(introspection);
        self
    }

    /// Adds a key.
    pub fn key(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds every usable key of static JWKS text (see [`Key::from_jwks`]).
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidJwks`] when `json` is not a JWKS document.
    pub fn jwks(mut self, json: &str) -> Result<Self, KeyError> {
        self.keys.extend(Key::from_jwks(json)?);
        Ok(self)
    }

    /// Adds the keys published at a JWKS URL, fetched by
    /// [`AuthenticatorBuilder::build`](super::AuthenticatorBuilder::build) and kept fresh as described under
    /// [`JwksOptions`](super::JwksOptions). The URL must be `https` (see `axum_scopes::dangerous`).
    /// Symmetric (`oct`) keys in a fetched set are ignored.
    #[cfg(feature = "jwks")]
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.remote.push(RemoteSpec::Url(url.into()));
        self
    }

    /// Requires `aud` to name `audience` (call again to accept any of
    /// several).
    ///
    /// Defaults to no audience check: `aud` is neither required nor read.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences
            .get_or_insert_with(Vec::new)
            .push(audience.into());
        self
    }

    /// Restricts every key of this issuer to `algorithms` (intersected with
    /// each key's own list; keys left with none are dropped).
    ///
    /// Defaults to each key's own list.
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = Some(algorithms.to_vec());
        self
    }

    /// Where this issuer's tokens carry their scopes.
    ///
    /// Defaults to [`AuthenticatorBuilder::scopes_claim`](super::AuthenticatorBuilder::scopes_claim).
    pub fn scopes_claim(mut self, claim: ScopesClaim) -> Self {
        self.scopes_claim = Some(claim);
        self
    }

    /// Tolerance for clock skew on this issuer's `exp`, `nbf` and `iat`, in
    /// whole seconds (values above [`MAX_LEEWAY`](super::MAX_LEEWAY) are
    /// clamped).
    ///
    /// Defaults to [`AuthenticatorBuilder::leeway`](super::AuthenticatorBuilder::leeway).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// Requires the RFC 9068 header `typ` (`at+jwt`) on this issuer's tokens,
    /// or (`false`) not.
    ///
    /// Defaults to [`AuthenticatorBuilder::require_access_token_type`](super::AuthenticatorBuilder::require_access_token_type).
    pub fn require_access_token_type(mut self, required: bool) -> Self {
        self.require_at_jwt = Some(required);
        self
    }
}
