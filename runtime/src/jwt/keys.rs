//! Signing and verifying the JWT access tokens of `FastAPI`'s OAuth2-scopes
//! tutorial (and tokens shaped like them), on top of `jsonwebtoken`.
//!
//! [`JwtKeys`] holds the key material for signing and a [`Verifier`] with one
//! fixed key; [`JwtKeys::verify`] turns bearer-token bytes into the
//! caller's claims type or a [`TokenError`]; [`JwtKeys::issue`] and
//! [`JwtKeys::issue_with_expiry`] mint tokens that `PyJWT` (and so a `FastAPI`
//! application) accepts, and vice versa. [`GrantedScopes`](super::GrantedScopes) reads the scopes a
//! token grants, from the tutorial's `scopes` array or RFC 9068's `scope`
//! string.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::accepted::Verified;
use super::cache::{TokenCacheOptions, TokenCacheStats};
use super::claims::ScopesClaim;
use super::error::{DEFAULT_MAX_TOKEN_LEN, TokenError};
use super::key::Key;
use super::policy::{Rules, RulesSpec, Source};
use super::verifier::{Verifier, log_refused};
use super::verify::Refused;
use crate::revocation::Revocations;

/// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
const MIN_HS256_SECRET_LEN: usize = 32;

/// Key material plus verification policy for JWT access tokens.
///
/// Build it once at startup and share it: cloning it is cheap (one `Arc`), so
/// it can live in axum state that is cloned per request. [`JwtKeys::hs256`] covers `FastAPI`'s tutorial:
///
/// ```ignore
/// let keys = JwtKeys::hs256(b"09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7");
/// let token = keys.issue_with_expiry(&serde_json::json!({"sub": "johndoe", "scopes": ["me"]}),
///                                    Duration::from_secs(30 * 60))?;
/// let claims: Claims = keys.verify(&token)?;
/// ```
///
/// # Defaults
///
/// Every field of `jsonwebtoken`'s [`Validation`](jsonwebtoken::Validation) is set here rather than
/// inherited, since several of its defaults differ from `PyJWT`'s:
///
/// | setting | default | change with |
/// | --- | --- | --- |
/// | accepted algorithms | the signing algorithm only | [`JwtKeys::algorithms`] |
/// | leeway on `exp`/`nbf` | 0 s (`PyJWT`'s default; `jsonwebtoken`'s is 60 s) | [`JwtKeys::leeway`] |
/// | `exp` | required and checked | — |
/// | `nbf` | checked when present (`jsonwebtoken` ignores it by default) | — |
/// | `aud` | not checked | [`JwtKeys::audience`] (then required) |
/// | `iss` | not checked | [`JwtKeys::issuer`] (then required) |
/// | `sub` | not checked | — |
/// | early-expiry margin | 0 s | — |
/// | `crit` header | rejected | — |
/// | token length | at most [`DEFAULT_MAX_TOKEN_LEN`] bytes | [`JwtKeys::max_token_len`] |
/// | verified-token cache of [`JwtKeys::verify_scoped`] | on, [`TokenCacheOptions::default`] | [`JwtKeys::token_cache`] |
///
/// # Crypto backend
///
/// `jsonwebtoken` picks its crypto backend from its cargo features, and
/// when feature unification turns on both `rust_crypto` and `aws_lc_rs`
/// without a process-wide provider installed, it panics at the first
/// signature operation. Every constructor therefore installs one provider
/// explicitly, see [`install_crypto_provider`](super::install_crypto_provider).
/// If the application installed a provider first, that choice is kept.
#[derive(Clone)]
pub struct JwtKeys {
    inner: Arc<KeysInner>,
}

#[derive(Clone)]
struct KeysInner {
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    signing_algorithm: Algorithm,
    /// base64url of the exact header `PyJWT` writes, computed once.
    signing_header: String,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    issuers: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    max_token_len: usize,
    scopes_claim: ScopesClaim,
    cache_options: TokenCacheOptions,
    revocations: Option<Revocations>,
    /// The one key under the rules built from the fields above, with its verified-token
    /// cache; rebuilt (cache emptied) by every setter, so no entry outlives the policy that
    /// accepted it.
    verifier: Arc<Verifier>,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Key bytes are never printed, only whether a signing key exists.
        f.debug_struct("JwtKeys")
            .field("signing_algorithm", &self.inner.signing_algorithm)
            .field("can_sign", &self.inner.encoding.is_some())
            .field("algorithms", &self.inner.algorithms)
            .field("leeway", &self.inner.leeway)
            .field("audience", &self.inner.audiences)
            .field("issuer", &self.inner.issuers)
            .field("max_token_len", &self.inner.max_token_len)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys for HMAC-SHA256 with a shared `secret`, as in `FastAPI`'s tutorial
    /// (`SECRET_KEY` is used as its UTF-8 bytes, not hex-decoded).
    ///
    /// Signs with HS256 and accepts only HS256; see the type-level table for
    /// the other defaults. A secret shorter than 32 bytes is accepted (`PyJWT`
    /// accepts it too) but logs a `tracing` warning, since RFC 7518 §3.2
    /// requires at least the hash size.
    ///
    /// # Panics
    ///
    /// If `secret` is empty: every token would be forgeable.
    #[must_use]
    pub fn hs256(secret: &[u8]) -> Self {
        if secret.len() < MIN_HS256_SECRET_LEN {
            tracing::warn!(
                len = secret.len(),
                "HS256 secret is shorter than 32 bytes (RFC 7518 §3.2); use a longer random secret"
            );
        }
        assert!(!secret.is_empty(), "the HS256 secret is empty");
        // Neither constructor fails on a non-empty secret.
        let (Ok(encoding), Ok(decoding)) = (
            EncodingKey::from_secret(secret),
            DecodingKey::from_secret(secret),
        ) else {
            unreachable!("a non-empty secret is a valid HMAC key")
        };
        Self::from_keys(Algorithm::HS256, encoding, decoding)
    }

    /// Keys for any algorithm `jsonwebtoken` supports, e.g. RS256 with
    /// [`EncodingKey::from_rsa_pem`] and [`DecodingKey::from_rsa_pem`].
    ///
    /// Signs with `algorithm` and accepts only `algorithm` until
    /// [`JwtKeys::algorithms`] says otherwise.
    ///
    /// # Panics
    ///
    /// If either key belongs to another algorithm family than `algorithm`:
    /// that is a configuration bug which would otherwise surface as every
    /// token being rejected.
    #[must_use]
    pub fn from_keys(algorithm: Algorithm, encoding: EncodingKey, decoding: DecodingKey) -> Self {
        assert_eq!(
            encoding.family(),
            algorithm.family(),
            "signing key does not match {algorithm:?}"
        );
        Self::build(algorithm, Some(encoding), decoding)
    }

    /// Keys that only verify, for tokens minted elsewhere (an identity
    /// provider's RS256 public key, say). [`JwtKeys::issue`] then fails with
    /// [`TokenError::NoSigningKey`].
    ///
    /// Accepts only `algorithm` until [`JwtKeys::algorithms`] says otherwise.
    ///
    /// # Panics
    ///
    /// If `decoding` belongs to another algorithm family than `algorithm`.
    #[must_use]
    pub fn verify_only(algorithm: Algorithm, decoding: DecodingKey) -> Self {
        Self::build(algorithm, None, decoding)
    }

    fn build(algorithm: Algorithm, encoding: Option<EncodingKey>, decoding: DecodingKey) -> Self {
        assert_eq!(
            decoding.family(),
            algorithm.family(),
            "verification key does not match {algorithm:?}"
        );
        crate::crypto::install_crypto_provider();
        let mut inner = KeysInner {
            encoding,
            decoding,
            signing_algorithm: algorithm,
            signing_header: pyjwt_header(algorithm),
            algorithms: vec![algorithm],
            leeway: Duration::ZERO,
            issuers: None,
            audiences: None,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            scopes_claim: ScopesClaim::ScopeOrScopes,
            cache_options: TokenCacheOptions::default(),
            revocations: None,
            verifier: Arc::new(Verifier::new(
                Vec::new(),
                0,
                TokenCacheOptions::disabled(),
                None,
            )),
        };
        inner.rebuild();
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Changes the configuration and rebuilds the core's policy from it.
    fn configure(mut self, change: impl FnOnce(&mut KeysInner)) -> Self {
        let inner = Arc::make_mut(&mut self.inner);
        change(inner);
        inner.rebuild();
        self
    }

    /// Replaces the list of algorithms a token's header may name.
    ///
    /// Default: only the signing algorithm. The list is the only thing
    /// consulted; the token's own `alg` never widens it. The signing
    /// algorithm is not changed, so leaving it out means this instance
    /// rejects its own tokens (useful only while rotating).
    ///
    /// # Panics
    ///
    /// If `algorithms` is empty or names an algorithm of another family than
    /// the verification key (`jsonwebtoken` would reject every token).
    #[must_use]
    pub fn algorithms(self, algorithms: &[Algorithm]) -> Self {
        assert!(
            !algorithms.is_empty(),
            "at least one algorithm must be accepted"
        );
        let family: AlgorithmFamily = self.inner.decoding.family();
        for alg in algorithms {
            assert_eq!(
                alg.family(),
                family,
                "{alg:?} does not match the verification key"
            );
        }
        self.configure(|inner| inner.algorithms = algorithms.to_vec())
    }

    /// Tolerance for clock skew on `exp` and `nbf`, in whole seconds
    /// (fractions are dropped, values above [`MAX_LEEWAY`](super::MAX_LEEWAY) are clamped).
    ///
    /// Default: zero, like `PyJWT`: a token is expired from the second after
    /// its `exp`.
    #[must_use]
    pub fn leeway(self, leeway: Duration) -> Self {
        self.configure(|inner| inner.leeway = leeway)
    }

    /// Requires an `aud` claim naming at least one of `audiences`.
    ///
    /// Default: `aud` is neither required nor checked, so a token carrying
    /// any `aud` is accepted. An empty list rejects every token.
    #[must_use]
    pub fn audience<T: ToString>(self, audiences: &[T]) -> Self {
        let audiences = audiences.iter().map(ToString::to_string).collect();
        self.configure(|inner| inner.audiences = Some(audiences))
    }

    /// Requires an `iss` claim equal to one of `issuers`.
    ///
    /// Default: `iss` is neither required nor checked. An empty list rejects
    /// every token.
    #[must_use]
    pub fn issuer<T: ToString>(self, issuers: &[T]) -> Self {
        let issuers = issuers.iter().map(ToString::to_string).collect();
        self.configure(|inner| inner.issuers = Some(issuers))
    }

    /// Longest token, in bytes, that [`JwtKeys::verify`] will decode.
    ///
    /// Default: [`DEFAULT_MAX_TOKEN_LEN`] (8 KiB).
    #[must_use]
    pub fn max_token_len(self, max: usize) -> Self {
        self.configure(|inner| inner.max_token_len = max)
    }

    /// Bounds of the verified-token cache of [`JwtKeys::verify_scoped`], or
    /// [`TokenCacheOptions::disabled`].
    ///
    /// Defaults to [`TokenCacheOptions::default`]: on, at most 50,000 tokens and 64 MiB. A token
    /// accepted before is then served from its remembered payload without checking its
    /// signature again, after its `exp` (plus the leeway) and `nbf` (minus it) are checked
    /// against the clock; rejections are never remembered, and an entry ends at its token's
    /// `exp`. The rules are those of the [`Authenticator`](super::Authenticator)'s cache, see
    /// [`AuthenticatorBuilder::token_cache`](super::AuthenticatorBuilder::token_cache).
    #[must_use]
    pub fn token_cache(self, options: TokenCacheOptions) -> Self {
        self.configure(|inner| inner.cache_options = options)
    }

    /// Checks every token [`JwtKeys::verify_scoped`] and [`JwtKeys::verify`] accept, cache hits
    /// included, against `revocations` (see [`crate::revocation`]): a revoked token is refused
    /// with [`TokenError::Revoked`], every token with [`TokenError::RevocationsUnavailable`]
    /// while the revocations cannot be vouched for.
    #[must_use]
    pub fn revocations(self, revocations: Revocations) -> Self {
        self.configure(|inner| inner.revocations = Some(revocations))
    }

    /// How many verified tokens the cache of [`JwtKeys::verify_scoped`] holds now (0 when it
    /// is [disabled](TokenCacheOptions::disabled)), after pending evictions: for metrics and
    /// tests.
    #[must_use]
    pub fn cached_tokens(&self) -> u64 {
        self.inner.verifier.cache_stats().entries
    }

    /// What the verified-token cache did so far (hits, misses, evictions) and holds now: for
    /// metrics, and to size it with [`JwtKeys::token_cache`].
    #[must_use]
    pub fn token_cache_stats(&self) -> TokenCacheStats {
        self.inner.verifier.cache_stats()
    }

    /// The algorithm [`JwtKeys::issue`] signs with.
    #[must_use]
    pub fn signing_algorithm(&self) -> Algorithm {
        self.inner.signing_algorithm
    }

    /// The algorithms [`JwtKeys::verify`] accepts.
    #[must_use]
    pub fn accepted_algorithms(&self) -> &[Algorithm] {
        &self.inner.algorithms
    }

    /// Checks `token` (the bytes after `Bearer `, possibly not even ASCII)
    /// and deserializes its claims into `C`.
    ///
    /// Order of checks: length, then `jsonwebtoken`'s header parse,
    /// algorithm allow-list, signature, claims deserialization and
    /// `exp`/`nbf`/`iss`/`aud` validation, then the `crit` header. Never
    /// panics on any input.
    ///
    /// # Errors
    ///
    /// The [`TokenError`] variant names the first check that failed; see its
    /// variants. Signing-only variants ([`TokenError::NoSigningKey`],
    /// [`TokenError::Signing`]) are never returned here.
    pub fn verify<C: DeserializeOwned>(&self, token: impl AsRef<[u8]>) -> Result<C, TokenError> {
        self.verify_scoped(token).map(|verified| verified.claims)
    }

    /// [`JwtKeys::verify`], with the scopes the token grants read from the
    /// claim set with [`JwtKeys::scopes_claim`] by the same reader as
    /// [`Authenticator::verify`](super::Authenticator::verify).
    ///
    /// # Errors
    ///
    /// As [`JwtKeys::verify`]; a scopes claim of the wrong JSON type is
    /// [`TokenError::InvalidClaims`] (the tutorial's pydantic model rejects
    /// such a token too).
    ///
    /// A token accepted before is served from the verified-token cache (see
    /// [`JwtKeys::token_cache`]). A DPoP-bound token (`cnf`) is refused with
    /// [`TokenError::DpopBound`]: it is valid only with its proof (see [`crate::dpop`]).
    pub fn verify_scoped<C: DeserializeOwned>(
        &self,
        token: impl AsRef<[u8]>,
    ) -> Result<Verified<C>, TokenError> {
        let result = self
            .inner
            .verifier
            .verify(token.as_ref(), None)
            .and_then(|accepted| {
                accepted
                    .verified()
                    .map_err(|error| Refused::of(&accepted, error))
            });
        result.map_err(|refused| {
            log_refused(&refused, None);
            refused.error
        })
    }

    /// Where [`JwtKeys::verify_scoped`] reads the granted scopes.
    ///
    /// Defaults to [`ScopesClaim::ScopeOrScopes`]: the tutorial's `scopes`
    /// list, then RFC 9068's `scope` string.
    #[must_use]
    pub fn scopes_claim(self, claim: ScopesClaim) -> Self {
        self.configure(|inner| inner.scopes_claim = claim)
    }

    /// Signs `claims` as they serialize, with the header
    /// `{"alg":"HS256","typ":"JWT"}` (for HS256) byte for byte as `PyJWT`
    /// writes it.
    ///
    /// Nothing is added: without an `exp` the token will not pass
    /// [`JwtKeys::verify`]. [`JwtKeys::issue_with_expiry`] adds one.
    ///
    /// # Errors
    ///
    /// [`TokenError::NoSigningKey`] for [`JwtKeys::verify_only`] keys;
    /// [`TokenError::Signing`] if `claims` does not serialize to a JSON
    /// object (RFC 7519 §7.2) or the signer fails.
    pub fn issue<C: Serialize + ?Sized>(&self, claims: &C) -> Result<String, TokenError> {
        let payload = serde_json::to_vec(claims).map_err(signing_json_error)?;
        self.sign_payload(&payload)
    }

    /// Like [`JwtKeys::issue`], with `exp` set to now + `expires_in` as whole
    /// seconds since the epoch (fractions dropped, as `PyJWT` does for a
    /// `datetime`). An `exp` already in `claims` is replaced, like the
    /// tutorial's `to_encode.update({"exp": expire})`.
    ///
    /// The claims pass through a `serde_json::Value`, so the payload's keys
    /// come out sorted.
    ///
    /// # Errors
    ///
    /// As [`JwtKeys::issue`], plus [`TokenError::Signing`] when now +
    /// `expires_in` is not representable.
    pub fn issue_with_expiry<C: Serialize + ?Sized>(
        &self,
        claims: &C,
        expires_in: Duration,
    ) -> Result<String, TokenError> {
        let exp = SystemTime::now()
            .checked_add(expires_in)
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .ok_or_else(|| {
                TokenError::Signing(ErrorKind::InvalidClaimFormat("exp".to_owned()).into())
            })?
            .as_secs();
        let mut value = serde_json::to_value(claims).map_err(signing_json_error)?;
        let Some(object) = value.as_object_mut() else {
            return Err(not_an_object());
        };
        object.insert("exp".to_owned(), exp.into());
        let payload = serde_json::to_vec(&value).map_err(signing_json_error)?;
        self.sign_payload(&payload)
    }

    fn sign_payload(&self, payload: &[u8]) -> Result<String, TokenError> {
        let Some(key) = &self.inner.encoding else {
            return Err(TokenError::NoSigningKey);
        };
        // serde_json writes no leading whitespace, so this is exactly
        // "serialized to an object".
        if payload.first() != Some(&b'{') {
            return Err(not_an_object());
        }
        let mut token = String::with_capacity(
            self.inner.signing_header.len() + payload.len().div_ceil(3) * 4 + 100,
        );
        token.push_str(&self.inner.signing_header);
        token.push('.');
        b64url_encode_into(payload, &mut token);
        let signature =
            jsonwebtoken::crypto::sign(token.as_bytes(), key, self.inner.signing_algorithm)
                .map_err(TokenError::Signing)?;
        token.push('.');
        token.push_str(&signature);
        Ok(token)
    }
}

impl KeysInner {
    /// The verifier for the current settings: the one key under rules built from them, and a
    /// new, empty cache.
    fn rebuild(&mut self) {
        let rules = Rules::new(RulesSpec {
            issuers: self.issuers.as_deref(),
            named: false,
            audiences: self.audiences.as_deref(),
            algorithms: None,
            leeway: self.leeway,
            require_at_jwt: false,
            // PyJWT does not check `iat` against the clock; the tutorial's tokens carry none.
            check_iat: false,
            scopes: self.scopes_claim,
        });
        let key = Key::new(self.decoding.clone(), &self.algorithms).ok();
        let keys = rules.key_set(key.into_iter().collect());
        let source = Source::new(Arc::new(rules), keys);
        self.verifier = Arc::new(Verifier::new(
            vec![source],
            self.max_token_len,
            self.cache_options,
            self.revocations.clone(),
        ));
    }
}

fn signing_json_error(err: serde_json::Error) -> TokenError {
    TokenError::Signing(err.into())
}

fn not_an_object() -> TokenError {
    let err = <serde_json::Error as serde::ser::Error>::custom(
        "JWT claims must serialize to a JSON object",
    );
    signing_json_error(err)
}

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "axum-scopes needs a crypto backend: enable its feature `aws-lc-rs` (the default) or `rust-crypto`"
);

/// base64url of `{"alg":"<alg>","typ":"JWT"}`. `jsonwebtoken::Header`
/// serializes `typ` first; `PyJWT` writes `alg` first, and byte-identical
/// headers make tokens from both sides directly comparable.
fn pyjwt_header(algorithm: Algorithm) -> String {
    // Algorithm serializes as its bare name ("HS256"), which needs no escaping.
    let alg = serde_json::to_string(&algorithm).unwrap_or_else(|_| String::from("\"HS256\""));
    let json = format!(r#"{{"alg":{alg},"typ":"JWT"}}"#);
    let mut out = String::with_capacity(json.len().div_ceil(3) * 4);
    b64url_encode_into(json.as_bytes(), &mut out);
    out
}

/// Unpadded base64url (RFC 7515 §2).
fn b64url_encode_into(input: &[u8], out: &mut String) {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(input, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::GrantedScopes;
    use serde::Deserialize;
    use serde_json::json;

    /// `FastAPI` tutorial's `SECRET_KEY`.
    const SECRET: &[u8] = b"09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

    /// `PyJWT` 2.15.1:
    /// `jwt.encode({"sub": "johndoe", "scopes": ["me", "items"], "exp": datetime(2100, 1, 1, tzinfo=utc)}, SECRET_KEY, algorithm="HS256")`.
    /// Header: `{"alg":"HS256","typ":"JWT"}`; payload:
    /// `{"sub":"johndoe","scopes":["me","items"],"exp":4102444800}`.
    const PYJWT_TUTORIAL_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqb2huZG9lIiwic2NvcGVzIjpbIm1lIiwiaXRlbXMiXSwiZXhwIjo0MTAyNDQ0ODAwfQ.ocUNIJR9nd2fkH8Dev8yhaAYH8uMh1XhPhfYN6QxJCI";

    /// `PyJWT` 2.15.1, same secret:
    /// `{"sub": "alice", "scope": "me items", "exp": datetime(2100, 1, 1, tzinfo=utc)}`.
    const PYJWT_SCOPE_STRING_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInNjb3BlIjoibWUgaXRlbXMiLCJleHAiOjQxMDI0NDQ4MDB9.vk4Yf_mWMJDAiSgH1aEmvQ4QpeG08O8r-tgve2-d0rQ";

    const PYJWT_HS256_HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Claims {
        sub: Option<String>,
        #[serde(flatten)]
        scopes: GrantedScopes,
    }

    /// Field order matches the tutorial's dict so the payload bytes match.
    #[derive(Serialize)]
    struct TutorialClaims<'a> {
        sub: &'a str,
        scopes: &'a [&'a str],
        exp: u64,
    }

    fn keys() -> JwtKeys {
        JwtKeys::hs256(SECRET)
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// Signs arbitrary header and payload JSON, for tokens `issue` refuses to
    /// make.
    fn forge(header: &str, payload: &str, secret: &[u8], alg: Algorithm) -> String {
        let mut message = String::new();
        b64url_encode_into(header.as_bytes(), &mut message);
        message.push('.');
        b64url_encode_into(payload.as_bytes(), &mut message);
        let sig = jsonwebtoken::crypto::sign(
            message.as_bytes(),
            &EncodingKey::from_secret(secret).unwrap(),
            alg,
        )
        .unwrap();
        format!("{message}.{sig}")
    }

    fn forge_hs256(payload: &str) -> String {
        forge(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            payload,
            SECRET,
            Algorithm::HS256,
        )
    }

    fn far_future() -> u64 {
        now() + 3600
    }

    #[test]
    fn round_trip() {
        let keys = keys();
        let claims = json!({"sub": "johndoe", "scopes": ["me", "items"], "exp": far_future()});
        let token = keys.issue(&claims).unwrap();
        let back: Claims = keys.verify(&token).unwrap();
        assert_eq!(back.sub.as_deref(), Some("johndoe"));
        assert_eq!(back.scopes.iter().collect::<Vec<_>>(), ["me", "items"]);
    }

    #[test]
    fn round_trip_with_expiry() {
        let keys = keys();
        let before = now();
        let token = keys
            .issue_with_expiry(
                &json!({"sub": "johndoe", "exp": 1}),
                Duration::from_secs(1800),
            )
            .unwrap();
        let back: serde_json::Value = keys.verify(&token).unwrap();
        let exp = back["exp"].as_u64().unwrap();
        assert!((before + 1800..=now() + 1800).contains(&exp), "exp {exp}");
    }

    #[test]
    fn issue_with_expiry_overflow_is_an_error() {
        let err = keys()
            .issue_with_expiry(&json!({}), Duration::MAX)
            .unwrap_err();
        assert!(matches!(err, TokenError::Signing(_)), "{err:?}");
    }

    #[test]
    fn header_is_byte_identical_to_pyjwt() {
        let token = keys().issue(&json!({"exp": far_future()})).unwrap();
        assert_eq!(token.split('.').next(), Some(PYJWT_HS256_HEADER));
    }

    #[test]
    fn issued_token_is_byte_identical_to_pyjwt() {
        let claims = TutorialClaims {
            sub: "johndoe",
            scopes: &["me", "items"],
            exp: 4_102_444_800,
        };
        assert_eq!(keys().issue(&claims).unwrap(), PYJWT_TUTORIAL_TOKEN);
    }

    #[test]
    fn pyjwt_tutorial_token_verifies() {
        let claims: Claims = keys().verify(PYJWT_TUTORIAL_TOKEN).unwrap();
        assert_eq!(claims.sub.as_deref(), Some("johndoe"));
        assert!(claims.scopes.contains("me"));
        assert!(claims.scopes.contains("items"));
        assert!(!claims.scopes.contains("admin"));
        assert_eq!(claims.scopes.len(), 2);
    }

    #[test]
    fn pyjwt_scope_string_token_verifies() {
        let claims: Claims = keys().verify(PYJWT_SCOPE_STRING_TOKEN).unwrap();
        assert_eq!(claims.sub.as_deref(), Some("alice"));
        assert_eq!(claims.scopes.iter().collect::<Vec<_>>(), ["me", "items"]);
    }

    #[test]
    fn scopes_and_scope_are_united_in_order() {
        let got: GrantedScopes = serde_json::from_value(
            json!({"scopes": ["me", "items"], "scope": "items  admin me read"}),
        )
        .unwrap();
        assert_eq!(
            got.iter().collect::<Vec<_>>(),
            ["me", "items", "admin", "read"]
        );
        let none: GrantedScopes = serde_json::from_value(json!({"sub": "x"})).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn granted_scopes_serialize_as_tutorial_list() {
        let claims = Claims {
            sub: Some("johndoe".into()),
            scopes: ["me", "items", "me"].into_iter().collect(),
        };
        assert_eq!(
            serde_json::to_value(&claims).unwrap(),
            json!({"sub": "johndoe", "scopes": ["me", "items"]})
        );
    }

    #[test]
    fn scopes_not_a_list_of_strings_is_invalid_claims() {
        let keys = keys();
        let exp = far_future();
        for scopes in [
            json!("me items"),
            json!([1, 2]),
            json!(null),
            json!({"me": true}),
        ] {
            let token = keys
                .issue(&json!({"sub": "johndoe", "scopes": scopes, "exp": exp}))
                .unwrap();
            let err = keys.verify::<Claims>(&token).unwrap_err();
            assert!(
                matches!(err, TokenError::InvalidClaims(_)),
                "{scopes}: {err:?}"
            );
        }
        let token = keys.issue(&json!({"scope": ["me"], "exp": exp})).unwrap();
        let err = keys.verify::<Claims>(&token).unwrap_err();
        assert!(matches!(err, TokenError::InvalidClaims(_)), "{err:?}");
    }

    #[test]
    fn expired_token_rejected_with_zero_leeway() {
        let keys = keys();
        let token = keys
            .issue(&json!({"sub": "johndoe", "exp": now() - 1}))
            .unwrap();
        let err = keys.verify::<Claims>(&token).unwrap_err();
        assert!(matches!(err, TokenError::Expired(_)), "{err:?}");
    }

    #[test]
    fn leeway_is_respected() {
        let token = keys().issue(&json!({"exp": now() - 30})).unwrap();
        let lenient = keys().leeway(Duration::from_secs(120));
        assert!(lenient.verify::<serde_json::Value>(&token).is_ok());
        let strict = keys().leeway(Duration::from_secs(5));
        assert!(matches!(
            strict.verify::<serde_json::Value>(&token),
            Err(TokenError::Expired(_))
        ));
    }

    #[test]
    fn leeway_is_clamped_so_arithmetic_cannot_overflow() {
        let keys = keys().leeway(Duration::MAX);
        let token = keys.issue(&json!({"exp": 1, "nbf": u64::MAX})).unwrap();
        assert!(keys.verify::<serde_json::Value>(&token).is_err());
    }

    #[test]
    fn nbf_in_future_rejected() {
        let keys = keys();
        let token = keys
            .issue(&json!({"exp": far_future(), "nbf": now() + 600}))
            .unwrap();
        let err = keys.verify::<serde_json::Value>(&token).unwrap_err();
        assert!(matches!(err, TokenError::NotYetValid(_)), "{err:?}");
    }

    #[test]
    fn wrong_signature_rejected() {
        let other = JwtKeys::hs256(b"another secret that is long enough to be fine!!");
        let token = other.issue(&json!({"exp": far_future()})).unwrap();
        let err = keys().verify::<serde_json::Value>(&token).unwrap_err();
        assert!(matches!(err, TokenError::InvalidSignature(_)), "{err:?}");

        // Same header and payload, one signature character changed.
        let mut tampered = PYJWT_TUTORIAL_TOKEN.to_owned();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let err = keys().verify::<Claims>(&tampered).unwrap_err();
        assert!(matches!(err, TokenError::InvalidSignature(_)), "{err:?}");
    }

    #[test]
    fn alg_none_rejected() {
        let mut token = String::new();
        b64url_encode_into(br#"{"alg":"none","typ":"JWT"}"#, &mut token);
        token.push('.');
        b64url_encode_into(
            format!(r#"{{"sub":"x","exp":{}}}"#, far_future()).as_bytes(),
            &mut token,
        );
        token.push('.');
        let err = keys().verify::<Claims>(&token).unwrap_err();
        assert!(matches!(err, TokenError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn hs384_rejected_when_only_hs256_allowed() {
        let payload = format!(r#"{{"sub":"x","exp":{}}}"#, far_future());
        let token = forge(
            r#"{"alg":"HS384","typ":"JWT"}"#,
            &payload,
            SECRET,
            Algorithm::HS384,
        );
        let err = keys().verify::<Claims>(&token).unwrap_err();
        assert!(matches!(err, TokenError::DisallowedAlgorithm(_)), "{err:?}");
        // The same token passes once HS384 is explicitly allowed, so the
        // rejection above is the allow-list and nothing else.
        let widened = keys().algorithms(&[Algorithm::HS256, Algorithm::HS384]);
        assert!(widened.verify::<Claims>(&token).is_ok());
    }

    #[test]
    #[should_panic(expected = "does not match the verification key")]
    fn algorithms_of_another_family_panic() {
        let _ = keys().algorithms(&[Algorithm::RS256]);
    }

    #[test]
    fn crit_header_rejected() {
        let payload = format!(r#"{{"sub":"x","exp":{}}}"#, far_future());
        let token = forge(
            r#"{"alg":"HS256","typ":"JWT","crit":["exp"],"exp":1}"#,
            &payload,
            SECRET,
            Algorithm::HS256,
        );
        let err = keys().verify::<Claims>(&token).unwrap_err();
        assert!(matches!(err, TokenError::CriticalHeader), "{err:?}");
        // Without `crit` the otherwise identical token is fine.
        let token = forge(
            r#"{"alg":"HS256","typ":"JWT","exp":1}"#,
            &payload,
            SECRET,
            Algorithm::HS256,
        );
        assert!(keys().verify::<Claims>(&token).is_ok());
    }

    #[test]
    fn oversized_token_rejected_before_decoding() {
        let keys = keys();
        let padding = "x".repeat(DEFAULT_MAX_TOKEN_LEN);
        let token = keys
            .issue(&json!({"exp": far_future(), "pad": padding}))
            .unwrap();
        assert!(matches!(
            keys.verify::<serde_json::Value>(&token),
            Err(TokenError::TooLarge)
        ));
        let roomy = self::keys().max_token_len(token.len());
        assert!(roomy.verify::<serde_json::Value>(&token).is_ok());
        let tight = self::keys().max_token_len(PYJWT_TUTORIAL_TOKEN.len() - 1);
        assert!(matches!(
            tight.verify::<Claims>(PYJWT_TUTORIAL_TOKEN),
            Err(TokenError::TooLarge)
        ));
    }

    #[test]
    fn garbage_and_non_utf8_are_malformed() {
        let keys = keys();
        let inputs: &[&[u8]] = &[
            b"",
            b".",
            b"..",
            b"...",
            b"not a token",
            b"a.b.c",
            b"a.b.c.d",
            b"\xff\xfe\xfd.\x80\x81.\xc3\x28",
            "é.ü.ß".as_bytes(),
            b"e30.e30.e30",
        ];
        for input in inputs {
            let err = keys.verify::<Claims>(input).unwrap_err();
            assert!(
                matches!(err, TokenError::Malformed(_)),
                "{input:?}: {err:?}"
            );
        }
        // A well-formed header is enough to reach the signature check, which
        // runs before the payload is decoded.
        let signature_first: &[&[u8]] = &[
            b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..",
            b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\xff.abc",
        ];
        for input in signature_first {
            let err = keys.verify::<Claims>(input).unwrap_err();
            assert!(
                matches!(err, TokenError::InvalidSignature(_)),
                "{input:?}: {err:?}"
            );
        }
    }

    #[test]
    fn missing_exp_rejected() {
        let keys = keys();
        let token = keys
            .issue(&json!({"sub": "johndoe", "scopes": ["me"]}))
            .unwrap();
        let err = keys.verify::<Claims>(&token).unwrap_err();
        assert!(
            matches!(err, TokenError::MissingClaim { claim: "exp", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn bad_time_claims_and_non_object_payload_are_rejected() {
        let keys = keys();
        let token = keys.issue(&json!({"exp": "tomorrow"})).unwrap();
        let err = keys.verify::<serde_json::Value>(&token).unwrap_err();
        assert!(
            matches!(err, TokenError::MissingClaim { claim: "exp", .. }),
            "{err:?}"
        );

        let token = keys
            .issue(&json!({"exp": far_future(), "nbf": "now"}))
            .unwrap();
        let err = keys.verify::<serde_json::Value>(&token).unwrap_err();
        assert!(matches!(err, TokenError::InvalidClaims(_)), "{err:?}");

        let token = forge_hs256("[1,2,3]");
        let err = keys.verify::<serde_json::Value>(&token).unwrap_err();
        assert!(matches!(err, TokenError::InvalidClaims(_)), "{err:?}");
    }

    #[test]
    fn issuer_and_audience_are_checked_only_when_configured() {
        let exp = far_future();
        let token = keys()
            .issue(&json!({"exp": exp, "iss": "me", "aud": "api"}))
            .unwrap();
        assert!(keys().verify::<serde_json::Value>(&token).is_ok());

        let good = keys().issuer(&["me"]).audience(&["api"]);
        assert!(good.verify::<serde_json::Value>(&token).is_ok());

        let err = keys()
            .issuer(&["them"])
            .verify::<serde_json::Value>(&token)
            .unwrap_err();
        assert!(matches!(err, TokenError::InvalidIssuer(_)), "{err:?}");

        let err = keys()
            .audience(&["other"])
            .verify::<serde_json::Value>(&token)
            .unwrap_err();
        assert!(matches!(err, TokenError::InvalidAudience(_)), "{err:?}");

        let bare = keys().issue(&json!({"exp": exp})).unwrap();
        let err = good.verify::<serde_json::Value>(&bare).unwrap_err();
        assert!(
            matches!(
                err,
                TokenError::MissingClaim {
                    claim: "aud" | "iss",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn issue_requires_an_object_and_a_signing_key() {
        let err = keys().issue(&json!(["not", "an", "object"])).unwrap_err();
        assert!(matches!(err, TokenError::Signing(_)), "{err:?}");
        let err = keys()
            .issue_with_expiry(&"string", Duration::from_secs(1))
            .unwrap_err();
        assert!(matches!(err, TokenError::Signing(_)), "{err:?}");

        let verifier =
            JwtKeys::verify_only(Algorithm::HS256, DecodingKey::from_secret(SECRET).unwrap());
        let err = verifier.issue(&json!({"exp": far_future()})).unwrap_err();
        assert!(matches!(err, TokenError::NoSigningKey), "{err:?}");
        assert!(verifier.verify::<Claims>(PYJWT_TUTORIAL_TOKEN).is_ok());
    }

    #[test]
    fn display_and_debug_do_not_leak_secrets_or_tokens() {
        let keys = keys();
        let debug = format!("{keys:?}");
        assert!(!debug.contains("09d25e"), "{debug}");

        let token = keys
            .issue(&json!({"exp": far_future(), "scopes": "SENSITIVE"}))
            .unwrap();
        let err = keys.verify::<Claims>(&token).unwrap_err();
        let display = err.to_string();
        assert!(!display.contains("SENSITIVE"), "{display}");
        for part in token.split('.') {
            assert!(!display.contains(part), "{display}");
        }
    }

    #[test]
    fn types_can_live_in_axum_state_and_errors() {
        fn assert_shareable<T: Send + Sync + 'static>() {}
        assert_shareable::<JwtKeys>();
        assert_shareable::<TokenError>();
        assert_shareable::<GrantedScopes>();
    }

    #[test]
    fn b64url_matches_known_vectors() {
        // RFC 4648 §10 vectors, base64url alphabet, no padding.
        for (input, expected) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (b"\xfb\xff\xbf", "-_-_"),
        ] {
            let mut out = String::new();
            b64url_encode_into(input, &mut out);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn headers_for_every_algorithm_parse_back() {
        for alg in [
            Algorithm::HS256,
            Algorithm::HS384,
            Algorithm::HS512,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
            Algorithm::EdDSA,
        ] {
            let header =
                jsonwebtoken::decode_header(format!("{}.e30.", pyjwt_header(alg))).unwrap();
            assert_eq!(header.alg, alg);
            assert_eq!(header.typ.as_deref(), Some("JWT"));
        }
    }
}
