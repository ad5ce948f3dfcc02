//! Verifying access tokens issued by identity providers: [`Authenticator`].
//!
//! An [`Authenticator`] is the [`Verifier`] over the keys of one or more [`Issuer`]s (secrets,
//! PEM/DER public keys, static JWKS text, JWKS URLs, OIDC discovery) plus what only remote keys
//! need: when a token names a `kid` that no key set of its issuer holds, refresh those remote
//! key sets (single flight, rate limited) and verify once more.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::accepted::{Accepted, Verified};
use super::cache::{TokenCacheOptions, TokenCacheStats};
use super::claims::ScopesClaim;
use super::error::{DEFAULT_MAX_TOKEN_LEN, TokenError};
#[cfg(feature = "jwks")]
use super::introspection::{Introspector, is_jwt_shaped};
use super::issuer::Issuer;
#[cfg(feature = "jwks")]
use super::issuer::RemoteSpec;
#[cfg(feature = "jwks")]
use super::jwks::{JwksError, JwksOptions, JwksUrl, Remote};
use super::policy::{Rules, RulesSpec, Source};
use super::verifier::{Verifier, log_refused};
use super::verify::Refused;
use crate::credential::AuthConfig;
use crate::dpop::{Dpop, ProofError, ProofRequest};
use crate::rejection::{AuthError, AuthErrorKind};
use crate::revocation::{Revocation, RevocationError, Revocations};

/// Verifies bearer tokens against the keys of one or more [`Issuer`]s.
///
/// Cheap to clone (an `Arc` inside): put it in your axum state and reach it
/// with `FromRef`. Built with [`Authenticator::builder`].
///
/// # Details
///
/// - Issuer and key choice: the token's `iss` picks its issuer (see [`Issuer`]), then `kid`
///   the key (an unknown `kid` triggers one shared refresh of that issuer's remote key sets,
///   then is rejected); without `kid` only when exactly one key accepts the token's `alg`.
///   `jku`, `x5u`, `jwk` and `x5c` headers are ignored; `crit` is rejected.
/// - Claims: `exp` required, `exp`/`nbf`/`iat` checked with the issuer's leeway; `iss` and
///   `aud` per [`Issuer`].
///
#[doc = include_str!("../../docs/verifying.md")]
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    verifier: Arc<Verifier>,
    /// The remote side of each source of the verifier, by index (`None` for fixed keys).
    #[cfg(feature = "jwks")]
    remotes: Vec<Option<Arc<Remote>>>,
    /// The introspection client of the one issuer taking opaque tokens, if any.
    #[cfg(feature = "jwks")]
    introspector: Option<Introspector>,
    config: AuthConfig,
    /// The `iss` of every issuer bound to one, in the order given.
    issuers: Vec<String>,
    /// How DPoP proofs are checked, when DPoP tokens are accepted.
    dpop: Option<Dpop>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("issuers", &self.inner.issuers)
            .field("sources", &self.inner.verifier.sources())
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
    /// More than one issuer was given an [`Introspection`](super::Introspection): an opaque
    /// token names no issuer, so it would go to providers that did not issue it.
    #[cfg(feature = "jwks")]
    #[error("more than one issuer introspects opaque tokens")]
    SeveralIntrospections,
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
    revocations: Option<Revocations>,
    dpop: Option<Dpop>,
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
    /// (values above [`MAX_LEEWAY`](super::MAX_LEEWAY) are clamped), for issuers
    /// that set none ([`Issuer::leeway`]).
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
    /// For issuers that say nothing else ([`Issuer::require_access_token_type`]).
    ///
    /// Defaults to off: providers such as Auth0 and Keycloak write
    /// `typ: JWT` unless configured otherwise.
    pub fn require_access_token_type(mut self) -> Self {
        self.require_at_jwt = true;
        self
    }

    /// Where tokens carry their scopes, for issuers that set nothing else
    /// ([`Issuer::scopes_claim`]).
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
    /// Defaults to [`TokenCacheOptions::default`]: on, at most 50,000 tokens and 64 MiB. A
    /// token seen before is then served without checking its signature again, after its `exp`
    /// and `nbf` are checked against the clock and its key is found still in its key set.
    pub fn token_cache(mut self, options: TokenCacheOptions) -> Self {
        self.cache = options;
        self
    }

    /// Checks every accepted token, cache hits included, against `revocations` (see
    /// [`crate::revocation`]): a revoked token is refused with 401 `invalid_token`, every token
    /// with 503 while the revocations cannot be vouched for. Keep a clone to revoke with.
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// Accepts DPoP-bound tokens (RFC 9449) with proofs checked as `dpop` says, beside Bearer
    /// tokens unless [`Dpop::dpop_only`]; see [`crate::dpop`]. Challenges then name `DPoP`
    /// with its `algs` too.
    ///
    /// Without it, `Authorization: DPoP` counts as no credentials, and a DPoP-bound token sent
    /// as Bearer is refused either way.
    pub fn dpop(mut self, dpop: Dpop) -> Self {
        self.dpop = Some(dpop);
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
        crate::crypto::install_crypto_provider();
        let mut sources = Vec::new();
        #[cfg(feature = "jwks")]
        let mut remotes = Vec::new();
        #[cfg(feature = "jwks")]
        let mut introspector = None;
        for issuer in &self.issuers {
            let rules = Arc::new(Rules::new(RulesSpec {
                issuers: issuer.iss.as_ref().map(std::slice::from_ref),
                named: true,
                audiences: issuer.audiences.as_deref(),
                algorithms: issuer.algorithms.clone(),
                leeway: issuer.leeway.unwrap_or(self.leeway),
                require_at_jwt: issuer.require_at_jwt.unwrap_or(self.require_at_jwt),
                check_iat: true,
                scopes: issuer.scopes_claim.unwrap_or(self.scopes_claim),
            }));
            if !issuer.keys.is_empty() {
                let keys = rules.key_set(issuer.keys.clone());
                sources.push(Source::new(Arc::clone(&rules), keys));
                #[cfg(feature = "jwks")]
                remotes.push(None);
            }
            #[cfg(feature = "jwks")]
            for spec in &issuer.remote {
                let url = match spec {
                    RemoteSpec::Url(url) => JwksUrl::Direct(url),
                    RemoteSpec::Discovery => {
                        JwksUrl::Discover(issuer.iss.as_deref().unwrap_or_default())
                    }
                };
                let (remote, keys, delay) = Remote::connect(url, Arc::clone(&rules), &self.jwks)
                    .await
                    .map_err(|(url, source)| BuildError::Jwks { url, source })?;
                sources.push(Source::new(Arc::clone(&rules), keys));
                remotes.push(Some((remote, delay)));
            }
            #[cfg(feature = "jwks")]
            if let Some(introspection) = &issuer.introspection {
                if introspector.is_some() {
                    return Err(BuildError::SeveralIntrospections);
                }
                // The issuer's tokens vouched for by introspection: a source without keys.
                let source = sources.len();
                sources.push(Source::new(Arc::clone(&rules), rules.key_set(Vec::new())));
                remotes.push(None);
                let iss = issuer.iss.as_deref().unwrap_or_default();
                introspector =
                    Some(introspector_for(introspection, iss, &self.jwks, source, &rules).await?);
            }
        }
        if sources.is_empty() {
            return Err(BuildError::NoKeys);
        }
        let verifier = Arc::new(Verifier::new(
            sources,
            self.max_token_len,
            self.cache,
            self.revocations,
        ));
        #[cfg(feature = "jwks")]
        let remotes = remotes
            .into_iter()
            .enumerate()
            .map(|(index, remote)| {
                remote.map(|(remote, delay)| {
                    remote.refresh_in_background(Arc::downgrade(&verifier), index, delay);
                    remote
                })
            })
            .collect();
        Ok(Authenticator {
            inner: Arc::new(Inner {
                verifier,
                #[cfg(feature = "jwks")]
                remotes,
                #[cfg(feature = "jwks")]
                introspector,
                config: match &self.dpop {
                    Some(dpop) => self.config.with_dpop(dpop.algs(), dpop.accepts_bearer()),
                    None => self.config,
                },
                dpop: self.dpop,
                issuers: self
                    .issuers
                    .iter()
                    .filter_map(|issuer| issuer.iss.clone())
                    .collect(),
            }),
        })
    }
}

/// The introspection client of `introspection`, issuer `iss`, as source `source`: its
/// endpoint given, or read from the issuer's discovery document.
#[cfg(feature = "jwks")]
async fn introspector_for(
    introspection: &super::Introspection,
    iss: &str,
    options: &JwksOptions,
    source: usize,
    rules: &Arc<Rules>,
) -> Result<Introspector, BuildError> {
    let endpoint = match &introspection.endpoint {
        Some(url) => url.clone(),
        None => Remote::introspection_endpoint(iss, options)
            .await
            .map_err(|(url, source)| BuildError::Jwks { url, source })?,
    };
    Introspector::new(
        introspection,
        endpoint.clone(),
        options,
        source,
        Arc::clone(rules),
    )
    .map_err(|source| BuildError::Jwks {
        url: endpoint,
        source,
    })
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
            revocations: None,
            dpop: None,
            #[cfg(feature = "jwks")]
            jwks: JwksOptions::default(),
        }
    }

    /// Whether `accepted`, accepted earlier, would be admitted now: the verifier's one
    /// admission again (its window, its key, its revocations), for an open WebSocket.
    #[cfg(any(feature = "websocket", feature = "grpc"))]
    pub(crate) fn readmit(&self, accepted: &Accepted) -> Result<(), TokenError> {
        self.inner.verifier.readmit(accepted)
    }

    /// The revocations every accepted token is checked against, if configured.
    #[cfg(any(feature = "websocket", feature = "grpc"))]
    pub(crate) fn revocations(&self) -> Option<&crate::revocation::Revocations> {
        self.inner.verifier.revocations()
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
        self.inner.verifier.cache_stats().entries
    }

    /// What the verified-token cache did so far (hits, misses, evictions) and holds now: for
    /// metrics, and to size it with [`AuthenticatorBuilder::token_cache`].
    #[must_use]
    pub fn token_cache_stats(&self) -> TokenCacheStats {
        self.inner.verifier.cache_stats()
    }

    /// Checks `token` (the bytes after `Bearer `, possibly not even ASCII)
    /// and deserializes its claims into `C`, with the scopes it grants.
    ///
    /// Order of checks: length; header (`alg`, `kid`, `crit`); issuer and key choice;
    /// `jsonwebtoken::decode` (algorithm allow-list of that key, signature,
    /// `exp`/`nbf`/`iss`/`aud`); `typ` when required; `iat`; the scopes claim; the claims
    /// type. Awaits only when the `kid` is unknown and a remote key set may be refreshed.
    /// Never panics on any input.
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
        let accepted = self.accept(token, None).await;
        let result = accepted.and_then(|accepted| {
            accepted
                .verified()
                .map_err(|error| Refused::of(&accepted, error))
        });
        result.map_err(|refused| {
            log_refused(&refused, self.issuer_of(&refused));
            refused.error
        })
    }

    /// Revokes `token` (the bytes after `Bearer `) on `revocations` until its `exp`: a logout
    /// endpoint's call. The token must be one this authenticator accepts; one already revoked
    /// is revoked again, which changes nothing.
    ///
    /// # Errors
    ///
    /// [`RevocationError::InvalidToken`] when the token is refused for another reason,
    /// [`RevocationError::NoTokenId`] when it has no `jti`, and the errors of
    /// [`Revocations::revoke`].
    pub async fn revoke_token(
        &self,
        token: &[u8],
        revocations: &Revocations,
    ) -> Result<(), RevocationError> {
        let (iss, jti, exp) = match self.accept(token, None).await {
            Ok(accepted) => accepted.revocation_target(),
            Err(refused) if matches!(refused.error, TokenError::Revoked) => return Ok(()),
            // Past the bound this replica refuses every token anyway; the client retries.
            Err(refused) if matches!(refused.error, TokenError::RevocationsUnavailable) => {
                return Err(RevocationError::Unavailable { source: None });
            }
            Err(refused) => return Err(RevocationError::InvalidToken(Box::new(refused.error))),
        };
        let jti = jti.ok_or(RevocationError::NoTokenId)?;
        revocations.revoke(Revocation::token(iss, jti, exp)).await
    }

    /// The token's [`Accepted`] record, or why it was refused, without a log event (the
    /// callers log each outcome once): the verifier's answer, and when the `kid` was unknown
    /// to its issuer's remote key sets, its answer after they were refreshed.
    #[cfg_attr(
        not(feature = "jwks"),
        expect(
            clippy::unused_async,
            reason = "awaits the key refresh of the `jwks` feature; the signature stays the same without it"
        )
    )]
    pub(crate) async fn accept(
        &self,
        token: &[u8],
        binding: Option<&str>,
    ) -> Result<Arc<Accepted>, Refused> {
        let verifier = &self.inner.verifier;
        #[cfg(feature = "jwks")]
        if let Some(introspector) = &self.inner.introspector
            && !is_jwt_shaped(token)
        {
            return introspector.accept(verifier, token, binding).await;
        }
        let refused = match verifier.verify(token, binding) {
            Err(refused) if !refused.unknown_in.is_empty() => refused,
            other => return other,
        };
        #[cfg(feature = "jwks")]
        {
            let remotes: Vec<_> = refused
                .unknown_in
                .iter()
                .filter_map(|&source| Some((source, self.inner.remotes.get(source)?.as_ref()?)))
                .collect();
            if remotes.is_empty() {
                return Err(refused);
            }
            for (source, remote) in &remotes {
                remote.refresh_on_miss(verifier, *source).await;
            }
            match verifier.verify(token, binding) {
                Err(mut again)
                    if matches!(again.error, TokenError::UnknownKey)
                        && remotes.iter().any(|(_, remote)| remote.is_failing()) =>
                {
                    // The provider is down and the key unknown: the token may well be valid.
                    again.error = TokenError::KeysUnavailable;
                    Err(again)
                }
                other => other,
            }
        }
        #[cfg(not(feature = "jwks"))]
        Err(refused)
    }

    /// The token's [`Accepted`] record as [`Authenticator::accept`] gives it, with the DPoP
    /// proof of `proof` when there is one: the proof's own checks first, then the token
    /// through the verifier (whose admission compares the proof's key with the token's
    /// binding), then the proof's `jti` in the replay cache.
    pub(crate) async fn accept_presented(
        &self,
        token: &[u8],
        proof: Option<&ProofRequest<'_>>,
    ) -> Result<Arc<Accepted>, Refused> {
        let Some(proof) = proof else {
            return self.accept(token, None).await;
        };
        let Some(dpop) = &self.inner.dpop else {
            return Err(Refused::new(TokenError::Dpop(ProofError::Missing)));
        };
        let checked = dpop
            .check(proof, token)
            .map_err(|error| Refused::new(error.into()))?;
        let accepted = self.accept(token, Some(&checked.jkt)).await?;
        dpop.first_use(&checked)
            .await
            .map_err(|error| Refused::of(&accepted, error.into()))?;
        Ok(accepted)
    }

    /// The answer to a refusal for `error`: 503 when the token may well be valid (keys,
    /// introspection, revocations or the replay cache unavailable), the DPoP answers for a
    /// proof's refusal (with a fresh nonce for `use_dpop_nonce`), else 401 `invalid_token`.
    pub(crate) fn answer(&self, error: TokenError) -> AuthError {
        match error {
            // The provider is down and the key unknown: the token may well be valid.
            TokenError::KeysUnavailable | TokenError::IntrospectionUnavailable => {
                AuthError::from(AuthErrorKind::KeysUnavailable {
                    source: Some(Box::new(error)),
                })
            }
            TokenError::RevocationsUnavailable => {
                AuthError::from(AuthErrorKind::RevocationsUnavailable)
            }
            TokenError::Dpop(ProofError::ReplayUnavailable) => {
                AuthError::from(AuthErrorKind::DpopReplayUnavailable)
            }
            TokenError::Dpop(ProofError::UseNonce) => {
                match self.dpop().and_then(Dpop::fresh_nonce) {
                    Some(nonce) => AuthError::from(AuthErrorKind::UseDpopNonce { nonce }),
                    None => AuthError::from(AuthErrorKind::InvalidDpopProof {
                        source: ProofError::UseNonce,
                    }),
                }
            }
            TokenError::Dpop(source) => AuthError::from(AuthErrorKind::InvalidDpopProof { source }),
            error => AuthError::invalid_token(error),
        }
    }

    /// How DPoP proofs are checked, when configured.
    pub(crate) fn dpop(&self) -> Option<&Dpop> {
        self.inner.dpop.as_ref()
    }

    /// The configured issuer of the key set a refusal names, for log events.
    pub(crate) fn issuer_of(&self, refused: &Refused) -> Option<&str> {
        self.inner.verifier.issuer_of(refused.source)
    }

    /// The configured issuer of the key set that verified `accepted`, for log events.
    pub(crate) fn issuer_of_accepted(&self, accepted: &Accepted) -> Option<&str> {
        self.inner.verifier.issuer_of(Some(accepted.source))
    }
}
