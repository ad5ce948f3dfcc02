//! HS256 tokens through `Authenticator::verify` and `JwtKeys::verify`/`verify_scoped`.
//!
//! The first input byte chooses (see `TokenInput`): the rest as the token, or header and
//! payload JSON signed with the key, or payload JSON under the fixed valid header, so that
//! arbitrary JSON reaches the claims and scopes readers behind a valid signature.

#![no_main]

use std::sync::LazyLock;

use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::{Authenticator, Issuer, JwtKeys};
use axum_scopes_fuzz::{
    AUDIENCE, HS256_HEADER, HS256_SECRET, ISSUER, TokenInput, Verifiers, block_on, sign_hs256,
};
use libfuzzer_sys::fuzz_target;

static VERIFIERS: LazyLock<Verifiers> = LazyLock::new(|| {
    let key = Key::secret(HS256_SECRET, &[Algorithm::HS256]).expect("an HMAC key");
    let authenticator = block_on(
        Authenticator::builder()
            .issuer(Issuer::new(ISSUER).audience(AUDIENCE).key(key))
            .build(),
    )
    .expect("the authenticator builds");
    let keys = JwtKeys::hs256(HS256_SECRET);
    Verifiers {
        authenticator,
        strict: keys.clone().issuer(&[ISSUER]).audience(&[AUDIENCE]),
        keys,
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((_, input)) = TokenInput::split(data) else {
        return;
    };
    let token = input.token(HS256_HEADER, sign_hs256);
    VERIFIERS.check(&token, true);
});
