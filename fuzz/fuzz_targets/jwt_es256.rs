//! ES256 tokens (the P-256 fixture key) through `Authenticator::verify` and
//! `JwtKeys::verify`/`verify_scoped`.
//!
//! Framing as in `jwt_hs256`; forged tokens are signed with the fixture's private key, so the
//! signature passes and the payload readers get arbitrary JSON. Bit 0 of `first byte / 3` runs
//! the checks that cost further signature verifications.

#![no_main]

use std::sync::LazyLock;

use axum_scopes::jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use axum_scopes::jwt::Key;
use axum_scopes::{Authenticator, Issuer, JwtKeys};
use axum_scopes_fuzz::{
    AUDIENCE, EC_PRIVATE_PEM, EC_PUBLIC_PEM, ES256_HEADER, ISSUER, TokenInput, Verifiers, block_on,
    sign_es256,
};
use libfuzzer_sys::fuzz_target;

static VERIFIERS: LazyLock<Verifiers> = LazyLock::new(|| {
    axum_scopes::jwt::install_crypto_provider();
    let key = Key::from_pem(EC_PUBLIC_PEM, &[Algorithm::ES256]).expect("the fixture public key");
    let authenticator = block_on(
        Authenticator::builder()
            .issuer(Issuer::new(ISSUER).audience(AUDIENCE).key(key))
            .build(),
    )
    .expect("the authenticator builds");
    let keys = JwtKeys::from_keys(
        Algorithm::ES256,
        EncodingKey::from_ec_pem(EC_PRIVATE_PEM).expect("the fixture private key"),
        DecodingKey::from_ec_pem(EC_PUBLIC_PEM).expect("the fixture public key"),
    );
    Verifiers {
        authenticator,
        strict: keys.clone().issuer(&[ISSUER]).audience(&[AUDIENCE]),
        keys,
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((first, input)) = TokenInput::split(data) else {
        return;
    };
    let token = input.token(ES256_HEADER, sign_es256);
    VERIFIERS.check(&token, (first / 3) & 1 == 1);
});
