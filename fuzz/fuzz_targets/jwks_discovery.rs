//! Key material from the outside: JWKS documents, single JWKs, PEM and DER.
//!
//! `first byte % 4` chooses how the rest is read: 0 JWKS text (`Key::from_jwks` and
//! `Issuer::jwks`), 1 one JWK (`Key::from_jwk`), 2 PEM and 3 DER (`Key::from_pem`,
//! `Key::from_der`) for the algorithm family `first / 4 % 5` picks. Whatever keys come out are
//! put in an `Authenticator`, which then verifies tokens signed with the fixture keys, so
//! fuzzed keys are also used, not just parsed.
//!
//! OpenID Connect discovery documents are parsed only inside the JWKS client, after an HTTP
//! fetch (`jwks.rs`, private `discover`); no public function takes their text, so they are not
//! fuzzed here.

#![no_main]

use std::sync::LazyLock;

use axum_scopes::jsonwebtoken::jwk::Jwk;
use axum_scopes::jsonwebtoken::{Algorithm, EncodingKey, Header};
use axum_scopes::jwt::{Key, TokenCacheOptions};
use axum_scopes::{Authenticator, Issuer};
use axum_scopes_fuzz::{FAR_FUTURE, HS256_SECRET, ISSUER, block_on};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const FAMILIES: [&[Algorithm]; 5] = [
    &[Algorithm::RS256, Algorithm::PS256],
    &[Algorithm::ES256],
    &[Algorithm::ES384],
    &[Algorithm::EdDSA],
    &[Algorithm::HS256],
];

/// Tokens of every fixture key, with and without the seed corpus's `kid`s.
static TOKENS: LazyLock<Vec<String>> = LazyLock::new(|| {
    axum_scopes::jwt::install_crypto_provider();
    let fixture = |name: &str| -> &'static [u8] {
        match name {
            "rsa" => include_bytes!("../../tests/fixtures/keys/rsa.key.pem"),
            "ec-p256" => include_bytes!("../../tests/fixtures/keys/ec-p256.key.pem"),
            "ec-p384" => include_bytes!("../../tests/fixtures/keys/ec-p384.key.pem"),
            _ => include_bytes!("../../tests/fixtures/keys/ed25519.key.pem"),
        }
    };
    let keys = [
        (
            "rsa",
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(fixture("rsa")),
        ),
        (
            "rsa",
            Algorithm::PS256,
            EncodingKey::from_rsa_pem(fixture("rsa")),
        ),
        (
            "ec",
            Algorithm::ES256,
            EncodingKey::from_ec_pem(fixture("ec-p256")),
        ),
        (
            "ec384",
            Algorithm::ES384,
            EncodingKey::from_ec_pem(fixture("ec-p384")),
        ),
        (
            "ed",
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(fixture("ed25519")),
        ),
        (
            "oct",
            Algorithm::HS256,
            EncodingKey::from_secret(HS256_SECRET),
        ),
    ];
    let claims = json!({ "iss": ISSUER, "sub": "johndoe", "scope": "me items", "exp": FAR_FUTURE });
    let mut tokens = Vec::new();
    for (kid, alg, key) in keys {
        let key = key.expect("fixture keys are valid");
        for kid in [Some(kid), None] {
            let mut header = Header::new(alg);
            header.kid = kid.map(str::to_owned);
            tokens
                .push(axum_scopes::jsonwebtoken::encode(&header, &claims, &key).expect("signing"));
        }
    }
    tokens
});

fn check_key(key: &Key) {
    let algorithms = key.algorithms();
    assert!(!algorithms.is_empty(), "a key without algorithms");
    let family = algorithms[0].family();
    assert!(
        algorithms.iter().all(|alg| alg.family() == family),
        "a key of mixed families: {algorithms:?}"
    );
}

/// Builds an authenticator over `issuer` and verifies every fixture token with it.
fn use_keys(issuer: Issuer, expect_keys: bool) {
    let built = block_on(
        Authenticator::builder()
            .issuer(issuer)
            .token_cache(TokenCacheOptions::disabled())
            .build(),
    );
    assert_eq!(built.is_ok(), expect_keys, "build: {built:?}");
    let Ok(authenticator) = built else {
        return;
    };
    for token in TOKENS.iter() {
        if let Ok(verified) = block_on(authenticator.verify::<Value>(token.as_bytes())) {
            assert_eq!(verified.claims["iss"], ISSUER);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let algorithms = FAMILIES[usize::from(first / 4) % FAMILIES.len()];
    match first % 4 {
        0 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            let keys = Key::from_jwks(text);
            let issuer = Issuer::new(ISSUER).jwks(text);
            assert_eq!(
                keys.is_ok(),
                issuer.is_ok(),
                "Key::from_jwks and Issuer::jwks disagree"
            );
            if let (Ok(keys), Ok(issuer)) = (keys, issuer) {
                keys.iter().for_each(check_key);
                use_keys(issuer, !keys.is_empty());
            }
        }
        1 => {
            let Ok(jwk) = serde_json::from_slice::<Jwk>(rest) else {
                return;
            };
            if let Ok(key) = Key::from_jwk(&jwk) {
                check_key(&key);
                assert_eq!(key.kid(), jwk.common.key_id.as_deref(), "the kid is kept");
                use_keys(Issuer::new(ISSUER).key(key), true);
            }
        }
        2 => {
            if let Ok(key) = Key::from_pem(rest, algorithms) {
                check_key(&key);
                assert_eq!(key.algorithms(), algorithms);
                use_keys(Issuer::new(ISSUER).key(key), true);
            }
        }
        _ => {
            if let Ok(key) = Key::from_der(rest, algorithms) {
                check_key(&key);
                assert_eq!(key.algorithms(), algorithms);
                use_keys(Issuer::new(ISSUER).key(key), true);
            }
        }
    }
});
