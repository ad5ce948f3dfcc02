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

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use base64::Engine as _;
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, de::DeserializeSeed};

#[cfg(feature = "jwks")]
use crate::jwks::{JwksError, JwksOptions, Remote};
use crate::token::{DEFAULT_MAX_TOKEN_LEN, GrantedScopes, MAX_LEEWAY, TokenError};

/// Decoded headers up to this size are parsed from the stack; real headers
/// (`alg`, `typ`, `kid`, perhaps `x5t`) are well under 200 bytes.
const HEADER_STACK_LEN: usize = 1024;

/// Decoded payloads up to this size are read for scopes from the stack; the
/// default 8 KiB token bound keeps every payload below it.
const PAYLOAD_STACK_LEN: usize = 6 * 1024 + 16;

/// A token that passed [`Authenticator::verify`]: its claims and the scopes
/// it grants.
#[derive(Debug, Clone)]
pub struct Verified<C> {
    /// The payload deserialized into the caller's type.
    pub claims: C,
    /// The scopes the token grants, read from the claim chosen with
    /// [`AuthenticatorBuilder::scopes_claim`].
    pub scopes: GrantedScopes,
}

/// Where a token carries its scopes.
///
/// A claim that is absent (or `null`) grants no scope; a claim of the wrong
/// JSON type makes [`Authenticator::verify`] fail with
/// [`TokenError::InvalidClaims`]. Duplicates are dropped, first occurrence
/// kept.
#[derive(Clone, Copy, Default)]
#[non_exhaustive]
pub enum ScopesClaim {
    /// Both the RFC 9068 `scope` string and `FastAPI`'s tutorial `scopes`
    /// array, united (`scopes` first), as [`GrantedScopes`] reads them.
    /// The default.
    #[default]
    ScopeOrScopes,
    /// `scope`: one space-delimited string (RFC 9068 §2.2.3, RFC 8693 §4.2;
    /// Keycloak, Auth0, Okta).
    Scope,
    /// `scp`: a space-delimited string or an array of strings (Microsoft
    /// Entra ID, Okta).
    Scp,
    /// `scopes`: an array of strings (`FastAPI`'s tutorial).
    Scopes,
    /// A function of the whole payload, for scopes kept elsewhere, such as
    /// Keycloak's `realm_access.roles`. The payload is parsed into a
    /// `serde_json::Value` for it, which allocates.
    Custom(fn(&serde_json::Value) -> Vec<String>),
}

impl fmt::Debug for ScopesClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ScopeOrScopes => "ScopeOrScopes",
            Self::Scope => "Scope",
            Self::Scp => "Scp",
            Self::Scopes => "Scopes",
            Self::Custom(_) => "Custom(..)",
        })
    }
}

/// Why a [`Key`] could not be built, or why static JWKS text was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The list of accepted algorithms is empty.
    #[error("a key must accept at least one algorithm")]
    NoAlgorithm,
    /// An accepted algorithm does not belong to the key's type (for instance
    /// `HS256` for an RSA key, or `RS256` for a secret): the pairing that
    /// algorithm-confusion attacks rely on.
    #[error("algorithm {algorithm:?} does not fit this key")]
    AlgorithmMismatch {
        /// The offending algorithm.
        algorithm: Algorithm,
    },
    /// The key material could not be read (bad PEM, DER, base64 or curve
    /// point).
    #[error("key material is unreadable")]
    Unreadable(#[source] JwtError),
    /// A JWK of a type or curve that cannot verify JWS signatures here
    /// (`P-521`, `X25519`, an encryption key, ...).
    #[error("key type is not supported")]
    Unsupported,
    /// The JWKS text is not a JSON object with a `keys` array.
    #[error("key set is not a JWKS document")]
    InvalidJwks(#[source] Arc<serde_json::Error>),
}

/// One verification key with the algorithms it accepts.
///
/// The accepted algorithms are always explicit: a token's `alg` is only ever
/// checked against this list, so an RSA key never accepts `HS256` and no key
/// accepts `none`.
#[derive(Clone)]
pub struct Key {
    kid: Option<String>,
    decoding: DecodingKey,
    algorithms: Vec<Algorithm>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are never printed.
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// A shared secret for HMAC (`HS256`, `HS384`, `HS512`), used as bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoAlgorithm`] or [`KeyError::AlgorithmMismatch`] when
    /// `algorithms` is empty or names a non-HMAC algorithm.
    pub fn secret(secret: &[u8], algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        Self::new(DecodingKey::from_secret(secret), algorithms)
    }

    /// A public key in PEM: `PUBLIC KEY` (`SubjectPublicKeyInfo`, what
    /// `openssl pkey -pubout` writes) for RSA, EC and Ed25519, or
    /// `RSA PUBLIC KEY` (PKCS #1). Its type is taken from `algorithms`, which
    /// must all be of one family: RSA (`RS*`, `PS*`), EC (`ES256`, `ES384`)
    /// or `EdDSA`.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoAlgorithm`], [`KeyError::AlgorithmMismatch`] (mixed
    /// families, or an HMAC algorithm), or [`KeyError::Unreadable`].
    pub fn from_pem(pem: &[u8], algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        let key = match family_of(algorithms)? {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => {
                return Err(KeyError::AlgorithmMismatch {
                    algorithm: algorithms[0],
                });
            }
        }
        .map_err(KeyError::Unreadable)?;
        Self::new(key, algorithms)
    }

    /// A public key in DER `SubjectPublicKeyInfo` (what
    /// `openssl pkey -pubout -outform DER` writes), or PKCS #1 for RSA. Its
    /// type is taken from `algorithms`, as for [`Key::from_pem`].
    ///
    /// # Errors
    ///
    /// As [`Key::from_pem`].
    pub fn from_der(der: &[u8], algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        // jsonwebtoken's `from_*_der` take the inner key bytes; wrapping the
        // DER in PEM lets its parser unpack `SubjectPublicKeyInfo` for us.
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        base64::engine::general_purpose::STANDARD.encode_string(der, &mut pem);
        pem.push_str("\n-----END PUBLIC KEY-----\n");
        match Self::from_pem(pem.as_bytes(), algorithms) {
            Err(KeyError::Unreadable(_))
                if family_of(algorithms).ok() == Some(AlgorithmFamily::Rsa) =>
            {
                Self::new(DecodingKey::from_rsa_der(der), algorithms)
            }
            other => other,
        }
    }

    /// A key from a JSON Web Key (RFC 7517).
    ///
    /// The accepted algorithms are the JWK's `alg` when present (it must fit
    /// the key type), else every algorithm of the key type and curve: all of
    /// `RS*` and `PS*` for RSA, `ES256` for P-256, `ES384` for P-384, `EdDSA`
    /// for Ed25519, `HS*` for `oct`. The `kid` is kept.
    ///
    /// # Errors
    ///
    /// [`KeyError::Unsupported`] for keys marked `"use": "enc"`, keys whose
    /// `key_ops` lack `verify`, and unsupported types or curves;
    /// [`KeyError::AlgorithmMismatch`] when `alg` does not fit the key;
    /// [`KeyError::Unreadable`] for bad base64 or an Ed25519 key that is not
    /// 32 bytes.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if matches!(
            jwk.common.public_key_use,
            Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
        ) {
            return Err(KeyError::Unsupported);
        }
        if let Some(ops) = &jwk.common.key_operations
            && !ops.iter().any(|op| matches!(op, KeyOperations::Verify))
        {
            return Err(KeyError::Unsupported);
        }
        let implied: &[Algorithm] = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => AlgorithmFamily::Rsa.algorithms(),
            AlgorithmParameters::EllipticCurve(params) => match params.curve {
                EllipticCurve::P256 => &[Algorithm::ES256],
                EllipticCurve::P384 => &[Algorithm::ES384],
                _ => return Err(KeyError::Unsupported),
            },
            AlgorithmParameters::OctetKeyPair(params) => match params.curve {
                EllipticCurve::Ed25519 => &[Algorithm::EdDSA],
                _ => return Err(KeyError::Unsupported),
            },
            AlgorithmParameters::OctetKey(_) => AlgorithmFamily::Hmac.algorithms(),
            _ => return Err(KeyError::Unsupported),
        };
        let algorithms = match jwk.common.key_algorithm {
            None => implied.to_vec(),
            Some(alg) => {
                let alg = jwk_algorithm(alg).ok_or(KeyError::Unsupported)?;
                if !implied.contains(&alg) {
                    return Err(KeyError::AlgorithmMismatch { algorithm: alg });
                }
                vec![alg]
            }
        };
        let key = DecodingKey::from_jwk(jwk).map_err(KeyError::Unreadable)?;
        let mut key = Self::new(key, &algorithms)?;
        key.kid.clone_from(&jwk.common.key_id);
        Ok(key)
    }

    /// Every usable key of a JWKS document (`{"keys": [...]}`), in order.
    ///
    /// Keys that [`Key::from_jwk`] refuses (encryption keys, unsupported
    /// curves, ...) are skipped with a debug log, as providers publish them
    /// next to signing keys.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidJwks`] when `json` is not an object with a `keys`
    /// array.
    pub fn from_jwks(json: &str) -> Result<Vec<Self>, KeyError> {
        parse_jwks(json.as_bytes(), true).map_err(|err| KeyError::InvalidJwks(Arc::new(err)))
    }

    /// Sets the key id a token's `kid` header must equal to select this key.
    ///
    /// Defaults to none: the key is then only used for tokens without `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key id, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithms this key accepts.
    #[must_use]
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    fn new(key: DecodingKey, algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        if algorithms.is_empty() {
            return Err(KeyError::NoAlgorithm);
        }
        if let Some(&algorithm) = algorithms.iter().find(|alg| alg.family() != key.family()) {
            return Err(KeyError::AlgorithmMismatch { algorithm });
        }
        // jsonwebtoken slices an Ed25519 key to 32 bytes when verifying, which
        // panics on a shorter key: refuse it here instead.
        if key.family() == AlgorithmFamily::Ed
            && key.try_get_as_bytes().map(<[u8]>::len).ok() != Some(32)
        {
            return Err(KeyError::Unreadable(ErrorKind::InvalidEddsaKey.into()));
        }
        Ok(Self {
            kid: None,
            decoding: key,
            algorithms: algorithms.to_vec(),
        })
    }
}

fn family_of(algorithms: &[Algorithm]) -> Result<AlgorithmFamily, KeyError> {
    let first = algorithms.first().ok_or(KeyError::NoAlgorithm)?;
    match algorithms.iter().find(|alg| alg.family() != first.family()) {
        Some(&algorithm) => Err(KeyError::AlgorithmMismatch { algorithm }),
        None => Ok(first.family()),
    }
}

fn jwk_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    Algorithm::try_from(alg).ok()
}

/// Parses a JWKS document, skipping the keys that cannot verify signatures.
/// `allow_secrets` is false for fetched documents: a symmetric key published
/// at a URL would let anyone who can read it mint tokens.
pub(crate) fn parse_jwks(json: &[u8], allow_secrets: bool) -> Result<Vec<Key>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_slice(json)?;
    let mut keys = Vec::with_capacity(document.keys.len());
    for value in document.keys {
        let key = serde_json::from_value::<Jwk>(value)
            .map_err(|err| KeyError::InvalidJwks(Arc::new(err)))
            .and_then(|jwk| {
                if !allow_secrets && matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                    return Err(KeyError::Unsupported);
                }
                Key::from_jwk(&jwk)
            });
        match key {
            Ok(key) => keys.push(key),
            Err(err) => tracing::debug!(error = %err, "JWKS entry skipped"),
        }
    }
    Ok(keys)
}

/// One trusted token issuer: the `iss` its tokens carry, where its keys come
/// from, and the audiences it must name.
///
/// Keys are bound to their issuer: a token verified by one of these keys must
/// carry exactly this `iss` (unless built with [`Issuer::any`]). A token's
/// unverified `iss` is never used to choose a key.
#[derive(Debug, Clone)]
#[must_use]
pub struct Issuer {
    iss: Option<String>,
    audiences: Option<Vec<String>>,
    algorithms: Option<Vec<Algorithm>>,
    keys: Vec<Key>,
    #[cfg(feature = "jwks")]
    remote: Vec<RemoteSpec>,
}

#[cfg(feature = "jwks")]
#[derive(Debug, Clone)]
enum RemoteSpec {
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
            keys: Vec::new(),
            #[cfg(feature = "jwks")]
            remote: Vec::new(),
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
    /// fetched by [`AuthenticatorBuilder::build`]. The document's `issuer`
    /// must equal `issuer` exactly, and `iss` in tokens too.
    ///
    /// The discovery document is read once; the key set is refreshed as
    /// described under [`JwksOptions`].
    #[cfg(feature = "jwks")]
    pub fn discover(issuer: impl Into<String>) -> Self {
        let mut this = Self::new(issuer);
        this.remote.push(RemoteSpec::Discovery);
        this
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
    /// [`AuthenticatorBuilder::build`] and kept fresh as described under
    /// [`JwksOptions`]. The URL must be `https` (see [`crate::dangerous`]).
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
}

/// Claim checks shared by every key of one issuer; each key's `Validation`
/// is this with its algorithms filled in.
#[derive(Clone)]
pub(crate) struct IssuerPolicy {
    base: Validation,
    algorithms: Option<Vec<Algorithm>>,
}

impl IssuerPolicy {
    fn new(issuer: &Issuer, leeway: u64) -> Self {
        let mut required = HashSet::from(["exp".to_owned()]);
        let mut base = Validation::new(Algorithm::HS256);
        base.leeway = leeway;
        base.validate_exp = true;
        base.validate_nbf = true;
        base.validate_aud = issuer.audiences.is_some();
        if let Some(audiences) = &issuer.audiences {
            base.set_audience(audiences);
            required.insert("aud".to_owned());
        }
        if let Some(iss) = &issuer.iss {
            base.set_issuer(&[iss]);
            required.insert("iss".to_owned());
        }
        base.required_spec_claims = required;
        Self {
            base,
            algorithms: issuer.algorithms.clone(),
        }
    }

    /// The lookup table for `keys`.
    pub(crate) fn key_set(&self, keys: Vec<Key>) -> KeySet {
        let entries = keys
            .into_iter()
            .filter_map(|key| {
                let mut algorithms = key.algorithms;
                if let Some(allowed) = &self.algorithms {
                    algorithms.retain(|alg| allowed.contains(alg));
                }
                if algorithms.is_empty() {
                    return None;
                }
                let mut validation = self.base.clone();
                validation.algorithms = algorithms;
                Some(Entry {
                    kid: key.kid,
                    key: key.decoding,
                    validation,
                })
            })
            .collect();
        KeySet { entries }
    }
}

/// The keys of one source, as the request path reads them.
pub(crate) struct KeySet {
    entries: Vec<Entry>,
}

impl KeySet {
    #[cfg(feature = "jwks")]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

struct Entry {
    kid: Option<String>,
    key: DecodingKey,
    /// Algorithms, leeway, `iss` and `aud` for this key, built once.
    validation: Validation,
}

/// A set of keys: fixed, or fetched and swapped in by the JWKS client.
pub(crate) struct Source {
    pub(crate) keys: ArcSwap<KeySet>,
    pub(crate) remote: Option<Remote>,
}

/// Without the `jwks` feature there is no remote key set; this stand-in
/// cannot exist, so the refresh path compiles away.
#[cfg(not(feature = "jwks"))]
pub(crate) enum Remote {}

#[cfg(not(feature = "jwks"))]
impl Remote {
    fn refresh_on_miss(&self, _: &ArcSwap<KeySet>) -> std::future::Ready<()> {
        match *self {}
    }

    fn is_failing(&self) -> bool {
        match *self {}
    }
}

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
#[doc = include_str!("../docs/verifying.md")]
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    sources: Vec<Arc<Source>>,
    max_token_len: usize,
    leeway: u64,
    require_at_jwt: bool,
    scopes_claim: ScopesClaim,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("sources", &self.inner.sources.len())
            .field("max_token_len", &self.inner.max_token_len)
            .field("leeway_secs", &self.inner.leeway)
            .field("require_at_jwt", &self.inner.require_at_jwt)
            .field("scopes_claim", &self.inner.scopes_claim)
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
    /// (values above [`MAX_LEEWAY`] are clamped).
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
    /// [`crate::dangerous`]), a discovery document names another issuer, or a
    /// fetch fails.
    #[cfg_attr(
        not(feature = "jwks"),
        expect(
            clippy::unused_async,
            reason = "async for the key fetches of the `jwks` feature; the signature stays the same without it"
        )
    )]
    pub async fn build(self) -> Result<Authenticator, BuildError> {
        crate::token::install_crypto_provider();
        let leeway = self.leeway.min(MAX_LEEWAY).as_secs();
        let mut sources = Vec::new();
        for issuer in &self.issuers {
            let policy = IssuerPolicy::new(issuer, leeway);
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
                    RemoteSpec::Url(url) => crate::jwks::JwksUrl::Direct(url),
                    RemoteSpec::Discovery => {
                        crate::jwks::JwksUrl::Discover(issuer.iss.as_deref().unwrap_or_default())
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
        Ok(Authenticator {
            inner: Arc::new(Inner {
                sources,
                max_token_len: self.max_token_len,
                leeway,
                require_at_jwt: self.require_at_jwt,
                scopes_claim: self.scopes_claim,
            }),
        })
    }
}

/// The two header members that choose the key, borrowed from the decoded
/// header where they contain no escapes.
#[derive(Deserialize)]
struct KeyHeader<'a> {
    #[serde(borrow)]
    alg: Text<'a>,
    #[serde(borrow, default)]
    kid: Option<Text<'a>>,
}

/// A JSON string borrowed from the input unless it holds escapes. serde's
/// own `Cow<str>` always copies once nested (in an `Option`, a map key, a
/// sequence element), which would cost an allocation per claim name.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<Text<'a>>);

        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(value)))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(value.to_owned())))
            }
        }

        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

enum Selection<T> {
    Found(T),
    /// The token's `kid` is carried by no key.
    UnknownKid,
    /// No key accepts the token's algorithm (with its `kid`, if any).
    NoKeyForAlgorithm,
    Ambiguous,
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
            #[cfg(feature = "jwks")]
            jwks: JwksOptions::default(),
        }
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
        let result = self.verify_inner(token).await;
        if let Err(err) = &result {
            tracing::debug!(error = %err, "bearer token rejected");
        }
        result
    }

    async fn verify_inner<C: DeserializeOwned>(
        &self,
        token: &[u8],
    ) -> Result<Verified<C>, TokenError> {
        match self.verify_now(token) {
            Err(Rejection::UnknownKid) => {}
            other => return other.map_err(Rejection::into_token_error),
        }
        if !self.refresh_remote_keys().await {
            return Err(TokenError::UnknownKey);
        }
        match self.verify_now(token) {
            Err(Rejection::UnknownKid) if self.remote_keys_failing() => {
                Err(TokenError::KeysUnavailable)
            }
            other => other.map_err(Rejection::into_token_error),
        }
    }

    /// Everything but the refresh, synchronously: the key is chosen with
    /// the `kid` borrowed from the stack-decoded header.
    fn verify_now<C: DeserializeOwned>(&self, token: &[u8]) -> Result<Verified<C>, Rejection> {
        if token.len() > self.inner.max_token_len {
            return Err(TokenError::TooLarge.into());
        }
        let (header, _) = segments(token).ok_or_else(malformed)?;
        with_decoded::<HEADER_STACK_LEN, _, _>(header, |json| {
            let header: KeyHeader<'_> = serde_json::from_slice(json)
                .map_err(|err| TokenError::Malformed(JwtError::from(err)))?;
            let alg = Algorithm::from_str(&header.alg.0).map_err(TokenError::Malformed)?;
            match self.select(alg, header.kid.as_ref().map(|kid| &*kid.0)) {
                Selection::Found((keys, index)) => Ok(self.decode(token, &keys.entries[index])?),
                Selection::UnknownKid => Err(Rejection::UnknownKid),
                Selection::Ambiguous => Err(TokenError::AmbiguousKey.into()),
                Selection::NoKeyForAlgorithm => {
                    Err(TokenError::DisallowedAlgorithm(ErrorKind::InvalidAlgorithm.into()).into())
                }
            }
        })
    }

    /// Finds the one key for `alg` and `kid` across all sources, without a
    /// lock or an allocation: `arc-swap` loads and linear scans.
    fn select(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
    ) -> Selection<(arc_swap::Guard<Arc<KeySet>>, usize)> {
        let mut found = None;
        let mut kid_seen = false;
        for source in &self.inner.sources {
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
                found = Some((keys, index));
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

    fn decode<C: DeserializeOwned>(
        &self,
        token: &[u8],
        entry: &Entry,
    ) -> Result<Verified<C>, TokenError> {
        let data = jsonwebtoken::decode::<C>(token, &entry.key, &entry.validation)
            .map_err(|err| TokenError::from_decode(token, err))?;
        if data.header.crit.is_some() {
            return Err(TokenError::CriticalHeader);
        }
        if self.inner.require_at_jwt && !is_access_token_type(data.header.typ.as_deref()) {
            return Err(TokenError::WrongType);
        }
        let scopes = read_payload(token, self.inner.scopes_claim, self.inner.leeway)?;
        Ok(Verified {
            claims: data.claims,
            scopes,
        })
    }
}

/// RFC 9068 §4: `at+jwt`, optionally with the `application/` prefix; media
/// types compare case-insensitively.
fn is_access_token_type(typ: Option<&str>) -> bool {
    let Some(typ) = typ else { return false };
    let typ = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    typ.eq_ignore_ascii_case("at+jwt")
}

fn malformed() -> TokenError {
    TokenError::Malformed(ErrorKind::InvalidToken.into())
}

/// The segments of a compact JWS, or `None` unless there are exactly three.
fn segments(token: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut parts = token.split(|&b| b == b'.');
    let header = parts.next()?;
    let payload = parts.next()?;
    parts.next()?;
    parts.next().is_none().then_some((header, payload))
}

/// Decodes base64url `input` into a stack buffer of `N` bytes when it fits,
/// else onto the heap, and hands the bytes to `f`.
fn with_decoded<const N: usize, R, E: From<TokenError>>(
    input: &[u8],
    f: impl FnOnce(&[u8]) -> Result<R, E>,
) -> Result<R, E> {
    let engine = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if base64::decoded_len_estimate(input.len()) <= N {
        let mut stack = [0u8; N];
        let len = engine
            .decode_slice(input, &mut stack)
            .map_err(|_| malformed())?;
        f(&stack[..len])
    } else {
        let heap = engine.decode(input).map_err(|_| malformed())?;
        f(&heap)
    }
}

/// Why the synchronous part of verification stopped.
enum Rejection {
    /// The `kid` is unknown: worth one refresh of the remote key sets.
    UnknownKid,
    Token(TokenError),
}

impl Rejection {
    fn into_token_error(self) -> TokenError {
        match self {
            Self::UnknownKid => TokenError::UnknownKey,
            Self::Token(err) => err,
        }
    }
}

impl From<TokenError> for Rejection {
    fn from(err: TokenError) -> Self {
        Self::Token(err)
    }
}

/// Reads the scopes claim and checks `iat`, from a second pass over the
/// (already verified) payload.
fn read_payload(
    token: &[u8],
    claim: ScopesClaim,
    leeway: u64,
) -> Result<GrantedScopes, TokenError> {
    let (_, payload) = segments(token).ok_or_else(malformed)?;
    with_decoded::<PAYLOAD_STACK_LEN, _, TokenError>(payload, |json| {
        let invalid = |err: serde_json::Error| TokenError::InvalidClaims(JwtError::from(err));
        let (iat, scopes) = if let ScopesClaim::Custom(read) = claim {
            let value: serde_json::Value = serde_json::from_slice(json).map_err(invalid)?;
            let iat = match value.get("iat") {
                None | Some(serde_json::Value::Null) => None,
                Some(iat) => Some(iat.as_f64().ok_or_else(|| {
                    TokenError::InvalidClaims(ErrorKind::InvalidClaimFormat("iat".into()).into())
                })?),
            };
            (iat, read(&value))
        } else {
            let mut de = serde_json::Deserializer::from_slice(json);
            let claims = PayloadSeed(claim).deserialize(&mut de).map_err(invalid)?;
            (claims.0, claims.1)
        };
        #[expect(
            clippy::cast_precision_loss,
            reason = "seconds since 1970 stay far below 2^53"
        )]
        let latest = now().saturating_add(leeway) as f64;
        if let Some(iat) = iat
            && iat > latest
        {
            return Err(TokenError::NotYetValid(ErrorKind::ImmatureSignature.into()));
        }
        Ok(GrantedScopes::from_vec(scopes))
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Deserializes `{ iat, <scopes claim(s)> }` straight into the output
/// vector, skipping every other member without allocating.
struct PayloadSeed(ScopesClaim);

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = (Option<f64>, Vec<String>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PayloadSeed {
    type Value = (Option<f64>, Vec<String>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut iat = None;
        let mut scopes = Vec::new();
        let mut scope_string = Vec::new();
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            let shape = match (self.0, &*name) {
                (_, "iat") => {
                    // RFC 7519 §4.1.6: a NumericDate, so anything else is
                    // invalid claims.
                    iat = map.next_value::<Option<f64>>()?;
                    continue;
                }
                (ScopesClaim::Scope | ScopesClaim::ScopeOrScopes, "scope") => Shape::String,
                (ScopesClaim::Scopes | ScopesClaim::ScopeOrScopes, "scopes") => Shape::Array,
                (ScopesClaim::Scp, "scp") => Shape::Either,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // The tutorial's `scopes` come before `scope` whatever the order
            // in the payload.
            let out = if name == "scope" {
                &mut scope_string
            } else {
                &mut scopes
            };
            map.next_value_seed(ScopeList { shape, out })?;
        }
        if scopes.is_empty() {
            // Reuse the buffer rather than copy into a fresh one.
            scopes = scope_string;
        } else {
            scopes.append(&mut scope_string);
        }
        Ok((iat, scopes))
    }
}

#[derive(Clone, Copy)]
enum Shape {
    String,
    Array,
    Either,
}

/// One scopes claim, appended to `out`.
struct ScopeList<'o> {
    shape: Shape,
    out: &'o mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for ScopeList<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScopeList<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.shape {
            Shape::String => "a space-delimited string of scopes",
            Shape::Array => "an array of scope strings",
            Shape::Either => "a space-delimited string or an array of scopes",
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        if matches!(self.shape, Shape::Array) {
            return Err(E::invalid_type(de::Unexpected::Str(value), &self));
        }
        // RFC 6749 §3.3: single spaces; runs of spaces yield no empty scope.
        let words = value.split(' ').filter(|word| !word.is_empty());
        self.out.reserve_exact(words.clone().count());
        self.out.extend(words.map(str::to_owned));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if matches!(self.shape, Shape::String) {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        while let Some(Text(scope)) = seq.next_element::<Text<'de>>()? {
            self.out.push(scope.into_owned());
        }
        Ok(())
    }
}
