//! One DPoP proof's checks (RFC 9449 §4.3), in order: the compact form, the header (`typ`
//! `dpop+jwt`, an allowed asymmetric `alg`, a public `jwk` fitting it, no `crit`), the
//! signature by that `jwk`, then the claims: `htm`, `htu`, `iat`, the server nonce when
//! required, and `ath`. What the token's binding and the replay cache decide comes after, from
//! the [`Checked`] proof.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::ProofError;
use super::htu;

/// The longest proof decoded at all.
pub(crate) const MAX_PROOF_LEN: usize = 8 * 1024;

/// The longest `jti` accepted (its hash is what the replay cache keeps).
const MAX_JTI_LEN: usize = 256;

/// A proof that passed every check of its own.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The RFC 7638 SHA-256 thumbprint of its key, base64url: what the token's `cnf.jkt` must
    /// be.
    pub(crate) jkt: String,
    /// What the replay cache keeps: SHA-256 of the thumbprint and the `jti`.
    pub(crate) replay_key: [u8; 32],
    /// Its `iat`, for how long the replay cache keeps it.
    pub(crate) iat: i64,
    /// When it was checked ([`Rules::now`]).
    pub(crate) at: i64,
}

/// What the request says, to compare the proof with.
pub(crate) struct Request<'r> {
    pub(crate) method: &'r str,
    /// The request's URI as its clients see it, normalised ([`htu::External::request_uri`]).
    pub(crate) uri: &'r str,
    /// The bytes of the access token, for `ath`.
    pub(crate) token: &'r [u8],
}

/// What the checks are configured with.
pub(crate) struct Rules<'a> {
    /// The one clock reading of the check, seconds since 1970.
    pub(crate) now: i64,
    pub(crate) algorithms: &'a [Algorithm],
    /// Oldest and newest `iat` accepted, seconds since 1970.
    pub(crate) oldest: i64,
    pub(crate) newest: i64,
    /// Whether `nonce` is accepted (`None` when nonces are not required).
    pub(crate) nonce: Option<&'a dyn Fn(&str) -> bool>,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    typ: Option<String>,
    alg: String,
    #[serde(default)]
    jwk: Option<Jwk>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// The header read a second time, for what `Jwk` does not keep: whether the `jwk` holds a
/// private member (read without allocating).
#[derive(Deserialize)]
struct PrivateProbe {
    #[serde(default)]
    jwk: Option<PrivateMembers>,
}

/// The members of a JWK that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037).
#[derive(Deserialize)]
struct PrivateMembers {
    #[serde(default)]
    d: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    p: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    q: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    dp: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    dq: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    qi: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    oth: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    k: Option<serde::de::IgnoredAny>,
}

impl PrivateMembers {
    fn any(&self) -> bool {
        [
            &self.d, &self.p, &self.q, &self.dp, &self.dq, &self.qi, &self.oth, &self.k,
        ]
        .iter()
        .any(|member| member.is_some())
    }
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    htm: Option<String>,
    #[serde(default)]
    htu: Option<String>,
    #[serde(default)]
    iat: Option<serde_json::Number>,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Checks `proof` against `request` under `rules`.
pub(crate) fn check(
    proof: &[u8],
    request: &Request<'_>,
    rules: &Rules<'_>,
) -> Result<Checked, ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::Malformed);
    }
    let proof = std::str::from_utf8(proof).map_err(|_| ProofError::Malformed)?;
    let mut parts = proof.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed);
    };
    let header = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| ProofError::Malformed)?;
    // Any JSON object passes the probe: a header it refuses is not one.
    let probe: PrivateProbe = serde_json::from_slice(&header).map_err(|_| ProofError::Malformed)?;
    // Not a JSON object, no `alg`, or a `jwk` that is no JWK at all.
    let header: Header = serde_json::from_slice(&header).map_err(|_| ProofError::Malformed)?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case("dpop+jwt"))
    {
        return Err(ProofError::Type);
    }
    if header.crit.is_some() {
        return Err(ProofError::Malformed);
    }
    let alg = header
        .alg
        .parse::<Algorithm>()
        .ok()
        .filter(|alg| rules.algorithms.contains(alg))
        .ok_or(ProofError::Algorithm)?;
    if probe.jwk.as_ref().is_some_and(PrivateMembers::any) {
        return Err(ProofError::PrivateKey);
    }
    let jwk = header.jwk.ok_or(ProofError::Key)?;
    if !fits(&jwk, alg) {
        return Err(ProofError::Key);
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| ProofError::Key)?;
    let message = &proof[..header_and_payload_len(proof)];
    let valid = jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key, alg)
        .map_err(|_| ProofError::Signature)?;
    if !valid {
        return Err(ProofError::Signature);
    }
    let claims: Claims = decode_json(payload)?;
    let (Some(jti), Some(htm), Some(htu), Some(iat)) =
        (claims.jti, claims.htm, claims.htu, claims.iat)
    else {
        return Err(ProofError::MissingClaim);
    };
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(ProofError::MissingClaim);
    }
    if htm != request.method {
        return Err(ProofError::Method);
    }
    if htu::normalize(&htu).as_deref() != Some(request.uri) {
        return Err(ProofError::Uri);
    }
    // A NumericDate may have a fraction; its second is what counts.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a float beyond i64 saturates, and is refused as stale or future"
    )]
    let iat = iat
        .as_i64()
        .or_else(|| iat.as_f64().map(|iat| iat.floor() as i64))
        .ok_or(ProofError::MissingClaim)?;
    if iat < rules.oldest {
        return Err(ProofError::Stale);
    }
    if iat > rules.newest {
        return Err(ProofError::Future);
    }
    if let Some(accepts) = rules.nonce
        && !claims.nonce.as_deref().is_some_and(accepts)
    {
        return Err(ProofError::UseNonce);
    }
    let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(request.token));
    let ath_matches = claims
        .ath
        .as_deref()
        .is_some_and(|ath| constant_time_eq::constant_time_eq(ath.as_bytes(), expected.as_bytes()));
    if !ath_matches {
        return Err(ProofError::TokenHash);
    }
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| ProofError::Key)?;
    let mut hash = Sha256::new();
    hash.update(jkt.as_bytes());
    hash.update([0]);
    hash.update(jti.as_bytes());
    Ok(Checked {
        jkt,
        replay_key: hash.finalize().into(),
        iat,
        at: rules.now,
    })
}

/// Where the signature starts, less its dot.
fn header_and_payload_len(proof: &str) -> usize {
    proof.rfind('.').unwrap_or(proof.len())
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, ProofError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| ProofError::Malformed)
}

/// Whether `jwk` is a key of the kind and curve `alg` signs with.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve};
    match (&jwk.algorithm, alg) {
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES384) => {
            ec.curve == EllipticCurve::P384
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_bytes(proof: &[u8]) -> Result<Checked, ProofError> {
        let rules = Rules {
            now: 0,
            algorithms: &[Algorithm::ES256],
            oldest: 0,
            newest: i64::MAX,
            nonce: None,
        };
        let request = Request {
            method: "GET",
            uri: "http://a.test/",
            token: b"t",
        };
        check(proof, &request, &rules)
    }

    fn part(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Bad input of every shape is refused with a reason, never a panic.
    #[test]
    fn malformed_proofs_are_refused() {
        let long = vec![b'a'; MAX_PROOF_LEN + 1];
        let cases: Vec<(Vec<u8>, ProofError)> = vec![
            (b"".to_vec(), ProofError::Malformed),
            (b"a.b".to_vec(), ProofError::Malformed),
            (b"a.b.c.d".to_vec(), ProofError::Malformed),
            (b"\xff\xfe.b.c".to_vec(), ProofError::Malformed),
            (long, ProofError::Malformed),
            (format!("{}.e30.sig", part("[]")).into_bytes(), ProofError::Malformed),
            (format!("{}.e30.sig", part("{}")).into_bytes(), ProofError::Malformed),
            (
                format!("{}.e30.sig", part(r#"{"alg":"ES256","typ":"JWT"}"#)).into_bytes(),
                ProofError::Type,
            ),
            (
                format!("{}.e30.sig", part(r#"{"alg":"none","typ":"dpop+jwt"}"#)).into_bytes(),
                ProofError::Algorithm,
            ),
            (
                format!("{}.e30.sig", part(r#"{"alg":"ES256","typ":"dpop+jwt"}"#)).into_bytes(),
                ProofError::Key,
            ),
            (
                format!(
                    "{}.e30.sig",
                    part(r#"{"alg":"ES256","typ":"dpop+jwt","crit":["x"]}"#)
                )
                .into_bytes(),
                ProofError::Malformed,
            ),
            (
                format!(
                    "{}.e30.sig",
                    part(r#"{"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}"#)
                )
                .into_bytes(),
                ProofError::Key,
            ),
            (
                format!(
                    "{}.e30.sig",
                    part(r#"{"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}}"#)
                )
                .into_bytes(),
                ProofError::PrivateKey,
            ),
        ];
        for (proof, expected) in cases {
            let got = check_bytes(&proof).unwrap_err();
            assert_eq!(got, expected, "{}", String::from_utf8_lossy(&proof));
        }
    }
}
