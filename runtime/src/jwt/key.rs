//! Verification keys: [`Key`], from secrets, PEM, DER and JWK text.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use jsonwebtoken::errors::{Error as JwtError, ErrorKind};
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;

/// Why a [`Key`] could not be built, or why static JWKS text was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The list of accepted algorithms is empty.
    #[error("a key must accept at least one algorithm")]
    NoAlgorithm,
    /// An accepted algorithm does not belong to the key's type (for instance
    /// `HS256` for an RSA key, or `RS256` for a secret): the pairing that
    /// algorithm-confusion attacks rely on.
    #[error("algorithm {algorithm:?} does not fit this key")]
    AlgorithmMismatch {
        /// The offending algorithm.
        algorithm: Algorithm,
    },
    /// The key material could not be read (bad PEM, DER, base64 or curve
    /// point).
    #[error("key material is unreadable")]
    Unreadable(#[source] JwtError),
    /// A JWK of a type or curve that cannot verify JWS signatures here
    /// (`P-521`, `X25519`, an encryption key, ...).
    #[error("key type is not supported")]
    Unsupported,
    /// The JWKS text is not a JSON object with a `keys` array.
    #[error("key set is not a JWKS document")]
    InvalidJwks(#[source] Arc<serde_json::Error>),
}

/// One verification key with the algorithms it accepts.
///
/// The accepted algorithms are always explicit: a token's `alg` is only ever
/// checked against this list, so an RSA key never accepts `HS256` and no key
/// accepts `none`.
#[derive(Clone)]
pub struct Key {
    kid: Option<String>,
    decoding: DecodingKey,
    algorithms: Vec<Algorithm>,
    /// What the verified-token cache remembers a token was verified with: the digest of the
    /// JWK's text for keys from a JWKS (so a refresh that keeps the key keeps its cached
    /// tokens), a number unique in the process otherwise.
    id: KeyId,
}

/// The identity of a loaded key, see [`Key`]'s `id`.
pub(crate) type KeyId = u64;

/// The [`KeyId`] of tokens vouched for by introspection rather than a key: no key has it
/// ([`unique_key_id`] starts at 1, fingerprints have the high bit set).
pub(crate) const INTROSPECTED: KeyId = 0;

/// A [`KeyId`] no other key of the process has (the high bit is left to fingerprints).
fn unique_key_id() -> KeyId {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) & !(1 << 63)
}

/// The [`KeyId`] of a JWK: the first eight bytes of the SHA-256 of its JSON text, high bit set.
fn jwk_key_id(jwk: &serde_json::Value) -> KeyId {
    use sha2::Digest as _;
    let text = serde_json::to_vec(jwk).unwrap_or_default();
    let digest = sha2::Sha256::digest(&text);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) | (1 << 63)
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets are never printed.
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// A shared secret for HMAC (`HS256`, `HS384`, `HS512`), used as bytes.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoAlgorithm`] or [`KeyError::AlgorithmMismatch`] when
    /// `algorithms` is empty or names a non-HMAC algorithm.
    pub fn secret(secret: &[u8], algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        let key = DecodingKey::from_secret(secret).map_err(KeyError::Unreadable)?;
        Self::new(key, algorithms)
    }

    /// A public key in PEM: `PUBLIC KEY` (`SubjectPublicKeyInfo`, what
    /// `openssl pkey -pubout` writes) for RSA, EC and Ed25519, or
    /// `RSA PUBLIC KEY` (PKCS #1). Its type is taken from `algorithms`, which
    /// must all be of one family: RSA (`RS*`, `PS*`), EC (`ES256`, `ES384`)
    /// or `EdDSA`.
    ///
    /// # Errors
    ///
    /// [`KeyError::NoAlgorithm`], [`KeyError::AlgorithmMismatch`] (mixed
    /// families, or an HMAC algorithm), or [`KeyError::Unreadable`].
    pub fn from_pem(pem: &[u8], algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        let key = match family_of(algorithms)? {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => {
                return Err(KeyError::AlgorithmMismatch {
                    algorithm: algorithms[0],
                });
            }
        }
        .map_err(KeyError::Unreadable)?;
        Self::new(key, algorithms)
    }

    /// A public key in DER `SubjectPublicKeyInfo` (what
    /// `openssl pkey -pubout -outform DER` writes), or PKCS #1 for RSA. Its
    /// type is taken from `algorithms`, as for [`Key::from_pem`].
    ///
    /// # Errors
    ///
    /// As [`Key::from_pem`].
    pub fn from_der(der: &[u8], algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        // jsonwebtoken's `from_*_der` take the inner key bytes; wrapping the
        // DER in PEM lets its parser unpack `SubjectPublicKeyInfo` for us.
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        base64::engine::general_purpose::STANDARD.encode_string(der, &mut pem);
        pem.push_str("\n-----END PUBLIC KEY-----\n");
        match Self::from_pem(pem.as_bytes(), algorithms) {
            Err(KeyError::Unreadable(_))
                if family_of(algorithms).ok() == Some(AlgorithmFamily::Rsa) =>
            {
                Self::new(DecodingKey::from_rsa_der(der), algorithms)
            }
            other => other,
        }
    }

    /// A key from a JSON Web Key (RFC 7517).
    ///
    /// The accepted algorithms are the JWK's `alg` when present (it must fit
    /// the key type), else every algorithm of the key type and curve: all of
    /// `RS*` and `PS*` for RSA, `ES256` for P-256, `ES384` for P-384, `EdDSA`
    /// for Ed25519, `HS*` for `oct`. The `kid` is kept.
    ///
    /// # Errors
    ///
    /// [`KeyError::Unsupported`] for keys marked `"use": "enc"`, keys whose
    /// `key_ops` lack `verify`, and unsupported types or curves;
    /// [`KeyError::AlgorithmMismatch`] when `alg` does not fit the key;
    /// [`KeyError::Unreadable`] for bad base64 or an Ed25519 key that is not
    /// 32 bytes.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if matches!(
            jwk.common.public_key_use,
            Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
        ) {
            return Err(KeyError::Unsupported);
        }
        if let Some(ops) = &jwk.common.key_operations
            && !ops.iter().any(|op| matches!(op, KeyOperations::Verify))
        {
            return Err(KeyError::Unsupported);
        }
        let implied: &[Algorithm] = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => AlgorithmFamily::Rsa.algorithms(),
            AlgorithmParameters::EllipticCurve(params) => match params.curve {
                EllipticCurve::P256 => &[Algorithm::ES256],
                EllipticCurve::P384 => &[Algorithm::ES384],
                _ => return Err(KeyError::Unsupported),
            },
            AlgorithmParameters::OctetKeyPair(params) => match params.curve {
                EllipticCurve::Ed25519 => &[Algorithm::EdDSA],
                _ => return Err(KeyError::Unsupported),
            },
            AlgorithmParameters::OctetKey(_) => AlgorithmFamily::Hmac.algorithms(),
            _ => return Err(KeyError::Unsupported),
        };
        let algorithms = match jwk.common.key_algorithm {
            None => implied.to_vec(),
            Some(alg) => {
                let alg = jwk_algorithm(alg).ok_or(KeyError::Unsupported)?;
                if !implied.contains(&alg) {
                    return Err(KeyError::AlgorithmMismatch { algorithm: alg });
                }
                vec![alg]
            }
        };
        let key = DecodingKey::from_jwk(jwk).map_err(KeyError::Unreadable)?;
        let mut key = Self::new(key, &algorithms)?;
        key.kid.clone_from(&jwk.common.key_id);
        Ok(key)
    }

    /// Every usable key of a JWKS document (`{"keys": [...]}`), in order.
    ///
    /// Keys that [`Key::from_jwk`] refuses (encryption keys, unsupported
    /// curves, ...) are skipped with a debug log, as providers publish them
    /// next to signing keys.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidJwks`] when `json` is not an object with a `keys`
    /// array.
    pub fn from_jwks(json: &str) -> Result<Vec<Self>, KeyError> {
        parse_jwks(json.as_bytes(), true).map_err(|err| KeyError::InvalidJwks(Arc::new(err)))
    }

    /// Sets the key id a token's `kid` header must equal to select this key.
    ///
    /// Defaults to none: the key is then only used for tokens without `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The key id, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithms this key accepts.
    #[must_use]
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The key id, the key and its algorithms, for the core's lookup table.
    pub(crate) fn into_parts(self) -> (Option<String>, DecodingKey, Vec<Algorithm>, KeyId) {
        (self.kid, self.decoding, self.algorithms, self.id)
    }

    pub(crate) fn new(key: DecodingKey, algorithms: &[Algorithm]) -> Result<Self, KeyError> {
        if algorithms.is_empty() {
            return Err(KeyError::NoAlgorithm);
        }
        if let Some(&algorithm) = algorithms.iter().find(|alg| alg.family() != key.family()) {
            return Err(KeyError::AlgorithmMismatch { algorithm });
        }
        // jsonwebtoken slices an Ed25519 key to 32 bytes when verifying, which
        // panics on a shorter key: refuse it here instead.
        if key.family() == AlgorithmFamily::Ed
            && key.try_get_as_bytes().map(<[u8]>::len).ok() != Some(32)
        {
            return Err(KeyError::Unreadable(ErrorKind::InvalidEddsaKey.into()));
        }
        Ok(Self {
            kid: None,
            decoding: key,
            algorithms: algorithms.to_vec(),
            id: unique_key_id(),
        })
    }
}

fn family_of(algorithms: &[Algorithm]) -> Result<AlgorithmFamily, KeyError> {
    let first = algorithms.first().ok_or(KeyError::NoAlgorithm)?;
    match algorithms.iter().find(|alg| alg.family() != first.family()) {
        Some(&algorithm) => Err(KeyError::AlgorithmMismatch { algorithm }),
        None => Ok(first.family()),
    }
}

fn jwk_algorithm(alg: KeyAlgorithm) -> Option<Algorithm> {
    Algorithm::try_from(alg).ok()
}

/// Parses a JWKS document, skipping the keys that cannot verify signatures.
/// `allow_secrets` is false for fetched documents: a symmetric key published
/// at a URL would let anyone who can read it mint tokens.
pub(crate) fn parse_jwks(json: &[u8], allow_secrets: bool) -> Result<Vec<Key>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_slice(json)?;
    let mut keys = Vec::with_capacity(document.keys.len());
    for value in document.keys {
        let id = jwk_key_id(&value);
        let key = serde_json::from_value::<Jwk>(value)
            .map_err(|err| KeyError::InvalidJwks(Arc::new(err)))
            .and_then(|jwk| {
                if !allow_secrets && matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
                    return Err(KeyError::Unsupported);
                }
                Key::from_jwk(&jwk).map(|key| Key { id, ..key })
            });
        match key {
            Ok(key) => keys.push(key),
            Err(err) => tracing::debug!(error = %err, "JWKS entry skipped"),
        }
    }
    Ok(keys)
}
