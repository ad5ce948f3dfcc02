//! What the fuzz targets and the seed generator (`examples/seed.rs`) share: the fixed keys,
//! the framing of structured inputs, token forging, a poller for futures that need no I/O, and
//! the reference model of the scopes claims the targets compare the crate against.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::LazyLock;
use std::task::{Context, Poll, Waker};

use axum_scopes::jsonwebtoken::{Algorithm, EncodingKey};
use axum_scopes::jwt::{GrantedScopes, ScopesClaim};
use base64::Engine as _;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// The tutorial's `SECRET_KEY`, as the crate's own tests use it.
pub const HS256_SECRET: &[u8] = b"09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";
/// The P-256 test key of `tests/fixtures/keys` (PKCS #8).
pub const EC_PRIVATE_PEM: &[u8] = include_bytes!("../../tests/fixtures/keys/ec-p256.key.pem");
/// Its public half (`SubjectPublicKeyInfo`).
pub const EC_PUBLIC_PEM: &[u8] = include_bytes!("../../tests/fixtures/keys/ec-p256.pub.pem");
/// The issuer the authenticators trust.
pub const ISSUER: &str = "https://iss";
/// The audience they require.
pub const AUDIENCE: &str = "aud";
/// The header `JwtKeys` writes for HS256 (`PyJWT`'s).
pub const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
/// The same for ES256.
pub const ES256_HEADER: &str = r#"{"alg":"ES256","typ":"JWT"}"#;
/// 2100-01-01, the `exp` of every seed token.
pub const FAR_FUTURE: u64 = 4_102_444_800;

/// Polls `future` to completion with a no-op waker.
///
/// Everything the targets await (extractors over in-memory bodies, verification without
/// remote key sets) completes without I/O; a future that stays pending is a harness bug.
///
/// # Panics
///
/// When `future` is still pending after 64 polls.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..64 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("harness: a future that needs no I/O stayed pending")
}

/// Unpadded base64url.
#[must_use]
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `b64(header).b64(payload).sign(message)`, like `forge` in `tests/src/provider.rs`, but over
/// arbitrary bytes.
#[must_use]
pub fn forge(header: &[u8], payload: &[u8], sign: impl FnOnce(&[u8]) -> String) -> String {
    let mut message = b64(header);
    message.push('.');
    message.push_str(&b64(payload));
    let signature = sign(message.as_bytes());
    message.push('.');
    message.push_str(&signature);
    message
}

static HS256_KEY: LazyLock<EncodingKey> = LazyLock::new(|| {
    axum_scopes::jwt::install_crypto_provider();
    EncodingKey::from_secret(HS256_SECRET).expect("an HMAC key")
});

static ES256_KEY: LazyLock<EncodingKey> = LazyLock::new(|| {
    axum_scopes::jwt::install_crypto_provider();
    EncodingKey::from_ec_pem(EC_PRIVATE_PEM).expect("the fixture EC key")
});

/// The HS256 signature of `message` under [`HS256_SECRET`], base64url.
///
/// # Panics
///
/// When the crypto backend fails to sign, which it does not for an HMAC key.
#[must_use]
pub fn sign_hs256(message: &[u8]) -> String {
    axum_scopes::jsonwebtoken::crypto::sign(message, &HS256_KEY, Algorithm::HS256)
        .expect("HMAC signing")
}

/// The ES256 signature of `message` under the fixture P-256 key, base64url.
///
/// # Panics
///
/// When the crypto backend fails to sign.
#[must_use]
pub fn sign_es256(message: &[u8]) -> String {
    axum_scopes::jsonwebtoken::crypto::sign(message, &ES256_KEY, Algorithm::ES256)
        .expect("ECDSA signing")
}

/// How the input of a JWT target becomes a token: its first byte chooses.
#[derive(Debug, Clone, Copy)]
pub enum TokenInput<'a> {
    /// First byte `% 3 == 0`: the rest is the token, as sent.
    Raw(&'a [u8]),
    /// `% 3 == 1`: the rest is header JSON, a NUL byte, payload JSON, signed with the fixed key.
    /// (JSON text never holds a raw NUL, so the split loses nothing.)
    Parts {
        /// The header JSON, any bytes.
        header: &'a [u8],
        /// The payload JSON, any bytes.
        payload: &'a [u8],
    },
    /// `% 3 == 2`: the rest is payload JSON, signed under the target's fixed valid header.
    Payload(&'a [u8]),
}

impl<'a> TokenInput<'a> {
    /// Splits a fuzz input; `None` when it is empty. Also returns the first byte, whose upper
    /// bits the targets use as flags.
    #[must_use]
    pub fn split(data: &'a [u8]) -> Option<(u8, Self)> {
        let (&first, rest) = data.split_first()?;
        let input = match first % 3 {
            0 => Self::Raw(rest),
            1 => {
                let nul = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
                Self::Parts {
                    header: &rest[..nul],
                    payload: rest.get(nul + 1..).unwrap_or_default(),
                }
            }
            _ => Self::Payload(rest),
        };
        Some((first, input))
    }

    /// The fuzz input that [`TokenInput::split`] reads back as `self`, with `flags` in the upper
    /// bits of the first byte (`flags * 3 + mode` must fit a byte).
    #[must_use]
    pub fn encode(self, flags: u8) -> Vec<u8> {
        let (mode, mut out) = match self {
            Self::Raw(token) => (0, token.to_vec()),
            Self::Parts { header, payload } => {
                let mut out = header.to_vec();
                out.push(0);
                out.extend_from_slice(payload);
                (1, out)
            }
            Self::Payload(payload) => (2, payload.to_vec()),
        };
        out.insert(0, flags * 3 + mode);
        out
    }

    /// The token: as sent, or forged with `fixed_header` and `sign`.
    #[must_use]
    pub fn token(self, fixed_header: &str, sign: impl FnOnce(&[u8]) -> String) -> Vec<u8> {
        match self {
            Self::Raw(token) => token.to_vec(),
            Self::Parts { header, payload } => forge(header, payload, sign).into_bytes(),
            Self::Payload(payload) => forge(fixed_header.as_bytes(), payload, sign).into_bytes(),
        }
    }
}

/// A tutorial-shaped claims type: `sub` and the granted scopes.
#[derive(Debug, Deserialize)]
pub struct Claims {
    /// `sub`, any JSON.
    #[serde(default)]
    pub sub: Option<Value>,
    /// `scopes` and `scope`, as the tutorial reads them.
    #[serde(flatten)]
    pub scopes: GrantedScopes,
}

/// The scopes claims, as the fuzz targets name them (`ScopesClaim` is non-exhaustive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// [`ScopesClaim::ScopeOrScopes`].
    ScopeOrScopes,
    /// [`ScopesClaim::Scope`].
    Scope,
    /// [`ScopesClaim::Scp`].
    Scp,
    /// [`ScopesClaim::Scopes`].
    Scopes,
    /// [`ScopesClaim::Custom`] with [`realm_roles`].
    Custom,
}

impl Claim {
    /// Every claim, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::ScopeOrScopes,
        Self::Scope,
        Self::Scp,
        Self::Scopes,
        Self::Custom,
    ];

    /// The crate's value.
    #[must_use]
    pub fn scopes_claim(self) -> ScopesClaim {
        match self {
            Self::ScopeOrScopes => ScopesClaim::ScopeOrScopes,
            Self::Scope => ScopesClaim::Scope,
            Self::Scp => ScopesClaim::Scp,
            Self::Scopes => ScopesClaim::Scopes,
            Self::Custom => ScopesClaim::Custom(realm_roles),
        }
    }
}

/// Keycloak's `realm_access.roles`: the strings of that array, others skipped.
#[must_use]
pub fn realm_roles(payload: &Value) -> Vec<String> {
    payload
        .pointer("/realm_access/roles")
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Why the reference model refuses a payload's scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongShape(pub &'static str);

/// The scopes the documentation says `claim` grants for `payload` (a JSON object): the
/// reference the targets compare the crate's one-pass reader with. `Err` where the documented
/// reader rejects the token (a claim of the wrong JSON type).
///
/// # Errors
///
/// [`WrongShape`] naming the claim of the wrong type.
pub fn reference_scopes(payload: &Value, claim: Claim) -> Result<Vec<String>, WrongShape> {
    fn list(value: &Value, name: &'static str, out: &mut Vec<String>) -> Result<(), WrongShape> {
        let items = value.as_array().ok_or(WrongShape(name))?;
        for item in items {
            out.push(item.as_str().ok_or(WrongShape(name))?.to_owned());
        }
        Ok(())
    }
    fn words(text: &str, out: &mut Vec<String>) {
        out.extend(
            text.split(' ')
                .filter(|word| !word.is_empty())
                .map(str::to_owned),
        );
    }
    let mut out = Vec::new();
    let get = |name: &str| payload.get(name);
    match claim {
        Claim::ScopeOrScopes | Claim::Scopes => {
            if let Some(scopes) = get("scopes") {
                list(scopes, "scopes", &mut out)?;
            }
            if claim == Claim::ScopeOrScopes {
                match get("scope") {
                    None | Some(Value::Null) => {}
                    Some(Value::String(text)) => words(text, &mut out),
                    Some(_) => return Err(WrongShape("scope")),
                }
            }
        }
        Claim::Scope => match get("scope") {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => words(text, &mut out),
            Some(_) => return Err(WrongShape("scope")),
        },
        Claim::Scp => match get("scp") {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => words(text, &mut out),
            Some(scp @ Value::Array(_)) => list(scp, "scp", &mut out)?,
            Some(_) => return Err(WrongShape("scp")),
        },
        Claim::Custom => out = realm_roles(payload),
    }
    let mut kept: Vec<String> = Vec::with_capacity(out.len());
    for scope in out {
        if !kept.contains(&scope) {
            kept.push(scope);
        }
    }
    Ok(kept)
}

/// Whether `iat`, `exp` and `nbf` are each absent, `null` or a number: the registered claims
/// the crate's payload reader parses as `Option<f64>`.
#[must_use]
pub fn registered_claims_are_numbers(payload: &Value) -> bool {
    ["iat", "exp", "nbf"].iter().all(|name| {
        matches!(
            payload.get(name),
            None | Some(Value::Null | Value::Number(_))
        )
    })
}

/// Whether `json` is a JSON object whose top level names a member twice (RFC 7519 §4 requires
/// unique claim names). `false` for anything that is not an object.
#[must_use]
pub fn has_duplicate_members(json: &[u8]) -> bool {
    struct Members;

    impl<'de> Visitor<'de> for Members {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut seen = HashSet::new();
            let mut duplicate = false;
            while let Some(name) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                duplicate |= !seen.insert(name);
            }
            Ok(duplicate)
        }
    }

    let mut de = serde_json::Deserializer::from_slice(json);
    de.deserialize_map(Members).unwrap_or(false)
}

/// The payload segment of a compact JWS, base64url-decoded, when it is one.
#[must_use]
pub fn decoded_payload(token: &[u8]) -> Option<Vec<u8>> {
    let mut parts = token.split(|&b| b == b'.');
    let _header = parts.next()?;
    let payload = parts.next()?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
}

/// Checks the scopes the crate read from a verified token against [`reference_scopes`] over
/// its payload, for tokens whose payload names no claim twice.
///
/// # Panics
///
/// When they differ: a finding.
pub fn assert_scopes_match(token: &[u8], claim: Claim, granted: &GrantedScopes, who: &str) {
    let Some(json) = decoded_payload(token) else {
        panic!("{who}: a verified token has no decodable payload");
    };
    if has_duplicate_members(&json) {
        return;
    }
    let payload: Value = serde_json::from_slice(&json)
        .unwrap_or_else(|err| panic!("{who}: a verified payload is not JSON: {err}"));
    match reference_scopes(&payload, claim) {
        Ok(expected) => assert_eq!(
            granted.as_slice(),
            expected.as_slice(),
            "{who}: granted scopes differ from the documented reading ({claim:?})"
        ),
        Err(shape) => panic!(
            "{who}: accepted a token whose `{}` has the wrong type",
            shape.0
        ),
    }
}

/// The verifiers a JWT target drives, all over one key.
pub struct Verifiers {
    /// `Issuer::new(ISSUER).audience(AUDIENCE)` with the key, token cache on (the default).
    pub authenticator: axum_scopes::Authenticator,
    /// `JwtKeys` with the defaults: no `iss` or `aud` check.
    pub keys: axum_scopes::JwtKeys,
    /// `JwtKeys` requiring `iss` = [`ISSUER`] and `aud` = [`AUDIENCE`].
    pub strict: axum_scopes::JwtKeys,
}

impl Verifiers {
    /// Runs `token` through every verifier and checks what they answer against each other and
    /// against the reference model of the scopes claim.
    ///
    /// Without `all` only the `Authenticator` runs (its later calls are served by its cache):
    /// the `JwtKeys` checks cost three more signature verifications, which the ES256 target
    /// spends on half of its inputs only.
    ///
    /// # Panics
    ///
    /// On a disagreement: a finding.
    pub fn check(&self, token: &[u8], all: bool) {
        use axum_scopes::jwt::Subject;

        let by_authenticator = block_on(self.authenticator.verify::<Value>(token));
        if let Ok(verified) = &by_authenticator {
            assert_scopes_match(
                token,
                Claim::ScopeOrScopes,
                &verified.scopes,
                "Authenticator",
            );
            // Served by the token cache now.
            let again = block_on(self.authenticator.verify::<Value>(token))
                .expect("Authenticator: a token it just accepted is rejected the second time");
            assert_eq!(
                again.claims, verified.claims,
                "Authenticator: cached claims differ"
            );
            assert_eq!(
                again.scopes, verified.scopes,
                "Authenticator: cached scopes differ"
            );
            if let Ok(claims) = block_on(self.authenticator.verify::<Claims>(token)) {
                assert_eq!(
                    claims.scopes, verified.scopes,
                    "Authenticator: Verified<Claims>"
                );
                if let Some(json) = decoded_payload(token)
                    && !has_duplicate_members(&json)
                {
                    assert_eq!(
                        claims.claims.scopes, verified.scopes,
                        "Authenticator: flattened GrantedScopes differ from Verified::scopes"
                    );
                }
            }
            let _ = block_on(self.authenticator.verify::<Subject>(token));
        }

        if !all {
            return;
        }
        let plain = self.keys.verify::<Value>(token);
        if by_authenticator.is_ok() {
            assert!(
                plain.is_ok(),
                "JwtKeys rejects what the stricter Authenticator accepted: {plain:?}"
            );
        }
        let scoped = self.keys.verify_scoped::<Value>(token);
        match (&plain, &scoped) {
            (_, Ok(verified)) => {
                assert!(
                    plain.is_ok(),
                    "verify_scoped accepts what verify rejects: {plain:?}"
                );
                assert_scopes_match(
                    token,
                    Claim::ScopeOrScopes,
                    &verified.scopes,
                    "verify_scoped",
                );
            }
            (Ok(claims), Err(err)) => {
                // verify_scoped may add only the scopes reader's own rejections.
                let json = decoded_payload(token).unwrap_or_default();
                if !has_duplicate_members(&json)
                    && registered_claims_are_numbers(claims)
                    && reference_scopes(claims, Claim::ScopeOrScopes).is_ok()
                {
                    panic!(
                        "verify_scoped rejects a token verify accepts, with valid scopes: {err:?}"
                    );
                }
            }
            (Err(_), Err(_)) => {}
        }
        if all || plain.is_ok() {
            let strict = self.strict.verify_scoped::<Claims>(token);
            if strict.is_ok() {
                assert!(
                    plain.is_ok(),
                    "strict JwtKeys accepts what plain JwtKeys rejects"
                );
            }
        }
    }
}
