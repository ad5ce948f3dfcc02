//! Verifying access tokens issued by identity providers: [`Authenticator`].
//!
//! An [`Authenticator`] holds the keys of one or more [`Issuer`]s (secrets,
//! PEM/DER public keys, static JWKS text, JWKS URLs, OIDC discovery) and turns
//! bearer-token bytes into the caller's claims plus the [`GrantedScopes`].
//!
//! The request path reads the key sets through `arc-swap` (no lock), parses
//! the JOSE header into stack buffers, and calls `jsonwebtoken::decode` with
//! a `Validation` prepared per key when the keys were loaded; the only
//! allocations of its own are the granted-scopes list.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use jsonwebtoken::Algorithm;
use serde::de::DeserializeOwned;

use super::cache::{ClaimsOnHit, FromPayload, KeepClaims, Slot, TokenCache, TokenCacheOptions};
use super::claims::ScopesClaim;
use super::error::{DEFAULT_MAX_TOKEN_LEN, TokenError};
#[cfg(feature = "jwks")]
use super::jwks::{JwksError, JwksOptions, JwksUrl, Remote};
use super::key::Issuer;
use super::key::KeyId;
#[cfg(feature = "jwks")]
use super::key::RemoteSpec;
#[cfg(not(feature = "jwks"))]
use super::verify::Remote;
use super::verify::{
    Checks, Fresh, IssuerPolicy, KeySet, Rejection, Selection, Source, Verified, clamp_leeway,
    log_rejection, now, verify_and_keep,
};
use crate::credential::AuthConfig;

/// Verifies bearer tokens against the keys of one or more [`Issuer`]s.
///
/// Cheap to clone (an `Arc` inside): put it in your axum state and reach it
/// with `FromRef`. Built with [`Authenticator::builder`].
///
/// # Details
///
/// - Key choice: by `kid` when the token has one (an unknown `kid` triggers
///   one shared refresh of the remote key sets, then is rejected); without
///   `kid` only when exactly one key accepts the token's `alg`. `jku`,
///   `x5u`, `jwk` and `x5c` headers are ignored; `crit` is rejected.
/// - Claims: `exp` required, `exp`/`nbf`/`iat` checked with
///   [`AuthenticatorBuilder::leeway`]; `iss` and `aud` per [`Issuer`].
///
#[doc = include_str!("../../docs/verifying.md")]
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    sources: Vec<Arc<Source>>,
    checks: Checks,
    config: AuthConfig,
    cache: Option<TokenCache>,
    /// The `iss` of every issuer bound to one, in the order given.
    issuers: Vec<String>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("sources", &self.inner.sources.len())
            .field("checks", &self.inner.checks)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Why [`AuthenticatorBuilder::build`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No issuer was added, or none has a key or key source: every token
    /// would be rejected.
    #[error("no verification key is configured")]
    NoKeys,
    /// A JWKS URL or discovery document could not be used.
    #[cfg(feature = "jwks")]
    #[error("loading keys from `{url}` failed")]
    Jwks {
        /// The URL that failed (the discovery document's or the JWKS's).
        url: String,
        /// What went wrong.
        #[source]
        source: JwksError,
    },
}

/// Configures an [`Authenticator`]; from [`Authenticator::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct AuthenticatorBuilder {
    issuers: Vec<Issuer>,
    leeway: Duration,
    max_token_len: usize,
    require_at_jwt: bool,
    scopes_claim: ScopesClaim,
    config: AuthConfig,
    cache: TokenCacheOptions,
    #[cfg(feature = "jwks")]
    pub(crate) jwks: JwksOptions,
}

impl AuthenticatorBuilder {
    /// Trusts `issuer` (call once per issuer; a token may come from any).
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Tolerance for clock skew on `exp`, `nbf` and `iat`, in whole seconds
    /// (values above [`MAX_LEEWAY`](super::MAX_LEEWAY) are clamped).
    ///
    /// Defaults to 0 seconds.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Longest token, in bytes, that is decoded at all.
    ///
    /// Defaults to [`DEFAULT_MAX_TOKEN_LEN`] (8 KiB).
    pub fn max_token_len(mut self, max: usize) -> Self {
        self.max_token_len = max;
        self
    }

    /// Requires the header `typ` of an RFC 9068 access token (`at+jwt` or
    /// `application/at+jwt`), so ID tokens and other JWTs signed by the same
    /// keys are refused with [`TokenError::WrongType`].
    ///
    /// Defaults to off: providers such as Auth0 and Keycloak write
    /// `typ: JWT` unless configured otherwise.
    pub fn require_access_token_type(mut self) -> Self {
        self.require_at_jwt = true;
        self
    }

    /// Where tokens carry their scopes.
    ///
    /// Defaults to [`ScopesClaim::ScopeOrScopes`].
    pub fn scopes_claim(mut self, claim: ScopesClaim) -> Self {
        self.scopes_claim = claim;
        self
    }

    /// How the guards answer a rejected request (realm, body style) and guard
    /// cookie credentials (CSRF), for [`Authenticated`](crate::Authenticated)
    /// and its kin, which need nothing else in the router state.
    ///
    /// Defaults to [`AuthConfig::default`]: no realm, `{"detail": ...}`
    /// bodies, the default CSRF policy.
    pub fn auth_config(mut self, config: AuthConfig) -> Self {
        self.config = config;
        self
    }

    /// Bounds of the verified-token cache, or [`TokenCacheOptions::disabled`].
    ///
    /// Defaults to [`TokenCacheOptions::default`]: on, at most 10,000 tokens and 16 MiB. A
    /// token seen before is then served without checking its signature again, after its `exp`
    /// and `nbf` are checked against the clock and its key is found still in its key set.
    pub fn token_cache(mut self, options: TokenCacheOptions) -> Self {
        self.cache = options;
        self
    }

    /// HTTP and refresh settings of the JWKS client.
    ///
    /// Defaults to [`JwksOptions::default`].
    #[cfg(feature = "jwks")]
    pub fn jwks_options(mut self, options: JwksOptions) -> Self {
        let allow_http = self.jwks.allow_http;
        self.jwks = options;
        self.jwks.allow_http = allow_http;
        self
    }

    /// Builds the authenticator, fetching every remote key set once (and
    /// every discovery document first); each remote set then refreshes in a
    /// background task that ends when the last clone of the authenticator is
    /// dropped. Must run inside a Tokio runtime when remote sources are
    /// configured.
    ///
    /// # Errors
    ///
    /// [`BuildError::NoKeys`] when nothing could ever verify a token;
    /// [`BuildError::Jwks`] when a URL is not `https` (see
    /// `axum_scopes::dangerous`), a discovery document names another issuer, or a
    /// fetch fails.
    #[cfg_attr(
        not(feature = "jwks"),
        expect(
            clippy::unused_async,
            reason = "async for the key fetches of the `jwks` feature; the signature stays the same without it"
        )
    )]
    pub async fn build(self) -> Result<Authenticator, BuildError> {
        super::keys::install_crypto_provider();
        let mut sources = Vec::new();
        for issuer in &self.issuers {
            let policy = IssuerPolicy::new(
                issuer.iss.as_ref().map(std::slice::from_ref),
                issuer.audiences.as_deref(),
                issuer.algorithms.clone(),
                self.leeway,
            );
            if !issuer.keys.is_empty() {
                let keys = policy.key_set(issuer.keys.clone());
                sources.push(Arc::new(Source {
                    keys: ArcSwap::from_pointee(keys),
                    remote: None,
                }));
            }
            #[cfg(feature = "jwks")]
            for spec in &issuer.remote {
                let url = match spec {
                    RemoteSpec::Url(url) => JwksUrl::Direct(url),
                    RemoteSpec::Discovery => {
                        JwksUrl::Discover(issuer.iss.as_deref().unwrap_or_default())
                    }
                };
                let source = Remote::connect(url, policy.clone(), &self.jwks)
                    .await
                    .map_err(|(url, source)| BuildError::Jwks { url, source })?;
                sources.push(source);
            }
        }
        if sources.is_empty() {
            return Err(BuildError::NoKeys);
        }
        let cache = TokenCache::new(self.cache);
        #[cfg(feature = "jwks")]
        if let Some(cache) = &cache {
            for (index, source) in sources.iter().enumerate() {
                if let Some(remote) = &source.remote {
                    let cache = cache.clone();
                    let _ = remote
                        .on_removed
                        .set(Box::new(move |removed| cache.drop_keys(index, removed)));
                }
            }
        }
        Ok(Authenticator {
            inner: Arc::new(Inner {
                sources,
                checks: Checks {
                    max_token_len: self.max_token_len,
                    leeway: clamp_leeway(self.leeway),
                    require_at_jwt: self.require_at_jwt,
                    check_iat: true,
                    scopes: Some(self.scopes_claim),
                },
                config: self.config,
                cache,
                issuers: self
                    .issuers
                    .iter()
                    .filter_map(|issuer| issuer.iss.clone())
                    .collect(),
            }),
        })
    }
}

impl Authenticator {
    /// Starts configuring an authenticator.
    pub fn builder() -> AuthenticatorBuilder {
        AuthenticatorBuilder {
            issuers: Vec::new(),
            leeway: Duration::ZERO,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            require_at_jwt: false,
            scopes_claim: ScopesClaim::default(),
            config: AuthConfig::default(),
            cache: TokenCacheOptions::default(),
            #[cfg(feature = "jwks")]
            jwks: JwksOptions::default(),
        }
    }

    /// The answers and CSRF policy configured with
    /// [`AuthenticatorBuilder::auth_config`].
    #[must_use]
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The issuers whose tokens are accepted (their `iss`), in the order given; issuers built
    /// with [`Issuer::any`] have none. An RFC 9728 document lists them as
    /// `authorization_servers`.
    #[must_use]
    pub fn issuers(&self) -> &[String] {
        &self.inner.issuers
    }

    /// How many verified tokens the cache holds now (0 when it is
    /// [disabled](TokenCacheOptions::disabled)), after pending evictions: for metrics and
    /// tests.
    #[must_use]
    pub fn cached_tokens(&self) -> u64 {
        self.inner.cache.as_ref().map_or(0, TokenCache::entry_count)
    }

    /// Checks `token` (the bytes after `Bearer `, possibly not even ASCII)
    /// and deserializes its claims into `C`, with the scopes it grants.
    ///
    /// Order of checks: length; header (`alg`, `kid`); key choice;
    /// `jsonwebtoken::decode` (algorithm allow-list of that key, signature,
    /// claims type, `exp`/`nbf`/`iss`/`aud`); `crit`; `typ` when required;
    /// `iat`; the scopes claim. Awaits only when the `kid` is unknown and a
    /// remote key set may be refreshed. Never panics on any input.
    ///
    /// Rejections are logged at debug level with the reason, never the
    /// token.
    ///
    /// # Errors
    ///
    /// The [`TokenError`] variant names the first check that failed.
    pub async fn verify<C: DeserializeOwned>(
        &self,
        token: &[u8],
    ) -> Result<Verified<C>, TokenError> {
        let result = self.verify_inner::<C, FromPayload>(token).await;
        if let Err(err) = &result {
            log_rejection(err);
        }
        result
    }

    /// [`Authenticator::verify`] without its rejection log, for the guards, which log each
    /// outcome as one event of their own. Their claims are `Clone`, so the cache keeps them
    /// deserialized ([`KeepClaims`]).
    pub(crate) async fn verify_quietly<C>(&self, token: &[u8]) -> Result<Verified<C>, TokenError>
    where
        C: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        self.verify_inner::<C, KeepClaims>(token).await
    }

    /// For an outcome's log event: the token's `kid` (as sent, at most 64 characters) and the
    /// issuer of the key set that holds that `kid`. Parses the header again, so it is only
    /// called when the event is enabled.
    #[cold]
    pub(crate) fn provenance(&self, token: &[u8]) -> (Option<String>, Option<String>) {
        if token.len() > self.inner.checks.max_token_len {
            return (None, None);
        }
        let Some(kid) = std::str::from_utf8(token)
            .ok()
            .and_then(|token| jsonwebtoken::decode_header(token).ok())
            .and_then(|header| header.kid)
        else {
            return (None, None);
        };
        let issuer = self.inner.sources.iter().find_map(|source| {
            let keys = source.keys.load();
            keys.entries
                .iter()
                .find(|entry| entry.kid.as_deref() == Some(kid.as_str()))
                .and_then(|entry| entry.validation.iss.as_ref())
                .and_then(|iss| iss.iter().next().cloned())
        });
        let kid = match kid.char_indices().nth(64) {
            Some((end, _)) => kid[..end].to_owned(),
            None => kid,
        };
        (Some(kid), issuer)
    }

    async fn verify_inner<C: DeserializeOwned, K: ClaimsOnHit<C>>(
        &self,
        token: &[u8],
    ) -> Result<Verified<C>, TokenError> {
        let Some(cache) = &self.inner.cache else {
            return self.verify_uncached::<C, K>(token, None).await;
        };
        if token.len() > self.inner.checks.max_token_len {
            return Err(TokenError::TooLarge);
        }
        let slot = cache.slot(token);
        let present = |source, key| self.key_present(source, key);
        if let Some(verified) = cache.serve::<C, K>(slot, now(), present) {
            return Ok(verified);
        }
        self.verify_uncached::<C, K>(token, Some((cache, slot)))
            .await
    }

    /// Whether the key `id` is still in source `source`.
    fn key_present(&self, source: usize, id: KeyId) -> bool {
        self.inner.sources.get(source).is_some_and(|source| {
            source
                .keys
                .load()
                .entries
                .iter()
                .any(|entry| entry.id == id)
        })
    }

    /// The full path, refreshing remote keys on an unknown `kid`; an accepted token is put in
    /// `cache` in its slot.
    async fn verify_uncached<C: DeserializeOwned, K: ClaimsOnHit<C>>(
        &self,
        token: &[u8],
        cache: Option<(&TokenCache, Slot<'_>)>,
    ) -> Result<Verified<C>, TokenError> {
        let verified = self.verify_twice(token, cache.is_some()).await?;
        let (verified, fresh, source) = verified;
        if let (Some((cache, slot)), Some(fresh)) = (cache, fresh) {
            let typed = K::keep(&verified.claims);
            cache.insert(slot, fresh, typed, &verified.scopes, source, now());
        }
        Ok(verified)
    }

    /// Verifies, and once more after refreshing the remote keys if the `kid` was unknown.
    async fn verify_twice<C: DeserializeOwned>(
        &self,
        token: &[u8],
        keep: bool,
    ) -> Result<(Verified<C>, Option<Fresh>, usize), TokenError> {
        match self.verify_now(token, keep) {
            Err(Rejection::UnknownKid) => {}
            other => return other.map_err(Rejection::into_token_error),
        }
        if !self.refresh_remote_keys().await {
            return Err(TokenError::UnknownKey);
        }
        match self.verify_now(token, keep) {
            Err(Rejection::UnknownKid) if self.remote_keys_failing() => {
                Err(TokenError::KeysUnavailable)
            }
            other => other.map_err(Rejection::into_token_error),
        }
    }

    /// Everything but the refresh, synchronously, through the core; also the index of the
    /// source whose key verified the token.
    fn verify_now<C: DeserializeOwned>(
        &self,
        token: &[u8],
        keep: bool,
    ) -> Result<(Verified<C>, Option<Fresh>, usize), Rejection> {
        let mut source = 0;
        let select = |alg: Algorithm, kid: Option<&str>| match self.select(alg, kid) {
            Selection::Found((keys, index, found_in)) => {
                source = found_in;
                Selection::Found((keys, index))
            }
            Selection::UnknownKid => Selection::UnknownKid,
            Selection::NoKeyForAlgorithm => Selection::NoKeyForAlgorithm,
            Selection::Ambiguous => Selection::Ambiguous,
        };
        let (verified, fresh) = verify_and_keep(token, &self.inner.checks, select, keep)?;
        Ok((verified, fresh, source))
    }

    /// Finds the one key for `alg` and `kid` across all sources, without a
    /// lock or an allocation: `arc-swap` loads and linear scans.
    fn select(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Selection<(arc_swap::Guard<Arc<KeySet>>, usize, usize)> {
        let mut found = None;
        let mut kid_seen = false;
        for (source_index, source) in self.inner.sources.iter().enumerate() {
            let keys = source.keys.load();
            let mut hit = None;
            for (index, entry) in keys.entries.iter().enumerate() {
                if kid.is_some() {
                    if entry.kid.as_deref() != kid {
                        continue;
                    }
                    kid_seen = true;
                }
                if entry.validation.algorithms.contains(&alg) {
                    if hit.is_some() {
                        return Selection::Ambiguous;
                    }
                    hit = Some(index);
                }
            }
            if let Some(index) = hit {
                if found.is_some() {
                    return Selection::Ambiguous;
                }
                found = Some((keys, index, source_index));
            }
        }
        match found {
            Some(found) => Selection::Found(found),
            None if kid.is_some() && !kid_seen => Selection::UnknownKid,
            None => Selection::NoKeyForAlgorithm,
        }
    }

    /// The miss path: refreshes every remote key set (single flight, rate
    /// limited). Returns whether there is any remote set.
    async fn refresh_remote_keys(&self) -> bool {
        let mut remote = false;
        for source in &self.inner.sources {
            if let Some(client) = &source.remote {
                remote = true;
                client.refresh_on_miss(&source.keys).await;
            }
        }
        remote
    }

    /// Whether the last fetch of some remote key set failed.
    fn remote_keys_failing(&self) -> bool {
        self.inner
            .sources
            .iter()
            .filter_map(|source| source.remote.as_ref())
            .any(Remote::is_failing)
    }
}
