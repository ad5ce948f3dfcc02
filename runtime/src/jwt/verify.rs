//! The full verification of one token, for a cache miss: the one header parse, the choice of
//! issuer and key, `jsonwebtoken::decode`, and the checks `jsonwebtoken` does not make (`crit`,
//! `typ`, `iat`, `iss` as exactly one string), with the one reader of the granted scopes
//! ([`super::claims`]). It returns an [`Accepted`] token or a [`Refused`] one carrying what the
//! log needs (the reason, the `kid`, the key set); it logs nothing and calls nobody back.
//!
//! Choosing the key: the token's `iss` (read before the signature is checked, so only a hint)
//! picks the issuer whose configured `iss` it equals, then `kid` the key within that issuer's
//! key sets; issuers that accept any `iss` are always candidates. A token naming no configured
//! issuer is looked up in every key set, so `jsonwebtoken`'s `iss` check gives its usual error.
//! The signature and the exact `iss` are then checked as for any token: a key of one issuer
//! never vouches for another's token, and two issuers may publish the same `kid`.

use std::str::FromStr;
use std::sync::Arc;

use arc_swap::Guard;
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny};

use super::accepted::{Accepted, Fresh, kid_for_log};
use super::claims::{GrantedScopes, PayloadSeed, ScopesClaim, Text};
use super::error::TokenError;
use super::policy::{KeySet, Rules, Source};

/// Decoded headers up to this size are parsed from the stack (no allocation on a miss: the
/// target "ES256 cache off" of benchmarks/README.md); real headers (`alg`, `typ`, `kid`,
/// perhaps `x5t`) are well under 200 bytes.
const HEADER_STACK_LEN: usize = 1024;

/// Decoded payloads up to this size are read from the stack; the default
/// 8 KiB token bound keeps every payload below it.
const PAYLOAD_STACK_LEN: usize = 6 * 1024 + 16;

/// A token that was not accepted, with what its log event needs.
#[derive(Debug)]
pub(crate) struct Refused {
    /// Why: the first check that failed.
    pub(crate) error: TokenError,
    /// The header's `kid`, as sent (cut for the log), when the header could be read.
    pub(crate) kid: Option<Box<str>>,
    /// The key set whose key verified the token or holds its `kid`, if any.
    pub(crate) source: Option<usize>,
    /// When no key set looked in holds the token's `kid`: those key sets, the ones a refresh
    /// of remote keys might fill. Empty otherwise.
    pub(crate) unknown_in: Vec<usize>,
}

impl Refused {
    /// A refusal with nothing known of the token beyond `error`.
    pub(crate) fn new(error: TokenError) -> Self {
        Self {
            error,
            kid: None,
            source: None,
            unknown_in: Vec::new(),
        }
    }

    /// A refusal of an accepted token for `error` (its claims do not fit the caller's type, or
    /// it lacks a scope), keeping what the log needs of it.
    pub(crate) fn of(accepted: &Accepted, error: TokenError) -> Self {
        Self {
            error,
            kid: accepted.kid.clone(),
            source: Some(accepted.source),
            unknown_in: Vec::new(),
        }
    }
}

impl From<TokenError> for Refused {
    fn from(error: TokenError) -> Self {
        Self::new(error)
    }
}

/// Verifies `token` (any bytes, already known to be within the length bound) against the
/// key sets `sources` at `now`. `named`: whether some source is picked by its issuer's `iss`.
/// Order: header (`alg`, `kid`, `crit`); issuer and key choice; `jsonwebtoken::decode` (the
/// key's algorithms, signature, `exp`/`nbf`/`iss`/`aud`); `typ` when required; then one pass
/// over the payload for `iss` as a single string, `iat` and the scopes. Never panics on any
/// input.
pub(crate) fn check(
    token: &[u8],
    sources: &[Source],
    named: bool,
    now: u64,
) -> Result<Arc<Accepted>, Refused> {
    let (header, payload) = segments(token).ok_or_else(malformed)?;
    with_decoded::<HEADER_STACK_LEN, _>(header, |header| {
        let header = header.ok_or_else(malformed)?;
        let header: KeyHeader<'_> = serde_json::from_slice(header)
            .map_err(|err| TokenError::Malformed(JwtError::from(err)))?;
        let kid = header.kid.as_ref().map(|kid| &*kid.0);
        let refused = |error: TokenError, source: Option<usize>| Refused {
            error,
            kid: kid.map(kid_for_log),
            source,
            unknown_in: Vec::new(),
        };
        // RFC 7515 §4.1.11: no extension is understood here, so any `crit` is refused.
        if header.crit.is_some() {
            return Err(refused(TokenError::CriticalHeader, None));
        }
        let alg = Algorithm::from_str(&header.alg.0)
            .map_err(|err| refused(TokenError::Malformed(err), None))?;
        // The payload is decoded before the signature is checked, for the issuer hint; one
        // that is not base64url is left to `jsonwebtoken`, which checks the signature first.
        with_decoded::<PAYLOAD_STACK_LEN, _>(payload, |json| {
            let candidates = match json {
                Some(json) if named => Candidates::for_hint(sources, json),
                _ => Candidates::All,
            };
            let (keys, index, source) = match select(sources, &candidates, alg, kid) {
                Selection::Found(found) => found,
                Selection::UnknownKid { elsewhere } => {
                    // The `kid` of another issuer's key: that issuer's key cannot vouch for
                    // this token's `iss`.
                    let error = if elsewhere {
                        TokenError::InvalidIssuer(ErrorKind::InvalidIssuer.into())
                    } else {
                        TokenError::UnknownKey
                    };
                    let mut refused = refused(error, None);
                    refused.unknown_in = candidates.indices(sources);
                    return Err(refused);
                }
                Selection::Ambiguous => {
                    let holder = holder(sources, &candidates, kid);
                    // Issuers that share a `kid`, and an `iss` that is none of theirs.
                    let error = if matches!(candidates, Candidates::Untrusted) {
                        TokenError::InvalidIssuer(ErrorKind::InvalidIssuer.into())
                    } else {
                        TokenError::AmbiguousKey
                    };
                    return Err(refused(error, holder));
                }
                Selection::NoKeyForAlgorithm => {
                    let holder = holder(sources, &candidates, kid);
                    let error = TokenError::DisallowedAlgorithm(ErrorKind::InvalidAlgorithm.into());
                    return Err(refused(error, holder));
                }
            };
            let entry = &keys.entries[index];
            let rules = &sources[source].rules;
            jsonwebtoken::decode::<IgnoredAny>(token, &entry.key, &entry.validation)
                .map_err(|err| refused(TokenError::from_decode(err), Some(source)))?;
            if rules.require_at_jwt && !is_access_token_type(header.typ.as_ref().map(|t| &*t.0)) {
                return Err(refused(TokenError::WrongType, Some(source)));
            }
            // Always read: even where `iat` is not checked against the clock, a payload whose
            // `iat` is not a NumericDate, or that names a read member twice, is refused on every
            // path alike (RFC 7519 §4, §4.1.6).
            let single_iss = entry.validation.iss.is_some();
            let json = json.ok_or_else(|| refused(malformed(), Some(source)))?;
            let read = read_payload(json, rules, single_iss, now)
                .map_err(|error| refused(error, Some(source)))?;
            Ok(Accepted::new(Fresh {
                token,
                payload: json,
                scopes: read.scopes,
                deadline: read
                    .exp
                    .map_or(0, |exp| seconds_floor(exp).saturating_add(rules.leeway)),
                earliest: seconds_ceil(read.not_before).saturating_sub(rules.leeway),
                key: entry.id,
                source,
                kid,
                jkt: read.jkt,
            }))
        })
    })
}

/// The key sets a token may be verified by.
enum Candidates<'t> {
    /// Every key set.
    All,
    /// Those of the issuer named `iss`, and those that accept any `iss`.
    Issuer(Text<'t>),
    /// Only those that accept any `iss`.
    Unnamed,
    /// Every key set, for an `iss` that no issuer has.
    Untrusted,
}

impl<'t> Candidates<'t> {
    /// The candidates for the (unverified) `iss` of the decoded payload `json`. A token that
    /// names no configured issuer, or whose payload cannot be read, is looked up everywhere:
    /// the full checks then give their usual error.
    fn for_hint(sources: &[Source], json: &'t [u8]) -> Self {
        /// Only `iss`, borrowed; a duplicate or non-string `iss` fails and is looked up
        /// everywhere.
        #[derive(Deserialize)]
        struct Hint<'a> {
            #[serde(borrow, default)]
            iss: Option<Text<'a>>,
        }
        let Ok(Hint { iss: Some(iss) }) = serde_json::from_slice::<Hint<'t>>(json) else {
            return Self::All;
        };
        if sources
            .iter()
            .any(|source| source.rules.name.as_deref() == Some(&*iss.0))
        {
            Self::Issuer(iss)
        } else if sources.iter().any(|source| source.rules.name.is_none()) {
            Self::Unnamed
        } else {
            // A string `iss` no issuer has: every key set would refuse it; looked up everywhere
            // all the same, so an unknown `kid` is answered (and refreshed) as ever.
            Self::Untrusted
        }
    }

    fn admits(&self, rules: &Rules) -> bool {
        match (self, rules.name.as_deref()) {
            (Self::All | Self::Untrusted, _) | (Self::Issuer(_) | Self::Unnamed, None) => true,
            (Self::Issuer(iss), Some(name)) => name == &*iss.0,
            (Self::Unnamed, Some(_)) => false,
        }
    }

    /// The indices of the candidate key sets.
    fn indices(&self, sources: &[Source]) -> Vec<usize> {
        (0..sources.len())
            .filter(|&index| self.admits(&sources[index].rules))
            .collect()
    }
}

/// The key chosen for a token's `alg` and `kid`: its key set, its index there, and the index
/// of the key set.
enum Selection {
    Found((Guard<Arc<KeySet>>, usize, usize)),
    /// The token's `kid` is carried by no candidate key (`elsewhere`: but by another issuer's).
    UnknownKid {
        elsewhere: bool,
    },
    /// No key accepts the token's algorithm (with its `kid`, if any).
    NoKeyForAlgorithm,
    Ambiguous,
}

/// Finds the one key for `alg` and `kid` among the candidate key sets, without a lock or an
/// allocation: `arc-swap` loads and linear scans. Without `kid`, only when exactly one key
/// accepts `alg`.
fn select(
    sources: &[Source],
    candidates: &Candidates<'_>,
    alg: Algorithm,
    kid: Option<&str>,
) -> Selection {
    let mut found = None;
    let mut kid_seen = false;
    for (source_index, source) in sources.iter().enumerate() {
        if !candidates.admits(&source.rules) {
            continue;
        }
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
        None if kid.is_some() && !kid_seen => Selection::UnknownKid {
            elsewhere: holder(sources, &Candidates::All, kid).is_some(),
        },
        None => Selection::NoKeyForAlgorithm,
    }
}

/// The first candidate key set holding a key with `kid`, for the log.
#[cold]
fn holder(sources: &[Source], candidates: &Candidates<'_>, kid: Option<&str>) -> Option<usize> {
    let kid = kid?;
    sources.iter().position(|source| {
        candidates.admits(&source.rules)
            && source
                .keys
                .load()
                .entries
                .iter()
                .any(|entry| entry.kid.as_deref() == Some(kid))
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
/// else onto the heap, and hands the bytes (`None` if `input` is not base64url) to `f`. A
/// buffer is zeroed before use (the crate forbids `unsafe`), so a short input gets a
/// [`SMALL_STACK_LEN`] buffer: zeroing the whole `N` bytes for every token would cost more
/// than decoding it.
fn with_decoded<const N: usize, R>(input: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> R {
    let estimate = base64::decoded_len_estimate(input.len());
    if estimate <= SMALL_STACK_LEN {
        decode_on_stack::<SMALL_STACK_LEN, _>(input, f)
    } else if estimate <= N {
        decode_on_stack::<N, _>(input, f)
    } else {
        let engine = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        f(engine.decode(input).ok().as_deref())
    }
}

/// Decoded segments up to this size use a buffer of this size: a tutorial token's header
/// and payload, and most identity providers' headers.
const SMALL_STACK_LEN: usize = 512;

/// [`with_decoded`] for an input known to fit `N` bytes.
fn decode_on_stack<const N: usize, R>(input: &[u8], f: impl FnOnce(Option<&[u8]>) -> R) -> R {
    let engine = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut stack = [0u8; N];
    match engine.decode_slice(input, &mut stack) {
        Ok(len) => f(Some(&stack[..len])),
        Err(_) => f(None),
    }
}

/// What [`read_payload`] found.
struct ReadPayload {
    scopes: GrantedScopes,
    exp: Option<f64>,
    /// The later of `nbf` and, when checked, `iat`.
    not_before: Option<f64>,
    /// The DPoP binding, see [`super::claims::Payload::jkt`].
    jkt: Option<Box<str>>,
}

/// The second pass over the (already verified) decoded payload: `iss` must be one
/// string (RFC 9068 §4; `jsonwebtoken` also accepts a list), `iat` must not
/// be in the future (when the rules check it), and the scopes claim is read.
fn read_payload(
    json: &[u8],
    rules: &Rules,
    single_iss: bool,
    now: u64,
) -> Result<ReadPayload, TokenError> {
    {
        let invalid = |err: serde_json::Error| TokenError::InvalidClaims(JwtError::from(err));
        let claim = Some(rules.scopes);
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
                jkt: match value.get("cnf") {
                    None | Some(serde_json::Value::Null) => None,
                    Some(cnf) => Some(
                        serde_json::from_value::<super::claims::Confirmation>(cnf.clone())
                            .map_err(invalid)?
                            .into_jkt(),
                    ),
                },
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
        let latest = now.saturating_add(rules.leeway) as f64;
        if rules.check_iat
            && let Some(iat) = read.iat
            && iat > latest
        {
            return Err(TokenError::NotYetValid(ErrorKind::ImmatureSignature.into()));
        }
        let iat = read.iat.filter(|_| rules.check_iat);
        let not_before = match (read.nbf, iat) {
            (Some(nbf), Some(iat)) => Some(nbf.max(iat)),
            (nbf, iat) => nbf.or(iat),
        };
        Ok(ReadPayload {
            scopes: GrantedScopes::from_vec(read.scopes),
            exp: read.exp,
            not_before,
            jkt: read.jkt,
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::clock::now;
    use crate::jwt::key::Key;
    use crate::jwt::policy::RulesSpec;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::{Value, json};
    use std::time::Duration;

    const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for tests";
    const OTHER: &[u8] = b"another secret of at least thirty-two bytes!";
    const ISSUER: &str = "https://issuer.example";

    /// Rules as an authenticator's issuer (`named`) or as `JwtKeys` (not).
    fn rules(
        issuer: Option<&str>,
        named: bool,
        tweak: impl FnOnce(&mut RulesSpec<'_>),
    ) -> Arc<Rules> {
        let issuers = issuer.map(|issuer| vec![issuer.to_owned()]);
        let mut spec = RulesSpec {
            issuers: issuers.as_deref(),
            named,
            audiences: None,
            algorithms: None,
            leeway: Duration::ZERO,
            require_at_jwt: false,
            check_iat: true,
            scopes: ScopesClaim::ScopeOrScopes,
        };
        tweak(&mut spec);
        Arc::new(Rules::new(spec))
    }

    fn source(rules: Arc<Rules>, secret: &[u8], kid: Option<&str>) -> Source {
        let mut key = Key::secret(secret, &[Algorithm::HS256]).unwrap();
        if let Some(kid) = kid {
            key = key.with_kid(kid);
        }
        let keys = rules.key_set(vec![key]);
        Source::new(rules, keys)
    }

    fn one(issuer: Option<&str>, tweak: impl FnOnce(&mut RulesSpec<'_>)) -> Vec<Source> {
        vec![source(rules(issuer, false, tweak), SECRET, None)]
    }

    fn sign_with(secret: &[u8], header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret).unwrap()).unwrap()
    }

    fn sign(header: &Header, claims: &Value) -> String {
        sign_with(SECRET, header, claims)
    }

    fn far() -> u64 {
        now() + 600
    }

    fn verify(token: &str, sources: &[Source]) -> Result<Arc<Accepted>, TokenError> {
        let named = sources.iter().any(|source| source.rules.name.is_some());
        check(token.as_bytes(), sources, named, now()).map_err(|refused| refused.error)
    }

    #[test]
    fn iss_is_exactly_one_string() {
        let sources = one(Some(ISSUER), |_| {});
        let header = Header::default();
        let good = sign(&header, &json!({ "iss": ISSUER, "exp": far() }));
        assert!(verify(&good, &sources).is_ok());
        for iss in [json!([ISSUER]), json!([ISSUER, ISSUER])] {
            let token = sign(&header, &json!({ "iss": iss, "exp": far() }));
            let error = verify(&token, &sources).unwrap_err();
            assert!(
                matches!(error, TokenError::InvalidIssuer(_)),
                "{iss}: {error:?}"
            );
        }
        let other = sign(
            &header,
            &json!({ "iss": "https://other.example", "exp": far() }),
        );
        let error = verify(&other, &sources).unwrap_err();
        assert!(matches!(error, TokenError::InvalidIssuer(_)), "{error:?}");
        // Without a configured issuer, `iss` is not read at all.
        let any = sign(&header, &json!({ "iss": [1, 2], "exp": far() }));
        assert!(verify(&any, &one(None, |_| {})).is_ok());
    }

    #[test]
    fn crit_is_refused_before_the_key_is_chosen() {
        let header = Header {
            crit: Some(vec!["exp".to_owned()]),
            alg: Algorithm::HS384,
            ..Header::default()
        };
        let token = jsonwebtoken::encode(
            &header,
            &json!({ "exp": far() }),
            &EncodingKey::from_secret(SECRET).unwrap(),
        )
        .unwrap();
        // No key takes HS384: had a key been chosen first, this would be that error.
        assert!(matches!(
            verify(&token, &one(None, |_| {})),
            Err(TokenError::CriticalHeader)
        ));
    }

    #[test]
    fn typ_is_checked_only_when_required() {
        let lenient = one(None, |_| {});
        let strict = one(None, |spec| spec.require_at_jwt = true);
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
            assert!(verify(&token, &lenient).is_ok(), "{typ:?}");
            let result = verify(&token, &strict);
            assert_eq!(result.is_ok(), accepted, "{typ:?}");
            if !accepted {
                assert!(matches!(result, Err(TokenError::WrongType)));
            }
        }
    }

    #[test]
    fn iat_in_the_future_is_not_yet_valid() {
        let token = sign(
            &Header::default(),
            &json!({ "exp": far(), "iat": now() + 120 }),
        );
        let error = verify(&token, &one(None, |_| {})).unwrap_err();
        assert!(matches!(error, TokenError::NotYetValid(_)), "{error:?}");
        let lenient = one(None, |spec| spec.leeway = Duration::from_secs(300));
        assert!(verify(&token, &lenient).is_ok());
        let unchecked = one(None, |spec| spec.check_iat = false);
        assert!(verify(&token, &unchecked).is_ok());
    }

    #[test]
    fn scopes_are_read_from_the_issuers_claim() {
        let token = sign(
            &Header::default(),
            &json!({ "exp": far(), "scopes": ["me"], "scope": "items me", "scp": "admin" }),
        );
        let read = verify(&token, &one(None, |_| {})).unwrap();
        assert_eq!(read.scopes.iter().collect::<Vec<_>>(), ["me", "items"]);
        let entra = one(None, |spec| spec.scopes = ScopesClaim::Scp);
        let read = verify(&token, &entra).unwrap();
        assert_eq!(read.scopes.iter().collect::<Vec<_>>(), ["admin"]);
    }

    #[test]
    fn shapes_that_are_not_a_compact_jws_are_malformed() {
        let sources = one(None, |_| {});
        for token in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "....", "!!.e30.e30"] {
            let error = verify(token, &sources).unwrap_err();
            assert!(
                matches!(error, TokenError::Malformed(_)),
                "{token:?}: {error:?}"
            );
        }
        assert_eq!(segments(b"h.p.s"), Some((&b"h"[..], &b"p"[..])));
        assert_eq!(segments(b"h.p"), None);
    }

    /// Two issuers whose keys share a `kid`, as tenants and realms of real providers do.
    fn two_issuers() -> Vec<Source> {
        vec![
            source(
                rules(Some("https://a.test"), true, |_| {}),
                SECRET,
                Some("key-a"),
            ),
            source(
                rules(Some("https://b.test"), true, |_| {}),
                OTHER,
                Some("key-a"),
            ),
        ]
    }

    #[test]
    fn the_iss_hint_picks_the_issuer_then_kid_the_key() {
        let sources = two_issuers();
        let header = Header {
            kid: Some("key-a".into()),
            ..Header::default()
        };
        let a = sign_with(
            SECRET,
            &header,
            &json!({ "iss": "https://a.test", "exp": far() }),
        );
        let b = sign_with(
            OTHER,
            &header,
            &json!({ "iss": "https://b.test", "exp": far() }),
        );
        assert_eq!(verify(&a, &sources).unwrap().source, 0);
        assert_eq!(verify(&b, &sources).unwrap().source, 1);
        // A's key vouching for B's issuer: B's key is chosen, and the signature fails.
        let forged = sign_with(
            SECRET,
            &header,
            &json!({ "iss": "https://b.test", "exp": far() }),
        );
        assert!(matches!(
            verify(&forged, &sources),
            Err(TokenError::InvalidSignature(_))
        ));
        // No `iss`, or one of neither: every key set is looked in; the shared kid is ambiguous,
        // and for an `iss` of neither, the issuer invalid.
        let none = sign_with(SECRET, &header, &json!({ "exp": far() }));
        assert!(matches!(
            verify(&none, &sources),
            Err(TokenError::AmbiguousKey)
        ));
        let evil = sign_with(
            SECRET,
            &header,
            &json!({ "iss": "https://evil.test", "exp": far() }),
        );
        assert!(matches!(
            verify(&evil, &sources),
            Err(TokenError::InvalidIssuer(_))
        ));
    }

    #[test]
    fn an_unknown_kid_names_only_its_issuers_key_sets() {
        let sources = two_issuers();
        let header = |kid: &str| Header {
            kid: Some(kid.into()),
            ..Header::default()
        };
        let unknown = sign(
            &header("key-z"),
            &json!({ "iss": "https://b.test", "exp": far() }),
        );
        let refused = check(unknown.as_bytes(), &sources, true, now()).expect_err("unknown kid");
        assert!(matches!(refused.error, TokenError::UnknownKey));
        assert_eq!(refused.unknown_in, [1]);
        assert_eq!(refused.kid.as_deref(), Some("key-z"));
        // A kid only another issuer has: that issuer's key cannot vouch for this `iss`.
        let mut sources = two_issuers();
        sources[1] = source(
            rules(Some("https://b.test"), true, |_| {}),
            OTHER,
            Some("key-b"),
        );
        let token = sign(
            &header("key-a"),
            &json!({ "iss": "https://b.test", "exp": far() }),
        );
        let refused = check(token.as_bytes(), &sources, true, now()).expect_err("cross-issuer");
        assert!(matches!(refused.error, TokenError::InvalidIssuer(_)));
        assert_eq!(refused.unknown_in, [1]);
    }
}
