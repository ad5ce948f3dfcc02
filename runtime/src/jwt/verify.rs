//! The one verification core. Every token, whether [`JwtKeys`](super::JwtKeys) or
//! [`Authenticator`](super::Authenticator) verifies it, goes through [`verify_now`]: one place
//! builds the validation policy ([`IssuerPolicy::new`]), one place reads the header and chooses
//! the key, one place runs the checks `jsonwebtoken` does not make (`crit`, `typ`, `iat`, `iss`
//! as exactly one string) and reads the granted scopes ([`super::claims`]), and one place logs a
//! rejection ([`log_rejection`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use base64::Engine as _;
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, Visitor};

use super::claims::{GrantedScopes, PayloadSeed, ScopesClaim};
use super::error::{MAX_LEEWAY, TokenError};
#[cfg(feature = "jwks")]
use super::jwks::Remote;
use super::key::{Key, KeyId};

/// Decoded headers up to this size are parsed from the stack; real headers
/// (`alg`, `typ`, `kid`, perhaps `x5t`) are well under 200 bytes.
const HEADER_STACK_LEN: usize = 1024;

/// Decoded payloads up to this size are read from the stack; the default
/// 8 KiB token bound keeps every payload below it.
const PAYLOAD_STACK_LEN: usize = 6 * 1024 + 16;

/// A verified token: its claims and the scopes it grants.
#[derive(Debug, Clone)]
pub struct Verified<C> {
    /// The payload deserialized into the caller's type.
    pub claims: C,
    /// The scopes the token grants, read from the claim chosen with
    /// [`AuthenticatorBuilder::scopes_claim`](super::AuthenticatorBuilder::scopes_claim)
    /// (or [`JwtKeys::scopes_claim`](super::JwtKeys::scopes_claim)).
    pub scopes: GrantedScopes,
}

/// The claim rules shared by every key of one issuer: the single place a
/// `jsonwebtoken` [`Validation`] is built. Each key's `Validation` is this
/// with its algorithms filled in.
#[derive(Clone)]
pub(crate) struct IssuerPolicy {
    base: Validation,
    algorithms: Option<Vec<Algorithm>>,
}

impl IssuerPolicy {
    /// `exp` required; `exp` and `nbf` checked with `leeway` (clamped to
    /// [`MAX_LEEWAY`], whole seconds); `iss` required and equal to one of
    /// `issuers` when given (and, in [`verify_now`], a single string); `aud`
    /// required and naming one of `audiences` when given; no early-expiry
    /// margin. `algorithms` narrows every key's own list.
    pub(crate) fn new(
        issuers: Option<&[String]>,
        audiences: Option<&[String]>,
        algorithms: Option<Vec<Algorithm>>,
        leeway: Duration,
    ) -> Self {
        let mut required = HashSet::from(["exp".to_owned()]);
        let mut base = Validation::new(Algorithm::HS256);
        base.leeway = clamp_leeway(leeway);
        base.reject_tokens_expiring_in_less_than = 0;
        base.validate_exp = true;
        base.validate_nbf = true;
        base.validate_aud = audiences.is_some();
        base.aud = None;
        base.iss = None;
        base.sub = None;
        if let Some(audiences) = audiences {
            base.set_audience(audiences);
            required.insert("aud".to_owned());
        }
        if let Some(issuers) = issuers {
            base.set_issuer(issuers);
            required.insert("iss".to_owned());
        }
        base.required_spec_claims = required;
        Self { base, algorithms }
    }

    /// The entry for one key, or `None` when the policy leaves it no
    /// algorithm.
    pub(crate) fn entry(&self, key: Key) -> Option<Entry> {
        let (kid, decoding, mut algorithms, id) = key.into_parts();
        if let Some(allowed) = &self.algorithms {
            algorithms.retain(|alg| allowed.contains(alg));
        }
        if algorithms.is_empty() {
            return None;
        }
        let mut validation = self.base.clone();
        validation.algorithms = algorithms;
        Some(Entry {
            kid,
            key: decoding,
            validation,
            id,
        })
    }

    /// The lookup table for `keys`.
    pub(crate) fn key_set(&self, keys: Vec<Key>) -> KeySet {
        KeySet {
            entries: keys.into_iter().filter_map(|key| self.entry(key)).collect(),
        }
    }
}

/// Whole seconds, at most [`MAX_LEEWAY`]: `jsonwebtoken` adds and subtracts
/// the leeway in unchecked `u64` arithmetic.
pub(crate) fn clamp_leeway(leeway: Duration) -> u64 {
    leeway.min(MAX_LEEWAY).as_secs()
}

/// The keys of one source, as the request path reads them.
pub(crate) struct KeySet {
    pub(crate) entries: Vec<Entry>,
}

impl KeySet {
    #[cfg(feature = "jwks")]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

pub(crate) struct Entry {
    pub(crate) kid: Option<String>,
    key: DecodingKey,
    /// Algorithms, leeway, `iss` and `aud` for this key, built once.
    pub(crate) validation: Validation,
    /// Which key this is, for the verified-token cache.
    pub(crate) id: KeyId,
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
    pub(crate) fn refresh_on_miss(&self, _: &ArcSwap<KeySet>) -> std::future::Ready<()> {
        match *self {}
    }

    pub(crate) fn is_failing(&self) -> bool {
        match *self {}
    }
}

/// The rules that hold for every key: size, `typ`, `iat`, where the scopes are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checks {
    pub(crate) max_token_len: usize,
    /// Whole seconds, clamped.
    pub(crate) leeway: u64,
    pub(crate) require_at_jwt: bool,
    pub(crate) check_iat: bool,
    /// `None`: the caller wants no scopes, so none are read.
    pub(crate) scopes: Option<ScopesClaim>,
}

/// The key chosen for a token's `alg` and `kid`.
pub(crate) enum Selection<T> {
    Found(T),
    /// The token's `kid` is carried by no key.
    UnknownKid,
    /// No key accepts the token's algorithm (with its `kid`, if any).
    NoKeyForAlgorithm,
    Ambiguous,
}

/// Why the synchronous part of verification stopped.
pub(crate) enum Rejection {
    /// The `kid` is unknown: worth one refresh of the remote key sets.
    UnknownKid,
    Token(TokenError),
}

impl Rejection {
    pub(crate) fn into_token_error(self) -> TokenError {
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

/// The one rejection log: debug level, what happened, never the token.
#[cold]
pub(crate) fn log_rejection(error: &TokenError) {
    tracing::debug!(target: "axum_scopes", error = %error, "bearer token rejected");
}

/// Verifies `token` (any bytes) with the key `select` picks for its `alg`
/// and `kid`. Order: length; header (`alg`, `kid`, `crit`, `typ`); key
/// choice; `jsonwebtoken::decode` (the key's algorithms, signature, claims
/// type, `exp`/`nbf`/`iss`/`aud`); `typ` when required; then one pass over
/// the payload for `iss` as a single string, `iat` and the scopes. Never
/// panics on any input.
pub(crate) fn verify_now<C, G>(
    token: &[u8],
    checks: &Checks,
    select: impl FnOnce(Algorithm, Option<&str>) -> Selection<(G, usize)>,
) -> Result<Verified<C>, Rejection>
where
    C: DeserializeOwned,
    G: Deref<Target = Arc<KeySet>>,
{
    verify_and_keep(token, checks, select, false).map(|(verified, _)| verified)
}

/// What a successful verification leaves for the verified-token cache.
pub(crate) struct Fresh {
    /// The decoded payload, which every claims type deserializes from.
    pub(crate) payload: Box<[u8]>,
    /// The last second (since 1970) the token is valid: `exp` plus the leeway.
    pub(crate) deadline: u64,
    /// The first second the token is valid: the later of `nbf` and (when checked) `iat`, minus
    /// the leeway.
    pub(crate) earliest: u64,
    /// The key that verified it.
    pub(crate) key: KeyId,
}

/// [`verify_now`], also returning what the cache keeps when `keep` is set.
pub(crate) fn verify_and_keep<C, G>(
    token: &[u8],
    checks: &Checks,
    select: impl FnOnce(Algorithm, Option<&str>) -> Selection<(G, usize)>,
    keep: bool,
) -> Result<(Verified<C>, Option<Fresh>), Rejection>
where
    C: DeserializeOwned,
    G: Deref<Target = Arc<KeySet>>,
{
    if token.len() > checks.max_token_len {
        return Err(TokenError::TooLarge.into());
    }
    let (header, payload) = segments(token).ok_or_else(malformed)?;
    with_decoded::<HEADER_STACK_LEN, _, _>(header, |json| {
        let header: KeyHeader<'_> = serde_json::from_slice(json)
            .map_err(|err| TokenError::Malformed(JwtError::from(err)))?;
        // RFC 7515 §4.1.11: no extension is understood here, so any `crit`
        // is rejected.
        if header.crit.is_some() {
            return Err(TokenError::CriticalHeader.into());
        }
        let alg = Algorithm::from_str(&header.alg.0).map_err(TokenError::Malformed)?;
        let (keys, index) = match select(alg, header.kid.as_ref().map(|kid| &*kid.0)) {
            Selection::Found(found) => found,
            Selection::UnknownKid => return Err(Rejection::UnknownKid),
            Selection::Ambiguous => return Err(TokenError::AmbiguousKey.into()),
            Selection::NoKeyForAlgorithm => {
                return Err(
                    TokenError::DisallowedAlgorithm(ErrorKind::InvalidAlgorithm.into()).into(),
                );
            }
        };
        let entry = &keys.entries[index];
        let claims = jsonwebtoken::decode::<C>(token, &entry.key, &entry.validation)
            .map_err(TokenError::from_decode)?
            .claims;
        if checks.require_at_jwt && !is_access_token_type(header.typ.as_ref().map(|t| &*t.0)) {
            return Err(TokenError::WrongType.into());
        }
        // Always read: even where `iat` is not checked against the clock, a payload whose
        // `iat` is not a NumericDate, or that names a read member twice, is refused on every
        // path alike (RFC 7519 §4, §4.1.6).
        let single_iss = entry.validation.iss.is_some();
        let read = read_payload(payload, checks, single_iss, keep)?;
        let fresh = read.json.map(|json| Fresh {
            payload: json,
            deadline: read
                .exp
                .map_or(0, |exp| seconds_floor(exp).saturating_add(checks.leeway)),
            earliest: seconds_ceil(read.not_before).saturating_sub(checks.leeway),
            key: entry.id,
        });
        Ok((
            Verified {
                claims,
                scopes: read.scopes,
            },
            fresh,
        ))
    })
}

/// A `NumericDate` rounded down to whole seconds, 0 when negative.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "`as` saturates: negative and NaN become 0, beyond-range becomes u64::MAX"
)]
fn seconds_floor(date: f64) -> u64 {
    date.floor() as u64
}

/// A `NumericDate` rounded up to whole seconds, 0 when absent or negative.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "`as` saturates: negative and NaN become 0, beyond-range becomes u64::MAX"
)]
fn seconds_ceil(date: Option<f64>) -> u64 {
    date.map_or(0, |date| date.ceil() as u64)
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

/// The header and payload of a compact JWS, or `None` unless there are
/// exactly three segments.
fn segments(token: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut parts = token.split(|&b| b == b'.');
    let header = parts.next()?;
    let payload = parts.next()?;
    parts.next()?;
    parts.next().is_none().then_some((header, payload))
}

/// Decodes base64url `input` into a stack buffer of `N` bytes when it fits,
/// else onto the heap, and hands the bytes to `f`. A buffer is zeroed before use (the crate
/// forbids `unsafe`), so a short input gets a [`SMALL_STACK_LEN`] buffer: zeroing the whole
/// `N` bytes for every token would cost more than decoding it.
fn with_decoded<const N: usize, R, E: From<TokenError>>(
    input: &[u8],
    f: impl FnOnce(&[u8]) -> Result<R, E>,
) -> Result<R, E> {
    let estimate = base64::decoded_len_estimate(input.len());
    if estimate <= SMALL_STACK_LEN {
        decode_on_stack::<SMALL_STACK_LEN, _, _>(input, f)
    } else if estimate <= N {
        decode_on_stack::<N, _, _>(input, f)
    } else {
        let engine = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let heap = engine.decode(input).map_err(|_| malformed())?;
        f(&heap)
    }
}

/// Decoded segments up to this size use a buffer of this size: a tutorial token's header
/// and payload, and most identity providers' headers.
const SMALL_STACK_LEN: usize = 512;

/// [`with_decoded`] for an input known to fit `N` bytes.
fn decode_on_stack<const N: usize, R, E: From<TokenError>>(
    input: &[u8],
    f: impl FnOnce(&[u8]) -> Result<R, E>,
) -> Result<R, E> {
    let engine = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut stack = [0u8; N];
    let len = engine
        .decode_slice(input, &mut stack)
        .map_err(|_| malformed())?;
    f(&stack[..len])
}

/// What [`read_payload`] found.
struct ReadPayload {
    scopes: GrantedScopes,
    exp: Option<f64>,
    /// The later of `nbf` and, when checked, `iat`.
    not_before: Option<f64>,
    /// The decoded payload, when asked to keep it.
    json: Option<Box<[u8]>>,
}

/// The second pass over the (already verified) payload: `iss` must be one
/// string (RFC 9068 §4; `jsonwebtoken` also accepts a list), `iat` must not
/// be in the future, and the scopes claim is read; with `keep`, the decoded
/// payload is copied out for the cache.
fn read_payload(
    payload: &[u8],
    checks: &Checks,
    single_iss: bool,
    keep: bool,
) -> Result<ReadPayload, TokenError> {
    with_decoded::<PAYLOAD_STACK_LEN, _, TokenError>(payload, |json| {
        let invalid = |err: serde_json::Error| TokenError::InvalidClaims(JwtError::from(err));
        let claim = checks.scopes;
        let read = if let Some(ScopesClaim::Custom(read)) = claim {
            let value: serde_json::Value = serde_json::from_slice(json).map_err(invalid)?;
            let iat = match value.get("iat") {
                None | Some(serde_json::Value::Null) => None,
                Some(iat) => Some(iat.as_f64().ok_or_else(|| {
                    TokenError::InvalidClaims(ErrorKind::InvalidClaimFormat("iat".into()).into())
                })?),
            };
            super::claims::Payload {
                iat,
                exp: value.get("exp").and_then(serde_json::Value::as_f64),
                nbf: value.get("nbf").and_then(serde_json::Value::as_f64),
                iss_is_string: value.get("iss").is_none_or(serde_json::Value::is_string),
                scopes: read(&value),
            }
        } else {
            let mut de = serde_json::Deserializer::from_slice(json);
            PayloadSeed::new(claim)
                .deserialize(&mut de)
                .map_err(invalid)?
        };
        if single_iss && !read.iss_is_string {
            return Err(TokenError::InvalidIssuer(ErrorKind::InvalidIssuer.into()));
        }
        #[expect(
            clippy::cast_precision_loss,
            reason = "seconds since 1970 stay far below 2^53"
        )]
        let latest = now().saturating_add(checks.leeway) as f64;
        if checks.check_iat
            && let Some(iat) = read.iat
            && iat > latest
        {
            return Err(TokenError::NotYetValid(ErrorKind::ImmatureSignature.into()));
        }
        let iat = read.iat.filter(|_| checks.check_iat);
        let not_before = match (read.nbf, iat) {
            (Some(nbf), Some(iat)) => Some(nbf.max(iat)),
            (nbf, iat) => nbf.or(iat),
        };
        Ok(ReadPayload {
            scopes: GrantedScopes::from_vec(read.scopes),
            exp: read.exp,
            not_before,
            json: keep.then(|| json.into()),
        })
    })
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The header members the core reads, borrowed from the decoded header
/// where they contain no escapes.
#[derive(Deserialize)]
struct KeyHeader<'a> {
    #[serde(borrow)]
    alg: Text<'a>,
    #[serde(borrow, default)]
    kid: Option<Text<'a>>,
    #[serde(borrow, default)]
    typ: Option<Text<'a>>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// A JSON string borrowed from the input unless it holds escapes. serde's
/// own `Cow<str>` always copies once nested (in an `Option`, a map key, a
/// sequence element), which would cost an allocation per claim name.
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

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

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{Value, json};

    const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for tests";
    const ISSUER: &str = "https://issuer.example";

    fn checks(scopes: Option<ScopesClaim>) -> Checks {
        Checks {
            max_token_len: 8 * 1024,
            leeway: 0,
            require_at_jwt: false,
            check_iat: true,
            scopes,
        }
    }

    fn keys(issuer: Option<&str>) -> Arc<KeySet> {
        let issuers = issuer.map(|issuer| vec![issuer.to_owned()]);
        let policy = IssuerPolicy::new(issuers.as_deref(), None, None, Duration::ZERO);
        let key = Key::secret(SECRET, &[Algorithm::HS256]).unwrap();
        Arc::new(policy.key_set(vec![key]))
    }

    fn sign(header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(SECRET).unwrap()).unwrap()
    }

    fn far() -> u64 {
        now() + 600
    }

    fn verify(
        token: &str,
        checks: &Checks,
        keys: &Arc<KeySet>,
    ) -> Result<Verified<Value>, TokenError> {
        verify_now(token.as_bytes(), checks, |alg, _| {
            if keys.entries[0].validation.algorithms.contains(&alg) {
                Selection::Found((keys, 0))
            } else {
                Selection::NoKeyForAlgorithm
            }
        })
        .map_err(Rejection::into_token_error)
    }

    #[test]
    fn iss_is_exactly_one_string() {
        let keys = keys(Some(ISSUER));
        let header = Header::default();
        let good = sign(&header, &json!({ "iss": ISSUER, "exp": far() }));
        assert!(verify(&good, &checks(None), &keys).is_ok());
        for iss in [json!([ISSUER]), json!([ISSUER, ISSUER])] {
            let token = sign(&header, &json!({ "iss": iss, "exp": far() }));
            let error = verify(&token, &checks(None), &keys).unwrap_err();
            assert!(
                matches!(error, TokenError::InvalidIssuer(_)),
                "{iss}: {error:?}"
            );
        }
        let other = sign(
            &header,
            &json!({ "iss": "https://other.example", "exp": far() }),
        );
        let error = verify(&other, &checks(None), &keys).unwrap_err();
        assert!(matches!(error, TokenError::InvalidIssuer(_)), "{error:?}");
        // Without a configured issuer, `iss` is not read at all.
        let any = sign(&header, &json!({ "iss": [1, 2], "exp": far() }));
        assert!(verify(&any, &checks(None), &self::keys(None)).is_ok());
    }

    #[test]
    fn crit_is_refused_before_the_key_is_chosen() {
        let header = Header {
            crit: Some(vec!["exp".to_owned()]),
            ..Header::default()
        };
        let token = sign(&header, &json!({ "exp": far() }));
        let chosen = std::cell::Cell::new(false);
        let result = verify_now::<Value, &Arc<KeySet>>(token.as_bytes(), &checks(None), |_, _| {
            chosen.set(true);
            Selection::NoKeyForAlgorithm
        });
        assert!(matches!(
            result,
            Err(Rejection::Token(TokenError::CriticalHeader))
        ));
        assert!(!chosen.get());
    }

    #[test]
    fn typ_is_checked_only_when_required() {
        let keys = keys(None);
        let mut strict = checks(None);
        strict.require_at_jwt = true;
        for (typ, accepted) in [
            (Some("at+jwt"), true),
            (Some("application/AT+JWT"), true),
            (Some("JWT"), false),
            (None, false),
        ] {
            let header = Header {
                typ: typ.map(str::to_owned),
                ..Header::default()
            };
            let token = sign(&header, &json!({ "exp": far() }));
            assert!(verify(&token, &checks(None), &keys).is_ok(), "{typ:?}");
            let result = verify(&token, &strict, &keys);
            assert_eq!(result.is_ok(), accepted, "{typ:?}: {result:?}");
            if !accepted {
                assert!(matches!(result, Err(TokenError::WrongType)));
            }
        }
    }

    #[test]
    fn iat_in_the_future_is_not_yet_valid() {
        let keys = keys(None);
        let token = sign(
            &Header::default(),
            &json!({ "exp": far(), "iat": now() + 120 }),
        );
        let error = verify(&token, &checks(None), &keys).unwrap_err();
        assert!(matches!(error, TokenError::NotYetValid(_)), "{error:?}");
        let mut lenient = checks(None);
        lenient.leeway = 300;
        assert!(verify(&token, &lenient, &keys).is_ok());
    }

    #[test]
    fn scopes_are_read_only_when_asked_for() {
        let keys = keys(None);
        let token = sign(
            &Header::default(),
            &json!({ "exp": far(), "scopes": ["me"], "scope": "items me" }),
        );
        let read = verify(&token, &checks(Some(ScopesClaim::ScopeOrScopes)), &keys).unwrap();
        assert_eq!(read.scopes.iter().collect::<Vec<_>>(), ["me", "items"]);
        let skipped = verify(&token, &checks(None), &keys).unwrap();
        assert!(skipped.scopes.is_empty());
    }

    #[test]
    fn shapes_that_are_not_a_compact_jws_are_malformed() {
        let keys = keys(None);
        for token in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "....", "!!.e30.e30"] {
            let error = verify(token, &checks(None), &keys).unwrap_err();
            assert!(
                matches!(error, TokenError::Malformed(_)),
                "{token:?}: {error:?}"
            );
        }
        let long = "a".repeat(8 * 1024 + 1);
        assert!(matches!(
            verify(&long, &checks(None), &keys),
            Err(TokenError::TooLarge)
        ));
        assert_eq!(segments(b"h.p.s"), Some((&b"h"[..], &b"p"[..])));
        assert_eq!(segments(b"h.p"), None);
    }

    #[test]
    fn leeway_is_clamped() {
        assert_eq!(clamp_leeway(Duration::MAX), MAX_LEEWAY.as_secs());
        assert_eq!(clamp_leeway(Duration::from_millis(1500)), 1);
    }
}
