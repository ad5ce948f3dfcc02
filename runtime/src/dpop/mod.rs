//! Sender-constrained tokens: DPoP (RFC 9449).
//!
//! A DPoP-bound access token (`cnf.jkt` in a JWT, `cnf.jkt` in an introspection answer) works
//! only with a proof, on every request, that the client holds the key the token is bound to:
//! `Authorization: DPoP <token>` and a `DPoP: <proof>` header, the proof a JWT signed by that
//! key naming the request's method and URI, the token's hash, a fresh `jti` and `iat`.
//!
//! Configure it with [`Dpop`] on the authenticator (`AuthenticatorBuilder::dpop`). Then
//! `Authenticated`, router requirements and the FastAPI-style path (`jwt::AccessToken` and
//! `Authenticator::verify_access`) accept DPoP tokens and, unless [`Dpop::dpop_only`], Bearer
//! tokens; a bound token sent as Bearer is refused (no downgrade), as it is by
//! `Authenticator::verify` and `JwtKeys::verify_scoped`, which take no proof. The guide's
//! chapter on DPoP shows both paths.
//!
//! **Where the checks run.** The proof's own checks ([`ProofError`]) run first; the token then
//! goes through the verifier's one path, where the one admission function compares the
//! proof's key thumbprint with the token's `cnf.jkt` for fresh tokens and cache hits alike;
//! last, the proof's `jti` is recorded in the [`ReplayCache`] (so a refused request never
//! costs a round trip to Redis). The token still comes from the token cache; a proof costs one
//! signature check by design, since it is single-use.
//!
//! **Answers** (RFC 9449 §7.1, RFC 6750 §3): a bad proof 401
//! `WWW-Authenticate: DPoP error="invalid_dpop_proof", error_description="...", algs="..."`,
//! followed by `Bearer` when Bearer is accepted; a missing scope 403 with the `DPoP` challenge
//! carrying `insufficient_scope` when the request used DPoP; a nonce required 401
//! `error="use_dpop_nonce"` with a `DPoP-Nonce` header; the replay cache unreachable 503 with
//! `Retry-After: 5`.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use http::request::Parts;
use jsonwebtoken::Algorithm;

mod error;
mod htu;
mod nonce;
mod proof;
mod replay;

pub use self::error::{DpopConfigError, ProofError};
pub use self::replay::ReplayCache;

use self::htu::External;
use self::nonce::Nonces;
pub(crate) use self::proof::Checked;
use self::replay::Replay;

/// The algorithms proofs may be signed with by default: every asymmetric one `jsonwebtoken`
/// verifies.
const DEFAULT_ALGORITHMS: &[Algorithm] = &[
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
];

/// How DPoP proofs are checked (RFC 9449): the server's external URL, the accepted
/// algorithms, how old a proof may be, the replay cache, server nonces, and whether Bearer
/// tokens are still accepted beside DPoP ones. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use axum_scopes::dpop::{Dpop, ReplayCache};
///
/// let dpop = Dpop::new("https://api.example.com")?
///     .max_age(Duration::from_secs(60))
///     .replay_cache(ReplayCache::in_memory());
/// # Ok::<(), axum_scopes::dpop::DpopConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Dpop {
    inner: Arc<Inner>,
}

#[derive(Clone, Debug)]
struct Inner {
    external: External,
    trust_host: bool,
    algorithms: Vec<Algorithm>,
    algs: Box<str>,
    max_age: u64,
    leeway: u64,
    bearer: bool,
    replay: ReplayCache,
    nonces: Option<Nonces>,
}

impl Dpop {
    /// DPoP for a server whose clients reach it at `external_url`: `https://host[:port]`,
    /// with the path prefix a proxy in front strips, if any (`https://example.com/api`). A
    /// proof's `htu` must be this URL followed by the path the router sees. The `Host` header
    /// is not trusted for it (see `dangerous::dpop_trust_host`).
    ///
    /// Defaults: the asymmetric algorithms (ES256, ES384, EdDSA, PS256..512, RS256..512),
    /// proofs at most 60 s old with 5 s of leeway, Bearer tokens accepted beside DPoP ones,
    /// an [in-memory](ReplayCache::in_memory) replay cache, no server nonces.
    ///
    /// # Errors
    ///
    /// [`DpopConfigError::ExternalUrl`] when `external_url` is not such a URL.
    pub fn new(external_url: &str) -> Result<Self, DpopConfigError> {
        let external = External::parse(external_url).ok_or(DpopConfigError::ExternalUrl)?;
        Ok(Self {
            inner: Arc::new(Inner {
                external,
                trust_host: false,
                algs: algs_text(DEFAULT_ALGORITHMS),
                algorithms: DEFAULT_ALGORITHMS.to_vec(),
                max_age: 60,
                leeway: 5,
                bearer: true,
                replay: ReplayCache::in_memory(),
                nonces: None,
            }),
        })
    }

    fn configure(mut self, change: impl FnOnce(&mut Inner)) -> Self {
        change(Arc::make_mut(&mut self.inner));
        self
    }

    /// The algorithms proofs may be signed with, announced in challenges as `algs`.
    ///
    /// # Errors
    ///
    /// [`DpopConfigError::Algorithms`] for an empty list or a symmetric algorithm.
    pub fn algorithms(self, algorithms: &[Algorithm]) -> Result<Self, DpopConfigError> {
        let symmetric =
            |alg: &Algorithm| matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512);
        if algorithms.is_empty() || algorithms.iter().any(symmetric) {
            return Err(DpopConfigError::Algorithms);
        }
        Ok(self.configure(|inner| {
            inner.algorithms = algorithms.to_vec();
            inner.algs = algs_text(algorithms);
        }))
    }

    /// How old a proof's `iat` may be, in whole seconds. Default 60 s.
    #[must_use]
    pub fn max_age(self, max_age: Duration) -> Self {
        self.configure(|inner| inner.max_age = max_age.as_secs())
    }

    /// Clock skew tolerated on `iat`, both ways, in whole seconds. Default 5 s.
    #[must_use]
    pub fn leeway(self, leeway: Duration) -> Self {
        self.configure(|inner| inner.leeway = leeway.as_secs())
    }

    /// Accepts DPoP tokens only: a request with `Authorization: Bearer` is answered as one
    /// without credentials, challenged with `DPoP` alone.
    #[must_use]
    pub fn dpop_only(self) -> Self {
        self.configure(|inner| inner.bearer = false)
    }

    /// Where proofs' `jti`s are remembered: [`ReplayCache::in_memory`] for one replica (the
    /// default), [`ReplayCache::redis`] for replicas behind one load balancer.
    #[must_use]
    pub fn replay_cache(self, cache: ReplayCache) -> Self {
        self.configure(|inner| inner.replay = cache)
    }

    /// Requires a server nonce in every proof (RFC 9449 §8). Nonces are stateless, an HMAC
    /// with `secret` over a window of `window` (a nonce holds for one to two windows): give
    /// every replica the same secret and each accepts the nonces the others issued. A proof
    /// without a current nonce is answered 401 `use_dpop_nonce` with a fresh `DPoP-Nonce`.
    ///
    /// # Errors
    ///
    /// [`DpopConfigError::NonceSecret`] when `secret` is shorter than 32 bytes.
    pub fn require_nonces(self, secret: &[u8], window: Duration) -> Result<Self, DpopConfigError> {
        let nonces = Nonces::new(secret, window).ok_or(DpopConfigError::NonceSecret)?;
        Ok(self.configure(|inner| inner.nonces = Some(nonces)))
    }

    /// See `dangerous::dpop_trust_host`.
    pub(crate) fn with_trusted_host(self) -> Self {
        self.configure(|inner| inner.trust_host = true)
    }

    /// Whether Bearer tokens are accepted beside DPoP ones.
    pub(crate) fn accepts_bearer(&self) -> bool {
        self.inner.bearer
    }

    /// The accepted algorithms, space separated, for challenges.
    pub(crate) fn algs(&self) -> &str {
        &self.inner.algs
    }

    /// A fresh nonce for a `DPoP-Nonce` header, when nonces are required.
    pub(crate) fn fresh_nonce(&self) -> Option<HeaderValue> {
        let nonce = self.inner.nonces.as_ref()?.issue(now())?;
        HeaderValue::try_from(nonce).ok()
    }

    /// The checks of the proof of `request` for `token`, without the replay cache.
    pub(crate) fn check(
        &self,
        request: &ProofRequest<'_>,
        token: &[u8],
    ) -> Result<Checked, ProofError> {
        let inner = &*self.inner;
        let host = if inner.trust_host { request.host } else { None };
        let uri = inner
            .external
            .request_uri(request.path, host)
            .ok_or(ProofError::Uri)?;
        // The one clock reading of the proof: its window, its nonce, its replay entry.
        let at = now();
        let now = i64::try_from(at).unwrap_or(i64::MAX);
        let max_age = i64::try_from(inner.max_age).unwrap_or(i64::MAX);
        let leeway = i64::try_from(inner.leeway).unwrap_or(i64::MAX);
        let accepts_nonce = |nonce: &str| {
            inner
                .nonces
                .as_ref()
                .is_some_and(|nonces| nonces.accepts(nonce, at))
        };
        let rules = proof::Rules {
            now,
            algorithms: &inner.algorithms,
            oldest: now.saturating_sub(max_age).saturating_sub(leeway),
            newest: now.saturating_add(leeway),
            nonce: inner
                .nonces
                .as_ref()
                .map(|_| &accepts_nonce as &dyn Fn(&str) -> bool),
        };
        proof::check(
            request.proof,
            &proof::Request {
                method: request.method,
                uri: &uri,
                token,
            },
            &rules,
        )
    }

    /// Records the proof's `jti`: refused when seen before within its window, or when the
    /// replay cache cannot answer.
    pub(crate) async fn first_use(&self, checked: &Checked) -> Result<(), ProofError> {
        let inner = &*self.inner;
        // Remembered while its `iat` would still pass: until iat + max_age + leeway.
        let until = checked.iat.saturating_add(
            i64::try_from(inner.max_age.saturating_add(inner.leeway)).unwrap_or(i64::MAX),
        );
        let left = until.saturating_sub(checked.at);
        let ttl = Duration::from_secs(u64::try_from(left).unwrap_or(0).saturating_add(1));
        match inner.replay.first_use(checked.replay_key, ttl).await {
            Replay::Fresh => Ok(()),
            Replay::Replayed => Err(ProofError::Replayed),
            Replay::Unavailable => Err(ProofError::ReplayUnavailable),
        }
    }
}

/// A request's proof and what it is compared with, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProofRequest<'r> {
    pub(crate) proof: &'r [u8],
    pub(crate) method: &'r str,
    /// The path as the router saw it first (axum's `OriginalUri` when nested).
    pub(crate) path: &'r str,
    /// The `Host` header (or the URI's authority), used only when trusted.
    pub(crate) host: Option<&'r str>,
}

impl<'r> ProofRequest<'r> {
    /// The proof of `parts`: its one `DPoP` header, method, path and host.
    ///
    /// # Errors
    ///
    /// [`ProofError::Missing`] or [`ProofError::Repeated`].
    pub(crate) fn of(parts: &'r Parts) -> Result<Self, ProofError> {
        let proof = Self::header(parts)?;
        let path = Self::of_path(parts);
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|host| host.to_str().ok())
            .or_else(|| parts.uri.authority().map(http::uri::Authority::as_str));
        Ok(Self {
            proof: proof.as_bytes(),
            method: parts.method.as_str(),
            path,
            host,
        })
    }
}

impl ProofRequest<'_> {
    /// The one `DPoP` header of `parts`.
    ///
    /// # Errors
    ///
    /// [`ProofError::Missing`] or [`ProofError::Repeated`].
    pub(crate) fn header(parts: &Parts) -> Result<&HeaderValue, ProofError> {
        let mut proofs = parts.headers.get_all("dpop").iter();
        let proof = proofs.next().ok_or(ProofError::Missing)?;
        if proofs.next().is_some() {
            return Err(ProofError::Repeated);
        }
        Ok(proof)
    }

    /// The path of `parts` as the router saw it first (axum's `OriginalUri` when nested).
    pub(crate) fn of_path(parts: &Parts) -> &str {
        parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path(), |original| original.0.path())
    }
}

/// `algorithms`' names, space separated.
fn algs_text(algorithms: &[Algorithm]) -> Box<str> {
    let names: Vec<String> = algorithms.iter().map(|alg| format!("{alg:?}")).collect();
    names.join(" ").into()
}

/// Seconds since 1970.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}
