//! Tokens as the tests make them: HMAC-signed with a secret, for a subject and its scopes, or
//! forged byte for byte. Tokens of the fixture keys (RSA, EC, `EdDSA`) are
//! [`TestKey`](crate::provider::TestKey)'s.

use std::time::{SystemTime, UNIX_EPOCH};

use axum_scopes::JwtKeys;
use axum_scopes::jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use axum_scopes_demo::DEFAULT_SECRET_KEY;
use serde_json::{Value, json};

/// Seconds since the epoch.
#[must_use]
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// A token signed with the tutorial's secret.
#[must_use]
pub fn mint(claims: &Value) -> String {
    mint_with(DEFAULT_SECRET_KEY.as_bytes(), Algorithm::HS256, claims)
}

/// A token signed with `secret` and `algorithm` (an HMAC algorithm).
#[must_use]
pub fn mint_with(secret: &[u8], algorithm: Algorithm, claims: &Value) -> String {
    JwtKeys::from_keys(
        algorithm,
        EncodingKey::from_secret(secret).unwrap(),
        DecodingKey::from_secret(secret).unwrap(),
    )
    .issue(claims)
    .expect("test claims serialize")
}

/// A valid tutorial token for `sub` granting `scopes`, valid for ten minutes.
#[must_use]
pub fn token_for(sub: &str, scopes: &[&str]) -> String {
    Tokens::new(DEFAULT_SECRET_KEY.as_bytes(), sub).scopes(scopes)
}

/// The tokens of one subject, signed HS256 with one secret and valid for ten minutes: what a
/// test of a guard sends. A test module names its subject once
/// (`const ALICE: Tokens = Tokens::new(SECRET, "alice");`), then asks for the scopes each request
/// needs (`ALICE.scope("items")`).
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'a> {
    secret: &'a [u8],
    sub: &'a str,
    iss: Option<&'a str>,
}

impl<'a> Tokens<'a> {
    /// Tokens for `sub` signed with `secret`, without `iss`.
    #[must_use]
    pub const fn new(secret: &'a [u8], sub: &'a str) -> Self {
        Self {
            secret,
            sub,
            iss: None,
        }
    }

    /// The same tokens, issued by `iss`.
    #[must_use]
    pub const fn issuer(self, iss: &'a str) -> Self {
        Self {
            iss: Some(iss),
            ..self
        }
    }

    /// A token granting `scope`, a space-separated `scope` claim (RFC 9068, RFC 8693).
    #[must_use]
    pub fn scope(&self, scope: &str) -> String {
        self.sign("scope", json!(scope))
    }

    /// A token granting `scopes`, a `scopes` list claim (the tutorial's).
    #[must_use]
    pub fn scopes(&self, scopes: &[&str]) -> String {
        self.sign("scopes", json!(scopes))
    }

    fn sign(&self, claim: &str, scopes: Value) -> String {
        let mut claims = json!({ "sub": self.sub, "exp": now() + 600 });
        claims[claim] = scopes;
        if let Some(iss) = self.iss {
            claims["iss"] = json!(iss);
        }
        mint_with(self.secret, Algorithm::HS256, &claims)
    }
}

/// A token whose payload is `payload` byte for byte (say, with a member named twice), signed
/// with the tutorial's secret.
#[must_use]
pub fn mint_raw(payload: &str) -> String {
    forge(r#"{"alg":"HS256","typ":"JWT"}"#, payload, tutorial_hs256)
}

/// A token whose header carries `crit`, signed with the tutorial's secret.
#[must_use]
pub fn token_with_crit(claims: &Value) -> String {
    forge(
        r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#,
        &claims.to_string(),
        tutorial_hs256,
    )
}

fn tutorial_hs256(message: &[u8]) -> String {
    hmac(message, DEFAULT_SECRET_KEY.as_bytes(), Algorithm::HS256)
}

/// A token whose header and payload are the given JSON texts, signed over their base64url form
/// by `sign` (which returns the base64url signature).
#[must_use]
pub fn forge(header: &str, payload: &str, sign: impl FnOnce(&[u8]) -> String) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let message = format!("{}.{}", engine.encode(header), engine.encode(payload));
    let signature = sign(message.as_bytes());
    format!("{message}.{signature}")
}

/// The HMAC signature of `message` under `secret`, base64url.
#[must_use]
pub fn hmac(message: &[u8], secret: &[u8], alg: Algorithm) -> String {
    // `jsonwebtoken` is used directly here: install the provider first, as `JwtKeys` would.
    axum_scopes::jwt::install_crypto_provider();
    axum_scopes::jsonwebtoken::crypto::sign(
        message,
        &EncodingKey::from_secret(secret).unwrap(),
        alg,
    )
    .expect("HMAC signing does not fail")
}
