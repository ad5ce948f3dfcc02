//! The test issuer's signing keys: ES256 and RS256 keys generated once per process with the
//! crypto backend the build chose (aws-lc-rs, or p256 and rsa over the operating system's random
//! numbers), so no key is ever committed and no crypto crate is added for tests.

use std::sync::OnceLock;

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey};

/// A private key with its public JWK.
pub(crate) struct SigningKey {
    pub(crate) algorithm: Algorithm,
    pub(crate) kid: &'static str,
    pub(crate) encoding: EncodingKey,
    pub(crate) jwk: Jwk,
}

/// The key the test issuers of `algorithm` sign with, the same for the whole process.
pub(crate) fn ours(algorithm: Algorithm) -> &'static SigningKey {
    static KEYS: [OnceLock<SigningKey>; 2] = [OnceLock::new(), OnceLock::new()];
    generated(&KEYS, algorithm)
}

/// Another key of `algorithm` under the same `kid`: what a token signed by someone else looks
/// like to a verifier that picks the key by `kid`.
pub(crate) fn foreign(algorithm: Algorithm) -> &'static SigningKey {
    static KEYS: [OnceLock<SigningKey>; 2] = [OnceLock::new(), OnceLock::new()];
    generated(&KEYS, algorithm)
}

/// The key of `algorithm` in `keys` (RS256, or else ES256), generated on first use.
fn generated(
    keys: &'static [OnceLock<SigningKey>; 2],
    algorithm: Algorithm,
) -> &'static SigningKey {
    match algorithm {
        Algorithm::RS256 => keys[1].get_or_init(|| SigningKey::rs256(RS256_KID)),
        _ => keys[0].get_or_init(|| SigningKey::es256(ES256_KID)),
    }
}

/// The `kid` of the test issuers' ES256 key.
const ES256_KID: &str = "axum-scopes-test-es256";
/// The `kid` of the test issuers' RS256 key.
const RS256_KID: &str = "axum-scopes-test-rs256";

impl SigningKey {
    fn es256(kid: &'static str) -> Self {
        crate::crypto::install_crypto_provider();
        Self::new(
            Algorithm::ES256,
            kid,
            EncodingKey::from_ec_der(&p256_pkcs8()),
        )
    }

    fn rs256(kid: &'static str) -> Self {
        crate::crypto::install_crypto_provider();
        Self::new(Algorithm::RS256, kid, rsa_2048())
    }

    fn new(algorithm: Algorithm, kid: &'static str, encoding: EncodingKey) -> Self {
        let mut jwk =
            Jwk::from_encoding_key(&encoding, algorithm).expect("a generated key has a public JWK");
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Self {
            algorithm,
            kid,
            encoding,
            jwk,
        }
    }
}

/// A new P-256 private key, PKCS #8 DER.
#[cfg(feature = "aws-lc-rs")]
fn p256_pkcs8() -> Vec<u8> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .and_then(|pair| pair.to_pkcs8v1())
        .expect("aws-lc-rs generates a P-256 key")
        .as_ref()
        .to_vec()
}

/// A new P-256 private key, PKCS #8 DER.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
fn p256_pkcs8() -> Vec<u8> {
    use p256::pkcs8::EncodePrivateKey as _;
    loop {
        let mut scalar = [0_u8; 32];
        getrandom::fill(&mut scalar).expect("the operating system gives random numbers");
        // Out of range (zero or above the group order) about once in 2^32 draws: draw again.
        if let Ok(secret) = p256::SecretKey::from_slice(&scalar) {
            return secret
                .to_pkcs8_der()
                .expect("a P-256 key encodes as PKCS #8")
                .as_bytes()
                .to_vec();
        }
    }
}

/// A new 2048-bit RSA private key. aws-lc-rs writes it as PKCS #8, which jsonwebtoken reads
/// from PEM (its DER constructor wants PKCS #1).
#[cfg(feature = "aws-lc-rs")]
fn rsa_2048() -> EncodingKey {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use base64::Engine as _;
    let der = KeyPair::generate(KeySize::Rsa2048)
        .and_then(|pair| pair.as_der())
        .expect("aws-lc-rs generates an RSA key");
    let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    EncodingKey::from_rsa_pem(pem.as_bytes()).expect("jsonwebtoken reads a PKCS #8 RSA key")
}

/// A new 2048-bit RSA private key, PKCS #1 DER (what jsonwebtoken's DER constructor reads).
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
fn rsa_2048() -> EncodingKey {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    let key = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048)
        .expect("the operating system gives random numbers");
    let der = key.to_pkcs1_der().expect("an RSA key encodes as PKCS #1");
    EncodingKey::from_rsa_der(der.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_keys_differ_and_publish_only_their_public_half() {
        for (algorithm, kty, public, private) in [
            (Algorithm::ES256, "EC", "x", "d"),
            (Algorithm::RS256, "RSA", "n", "d"),
        ] {
            let (mine, theirs) = (ours(algorithm), foreign(algorithm));
            assert_eq!(mine.kid, theirs.kid);
            let mine = serde_json::to_value(&mine.jwk).unwrap();
            let theirs = serde_json::to_value(&theirs.jwk).unwrap();
            assert_ne!(mine[public], theirs[public]);
            assert_eq!(mine["kty"], kty);
            assert!(
                mine.get(private).is_none(),
                "the private part is never published"
            );
        }
    }
}
