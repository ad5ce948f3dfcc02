//! The test issuer's signing keys: ES256 keys generated once per process with the crypto
//! backend the build chose (aws-lc-rs, or p256 over the operating system's random numbers), so
//! no key is ever committed and no crypto crate is added for tests.

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

/// The key the test issuers sign with, the same for the whole process.
pub(crate) fn es256() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::es256(KID))
}

/// Another key under the same `kid`: what a token signed by someone else looks like to a
/// verifier that picks the key by `kid`.
pub(crate) fn foreign_es256() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::es256(KID))
}

/// The `kid` of the test issuers' key.
const KID: &str = "axum-scopes-test-es256";

impl SigningKey {
    fn es256(kid: &'static str) -> Self {
        crate::crypto::install_crypto_provider();
        let encoding = EncodingKey::from_ec_der(&p256_pkcs8());
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256)
            .expect("a generated P-256 key has a public JWK");
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Self {
            algorithm: Algorithm::ES256,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_keys_differ_and_publish_only_their_public_half() {
        let (ours, foreign) = (es256(), foreign_es256());
        assert_eq!(ours.kid, foreign.kid);
        let ours = serde_json::to_value(&ours.jwk).unwrap();
        let foreign = serde_json::to_value(&foreign.jwk).unwrap();
        assert_ne!(ours["x"], foreign["x"]);
        assert_eq!(ours["kty"], "EC");
        assert_eq!(ours["crv"], "P-256");
        assert!(
            ours.get("d").is_none(),
            "the private scalar is never published"
        );
    }
}
