//! Attacks taken from published advisories against JWT libraries, aimed at the verification core
//! through its public API only: [`Authenticator::verify`] with an RS256 and an ES256 key (static
//! PEM, DER and JWKS keys, and a JWKS served by the test provider). Each test is named after the
//! advisory whose attack it replays, checks first that the untampered token is accepted, and
//! asserts the exact [`TokenError`] of every rejection.
//!
//! - CVE-2026-25537 / GHSA-h395-gr6q-cpjc (`jsonwebtoken`): `exp` or `nbf` of the wrong JSON
//!   type read as absent, so the time check is skipped.
//! - CVE-2024-53861 (`PyJWT`): `iss` compared as a substring, so a prefix of the issuer (or a
//!   list holding it) passes.
//! - GHSA-752w-5fwx-jx9f / CVE-2026-32597 (`PyJWT`): unknown `crit` header extensions accepted
//!   (RFC 7515 §4.1.11).
//! - The CVE-2026-48526 class (algorithm confusion): an `HS256` token keyed with the public key
//!   (its PEM text, its DER bytes, its JWK or JWKS text) verified against that public key.
//! - The CVE-2026-27962 class (`Authlib`, JWK header injection): the key embedded in the `jwk`
//!   header trusted to verify the token it came with.
//! - `jku` / `x5u` pointing at an attacker's key set (RFC 8725 §3.10: SSRF and attacker keys):
//!   never fetched.
//! - CVE-2025-61920 (`Authlib`): unbounded header, payload and signature segments decoded before
//!   the token is refused.
//! - CVE-2025-30204 (`golang-jwt`): a token of thousands of dots split with an allocation per part.
//! - CVE-2022-21449 (Java's ECDSA, "psychic signatures"): `r = s = 0` accepted as an ES256
//!   signature; with the RSA counterpart of a signature of zeros.
//! - JWE-shaped five-part tokens (sign/encrypt confusion) taken for a JWS.
//! - RFC 8725 §3.11 / RFC 9068 §4: a `typ: JWT` token (an ID token, say) taken for an `at+jwt`
//!   access token.

use std::time::{Duration, Instant};

use axum_scopes::jsonwebtoken::jwk::Jwk;
use axum_scopes::jsonwebtoken::{Algorithm, EncodingKey, crypto};
use axum_scopes::jwt::{AuthenticatorBuilder, DEFAULT_MAX_TOKEN_LEN, Key};
use axum_scopes::{Authenticator, Issuer, TokenError, dangerous};
use axum_scopes_tests::provider::{Provider, TestKey, fixture, install_crypto_provider};
use axum_scopes_tests::token::{forge, hmac, now};
use serde::Deserialize;
use serde_json::{Value, json};

const ISS: &str = "https://issuer.advisories.test";
const AUD: &str = "api://advisories";

/// A P-256 key of the attacker's, for this file only (`openssl genpkey -algorithm EC -pkeyopt
/// ec_paramgen_curve:P-256`): the fixtures hold no second P-256 key.
const EC_ATTACKER_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUS3b0wdfUheQwnyT
6wxj6q0z+1UkiiPt6r0yjATp3AahRANCAASnmLlcGU5460vxOkM7Ua2SsFHrSM0N
NZvX2JQ5XkR1IKAaAWFmVSjR9UibVNnMHHITqynDyk2HTgI8ePbGrT8L
-----END PRIVATE KEY-----
";

/// How long refusing a hostile token of any size may take (a debug build on a busy machine
/// included); the advisories describe seconds of CPU.
const QUICK: Duration = Duration::from_millis(250);

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

/// A private key with the algorithm and `kid` it signs with, signing any header text.
struct Signer {
    alg: Algorithm,
    kid: &'static str,
    /// The stem of the public key's fixtures (`<file>.pub.pem`, `<file>.pub.der`); empty for the
    /// attacker's P-256 key, which has none.
    file: &'static str,
    encoding: EncodingKey,
}

impl Signer {
    fn new(alg: Algorithm, kid: &'static str, file: &'static str, pem: &[u8]) -> Self {
        install_crypto_provider();
        let encoding = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem),
            _ => EncodingKey::from_rsa_pem(pem),
        }
        .expect("a valid private key");
        Self {
            alg,
            kid,
            file,
            encoding,
        }
    }

    /// The victim's RSA key.
    fn rsa() -> Self {
        Self::new(Algorithm::RS256, "rsa-1", "rsa", &fixture("rsa.key.pem"))
    }

    /// The victim's P-256 key.
    fn ec() -> Self {
        Self::new(
            Algorithm::ES256,
            "ec-1",
            "ec-p256",
            &fixture("ec-p256.key.pem"),
        )
    }

    /// The attacker's RSA key: the one the provider serves under `/attacker/` (kid `attacker`).
    fn rsa_attacker() -> Self {
        Self::new(
            Algorithm::RS256,
            "attacker",
            "rsa-attacker",
            &fixture("rsa-attacker.key.pem"),
        )
    }

    /// The attacker's P-256 key.
    fn ec_attacker() -> Self {
        Self::new(
            Algorithm::ES256,
            "attacker-ec",
            "",
            EC_ATTACKER_PEM.as_bytes(),
        )
    }

    fn alg_name(&self) -> String {
        format!("{:?}", self.alg)
    }

    /// `{"alg", "kid", "typ": "JWT"}`.
    fn header(&self) -> Value {
        json!({ "alg": self.alg_name(), "kid": self.kid, "typ": "JWT" })
    }

    /// A token of exactly these header and payload texts, validly signed.
    fn raw(&self, header: &str, payload: &str) -> String {
        forge(header, payload, |message| {
            crypto::sign(message, &self.encoding, self.alg).expect("signing")
        })
    }

    fn token(&self, header: &Value, payload: &Value) -> String {
        self.raw(&header.to_string(), &payload.to_string())
    }

    fn sign(&self, payload: &Value) -> String {
        self.token(&self.header(), payload)
    }

    /// The public half as a JWK object with `kid` (and `alg`).
    fn jwk(&self) -> Value {
        let jwk = Jwk::from_encoding_key(&self.encoding, self.alg).expect("a public JWK");
        let mut jwk = serde_json::to_value(jwk).expect("a JWK serializes");
        jwk["kid"] = json!(self.kid);
        jwk
    }

    /// The public key from the PEM fixture, with `kid`.
    fn public_key(&self) -> Key {
        Key::from_pem(&self.public_pem(), &[self.alg])
            .expect("the public fixture reads")
            .with_kid(self.kid)
    }

    fn public_pem(&self) -> Vec<u8> {
        fixture(&format!("{}.pub.pem", self.file))
    }

    fn public_der(&self) -> Vec<u8> {
        fixture(&format!("{}.pub.der", self.file))
    }
}

/// Valid claims: `sub` alice, `iss`, `aud`, ten minutes left.
fn claims() -> Value {
    json!({ "sub": "alice", "iss": ISS, "aud": AUD, "scope": "items", "exp": now() + 600 })
}

/// [`claims`] with `name` set to `value`.
fn claims_with(name: &str, value: Value) -> Value {
    let mut claims = claims();
    claims[name] = value;
    claims
}

/// One victim key and the authenticator that trusts only it.
struct Target {
    signer: Signer,
    auth: Authenticator,
}

/// The authenticator trusting `key` for [`ISS`] and [`AUD`], built through `options`.
async fn authenticator(
    key: Key,
    options: fn(AuthenticatorBuilder) -> AuthenticatorBuilder,
) -> Authenticator {
    options(Authenticator::builder())
        .issuer(Issuer::new(ISS).audience(AUD).key(key))
        .build()
        .await
        .expect("the authenticator builds")
}

/// An RS256 and an ES256 target, their authenticators built through `options`.
async fn targets_with(options: fn(AuthenticatorBuilder) -> AuthenticatorBuilder) -> [Target; 2] {
    let (rsa, ec) = (Signer::rsa(), Signer::ec());
    [
        Target {
            auth: authenticator(rsa.public_key(), options).await,
            signer: rsa,
        },
        Target {
            auth: authenticator(ec.public_key(), options).await,
            signer: ec,
        },
    ]
}

async fn targets() -> [Target; 2] {
    targets_with(|builder| builder).await
}

/// Asserts `token` verifies, as alice.
async fn accept(auth: &Authenticator, token: impl AsRef<[u8]>, what: &str) {
    match auth.verify::<Claims>(token.as_ref()).await {
        Ok(verified) => assert_eq!(verified.claims.sub, "alice", "{what}"),
        Err(err) => panic!("{what}: the valid token was rejected: {err:?}"),
    }
}

/// The rejection of `token`; panics if it was accepted.
async fn reject(auth: &Authenticator, token: impl AsRef<[u8]>, what: &str) -> TokenError {
    match auth.verify::<Claims>(token.as_ref()).await {
        Ok(verified) => panic!(
            "{what}: the attack token was ACCEPTED (sub {:?}, scopes {:?})",
            verified.claims.sub, verified.scopes
        ),
        Err(err) => err,
    }
}

/// [`reject`], also asserting it took less than [`QUICK`].
async fn reject_quickly(auth: &Authenticator, token: impl AsRef<[u8]>, what: &str) -> TokenError {
    let started = Instant::now();
    let err = reject(auth, token, what).await;
    let took = started.elapsed();
    assert!(took < QUICK, "{what}: refusing took {took:?}");
    err
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// CVE-2026-25537: a validly signed `exp`/`nbf` (and `iat`) that is not a number must not be
/// read as absent. `exp` is required, so a wrong type is a missing `exp` (except a non-empty
/// array or object, which leaves the payload unreadable: invalid claims); `nbf` and `iat` are
/// optional, so a wrong type is invalid claims.
#[tokio::test]
async fn cve_2026_25537_exp_and_nbf_of_the_wrong_json_type_are_rejected() {
    for Target { signer, auth } in targets().await {
        let alg = signer.alg_name();
        accept(&auth, signer.sign(&claims()), &alg).await;
        accept(&auth, signer.sign(&claims_with("nbf", json!(now()))), &alg).await;

        for exp in [
            json!("9999999999"),
            json!((now() + 600).to_string()),
            json!(true),
            json!([]),
            json!({}),
            json!(null),
            json!(-1),
            json!(1.0e20),
        ] {
            let what = format!("{alg} exp {exp}");
            let err = reject(&auth, signer.sign(&claims_with("exp", exp)), &what).await;
            assert!(
                matches!(err, TokenError::MissingClaim { claim: "exp", .. }),
                "{what}: {err:?}"
            );
        }
        // A non-empty array or object: jsonwebtoken's `exp` reader gives up inside the value,
        // so the rest of the payload does not parse and the claims are invalid.
        for exp in [
            json!([9_999_999_999_u64]),
            json!(["9999999999"]),
            json!({ "$numberLong": "9999999999" }),
        ] {
            let what = format!("{alg} exp {exp}");
            let err = reject(&auth, signer.sign(&claims_with("exp", exp)), &what).await;
            assert!(
                matches!(err, TokenError::InvalidClaims(_)),
                "{what}: {err:?}"
            );
        }
        for nbf in [
            json!("0"),
            json!("9999999999"),
            json!({}),
            json!({ "$date": 0 }),
            json!([0]),
            json!(true),
            json!(-1),
        ] {
            let what = format!("{alg} nbf {nbf}");
            let err = reject(&auth, signer.sign(&claims_with("nbf", nbf)), &what).await;
            assert!(
                matches!(err, TokenError::InvalidClaims(_)),
                "{what}: {err:?}"
            );
        }
        for iat in [
            json!("0"),
            json!("9999999999"),
            json!(true),
            json!([0]),
            json!({}),
        ] {
            let what = format!("{alg} iat {iat}");
            let err = reject(&auth, signer.sign(&claims_with("iat", iat)), &what).await;
            assert!(
                matches!(err, TokenError::InvalidClaims(_)),
                "{what}: {err:?}"
            );
        }
    }
}

/// CVE-2024-53861: `iss` must equal the issuer exactly, as one string. A prefix, a superstring
/// or a list holding the issuer is the wrong issuer; a value that is not a string at all is no
/// issuer; duplicate `iss` members are not resolved either way.
#[tokio::test]
async fn cve_2024_53861_iss_prefix_list_and_type_confusion_are_rejected() {
    for Target { signer, auth } in targets().await {
        let alg = signer.alg_name();
        accept(&auth, signer.sign(&claims()), &alg).await;

        for iss in [
            json!(format!("{ISS}evil")),
            json!(&ISS[..ISS.len() - 1]),
            json!("https://"),
            json!("issuer"),
            json!(""),
            json!(format!("{ISS}/")),
            json!(ISS.to_uppercase()),
            json!(format!("{ISS}\u{0}")),
            json!(format!(" {ISS}")),
            json!([ISS]),
            json!([ISS, "https://other.test"]),
            json!(["https://other.test", ISS]),
            json!([&ISS[..ISS.len() - 1]]),
            json!([]),
        ] {
            let what = format!("{alg} iss {iss}");
            let err = reject(&auth, signer.sign(&claims_with("iss", iss)), &what).await;
            assert!(
                matches!(err, TokenError::InvalidIssuer(_)),
                "{what}: {err:?}"
            );
        }
        for iss in [
            json!(123),
            json!(null),
            json!(true),
            json!(1.5),
            json!({ "iss": ISS }),
            json!([[ISS]]),
        ] {
            let what = format!("{alg} iss {iss}");
            let err = reject(&auth, signer.sign(&claims_with("iss", iss)), &what).await;
            assert!(
                matches!(err, TokenError::MissingClaim { claim: "iss", .. }),
                "{what}: {err:?}"
            );
        }
        let exp = now() + 600;
        // Escapes are read as JSON: an escaped issuer is the issuer, and a list under an
        // escaped member name is still a list.
        let escaped = ISS.replace('/', "\\/");
        let payload = format!(r#"{{"sub":"alice","aud":"{AUD}","exp":{exp},"iss":"{escaped}"}}"#);
        accept(
            &auth,
            signer.raw(&signer.header().to_string(), &payload),
            &payload,
        )
        .await;
        let payload =
            format!(r#"{{"sub":"alice","aud":"{AUD}","exp":{exp},"i\u0073s":["{ISS}"]}}"#);
        let err = reject(
            &auth,
            signer.raw(&signer.header().to_string(), &payload),
            &payload,
        )
        .await;
        assert!(
            matches!(err, TokenError::InvalidIssuer(_)),
            "{payload}: {err:?}"
        );
        for (first, second) in [("https://evil.test", ISS), (ISS, "https://evil.test")] {
            let payload = format!(
                r#"{{"sub":"alice","aud":"{AUD}","exp":{exp},"iss":"{first}","iss":"{second}"}}"#
            );
            let what = format!("{alg} duplicate iss {payload}");
            let token = signer.raw(&signer.header().to_string(), &payload);
            let err = reject(&auth, token, &what).await;
            assert!(
                matches!(err, TokenError::InvalidClaims(_)),
                "{what}: {err:?}"
            );
        }
    }
}

/// GHSA-752w-5fwx-jx9f: no header extension is understood, so any `crit` (naming a registered
/// header, an unknown one, `b64` of RFC 7797, or malformed) rejects a validly signed token.
#[tokio::test]
async fn ghsa_752w_5fwx_jx9f_unknown_crit_is_rejected() {
    for Target { signer, auth } in targets().await {
        let alg = signer.alg_name();
        let with = |extra: Value| {
            let mut header = signer.header();
            header
                .as_object_mut()
                .expect("an object")
                .extend(extra.as_object().expect("an object").clone());
            signer.token(&header, &claims())
        };
        // The named member alone is harmless: the rejection below is the `crit`.
        accept(&auth, with(json!({ "foo": "bar" })), &alg).await;

        for extra in [
            json!({ "crit": ["exp"], "exp": now() + 600 }),
            json!({ "crit": ["foo"], "foo": "bar" }),
            json!({ "crit": ["b64"], "b64": false }),
            json!({ "crit": ["foo"] }),
            json!({ "crit": ["foo", "foo"], "foo": "bar" }),
            json!({ "crit": [] }),
            json!({ "crit": "foo", "foo": "bar" }),
        ] {
            let what = format!("{alg} {extra}");
            let err = reject(&auth, with(extra), &what).await;
            assert!(matches!(err, TokenError::CriticalHeader), "{what}: {err:?}");
        }
        // An escaped member name is still `crit`.
        let header = format!(
            r#"{{"alg":"{alg}","kid":"{}","typ":"JWT","cr\u0069t":["foo"],"foo":"bar"}}"#,
            signer.kid
        );
        let err = reject(&auth, signer.raw(&header, &claims().to_string()), &header).await;
        assert!(
            matches!(err, TokenError::CriticalHeader),
            "{header}: {err:?}"
        );
    }
}

/// The authenticators of `signer`'s public key from each source: PEM, DER, and a static JWKS
/// whose JWK has no `alg` (so its algorithms are implied by the key type).
async fn key_sources(signer: &Signer) -> Vec<(&'static str, Authenticator)> {
    let der = Key::from_der(&signer.public_der(), &[signer.alg])
        .expect("the DER fixture reads")
        .with_kid(signer.kid);
    let mut jwk = signer.jwk();
    jwk.as_object_mut().expect("an object").remove("alg");
    let jwks = json!({ "keys": [jwk] }).to_string();
    let from_jwks = Authenticator::builder()
        .issuer(
            Issuer::new(ISS)
                .audience(AUD)
                .jwks(&jwks)
                .expect("the JWKS reads"),
        )
        .build()
        .await
        .expect("the authenticator builds");
    vec![
        ("PEM", authenticator(signer.public_key(), |b| b).await),
        ("DER", authenticator(der, |b| b).await),
        ("JWKS without alg", from_jwks),
    ]
}

/// The CVE-2026-48526 class: an HMAC token keyed with what the verifier holds as its public key
/// (PEM text, with or without the final newline; DER; JWK and JWKS text) is refused for its
/// algorithm before any HMAC is computed, whatever the key's source and with or without `kid`.
#[tokio::test]
async fn cve_2026_48526_hmac_keyed_with_the_public_key_is_refused() {
    for signer in [Signer::rsa(), Signer::ec()] {
        let pem = signer.public_pem();
        let trimmed = String::from_utf8(pem.clone())
            .expect("PEM is text")
            .trim_end()
            .as_bytes()
            .to_vec();
        let jwk = signer.jwk();
        let secrets = [
            ("PEM", pem),
            ("trimmed PEM", trimmed),
            ("DER", signer.public_der()),
            ("JWK", jwk.to_string().into_bytes()),
            ("JWKS", json!({ "keys": [jwk] }).to_string().into_bytes()),
        ];
        let payload = claims().to_string();
        for (source, auth) in key_sources(&signer).await {
            let what = format!("{} from {source}", signer.alg_name());
            accept(&auth, signer.sign(&claims()), &what).await;
            for (name, secret) in &secrets {
                for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                    for header in [
                        json!({ "alg": format!("{alg:?}"), "kid": signer.kid, "typ": "JWT" }),
                        json!({ "alg": format!("{alg:?}"), "typ": "JWT" }),
                    ] {
                        let token = forge(&header.to_string(), &payload, |message| {
                            hmac(message, secret, alg)
                        });
                        let what = format!("{what}, {header} keyed with the {name}");
                        let err = reject(&auth, token, &what).await;
                        assert!(
                            matches!(err, TokenError::DisallowedAlgorithm(_)),
                            "{what}: {err:?}"
                        );
                    }
                }
            }
        }
    }
}

/// The CVE-2026-27962 class: a token signed by the attacker, carrying the attacker's public key
/// in its `jwk` header, is checked against the configured key only: a wrong signature under the
/// victim's key, or an unknown `kid`.
#[tokio::test]
async fn cve_2026_27962_embedded_jwk_header_is_not_trusted() {
    let [rsa, ec] = targets().await;
    for (Target { signer, auth }, attacker) in
        [(rsa, Signer::rsa_attacker()), (ec, Signer::ec_attacker())]
    {
        let alg = signer.alg_name();
        // A `jwk` member is no reason to refuse a token by itself.
        let mut own = signer.header();
        own["jwk"] = signer.jwk();
        accept(&auth, signer.token(&own, &claims()), &alg).await;

        let embedded = attacker.jwk();
        let mut claiming_victim = embedded.clone();
        claiming_victim["kid"] = json!(signer.kid);
        // Without `kid`, or with the victim's: the victim's key, and a wrong signature.
        for header in [
            json!({ "alg": alg, "typ": "JWT", "jwk": embedded }),
            json!({ "alg": alg, "typ": "JWT", "jwk": claiming_victim }),
            json!({ "alg": alg, "kid": signer.kid, "typ": "JWT", "jwk": embedded }),
        ] {
            let what = format!("{alg} {header}");
            let err = reject(&auth, attacker.token(&header, &claims()), &what).await;
            assert!(
                matches!(err, TokenError::InvalidSignature(_)),
                "{what}: {err:?}"
            );
        }
        // With the attacker's `kid`: no configured key carries it.
        let header = json!({ "alg": alg, "kid": attacker.kid, "typ": "JWT", "jwk": embedded });
        let what = format!("{alg} {header}");
        let err = reject(&auth, attacker.token(&header, &claims()), &what).await;
        assert!(matches!(err, TokenError::UnknownKey), "{what}: {err:?}");
    }
}

/// RFC 8725 §3.10: `jku` and `x5u` naming the attacker's key set are never fetched, so a token
/// signed with a key published there is refused (unknown `kid`, or a wrong signature under the
/// victim's key), both for static keys and for keys the authenticator itself fetches from a
/// JWKS URL. The provider counts requests under `/attacker/`: none arrive.
#[tokio::test]
async fn jku_and_x5u_pointing_elsewhere_are_never_fetched() {
    let provider = Provider::start(&[
        TestKey::rsa("rsa-1"),
        TestKey::from_fixture("ec-p256", "ec-1", Algorithm::ES256),
    ])
    .await;
    let remote = dangerous::allow_http(Authenticator::builder())
        .issuer(Issuer::new(ISS).audience(AUD).jwks_url(provider.jwks_url()))
        .build()
        .await
        .expect("the authenticator builds");
    let [rsa, ec] = targets().await;
    let jku = provider.url("/attacker/jwks");
    let x5u = provider.url("/attacker/cert.pem");
    let cases = [
        ("static", rsa.auth, rsa.signer, Signer::rsa_attacker()),
        ("static", ec.auth, ec.signer, Signer::ec_attacker()),
        (
            "JWKS URL",
            remote.clone(),
            Signer::rsa(),
            Signer::rsa_attacker(),
        ),
        ("JWKS URL", remote, Signer::ec(), Signer::ec_attacker()),
    ];
    for (source, auth, signer, attacker) in cases {
        let alg = format!("{} {source}", signer.alg_name());
        let pointing = |mut header: Value| {
            header["jku"] = json!(jku);
            header["x5u"] = json!(x5u);
            header
        };
        accept(
            &auth,
            signer.token(&pointing(signer.header()), &claims()),
            &alg,
        )
        .await;

        let no_kid = json!({ "alg": signer.alg_name(), "typ": "JWT" });
        let victim_kid = signer.header();
        for header in [pointing(no_kid), pointing(victim_kid)] {
            let what = format!("{alg} {header}");
            let err = reject(&auth, attacker.token(&header, &claims()), &what).await;
            assert!(
                matches!(err, TokenError::InvalidSignature(_)),
                "{what}: {err:?}"
            );
        }
        let header = pointing(attacker.header());
        let what = format!("{alg} {header}");
        let err = reject(&auth, attacker.token(&header, &claims()), &what).await;
        assert!(matches!(err, TokenError::UnknownKey), "{what}: {err:?}");
    }
    assert_eq!(provider.attacker_requests(), 0, "jku/x5u were fetched");

    // The counter does count: one request of our own.
    let answer = reqwest::get(&jku).await.expect("the provider answers");
    assert!(answer.status().is_success());
    assert_eq!(provider.attacker_requests(), 1);
}

/// CVE-2025-61920: a 1 MB payload, header or signature segment is refused as too large before
/// anything is decoded, quickly, even when validly signed; the bound is 8 KiB of token.
#[tokio::test]
async fn cve_2025_61920_oversized_segments_are_too_large() {
    let big = "x".repeat(1 << 20);
    for Target { signer, auth } in targets().await {
        let alg = signer.alg_name();
        let huge_payload = signer.sign(&claims_with("pad", json!(big)));
        let mut header = signer.header();
        header["pad"] = json!(big);
        let huge_header = signer.token(&header, &claims());
        let good = signer.sign(&claims());
        let (message, _) = good.rsplit_once('.').expect("three segments");
        let huge_signature = format!("{message}.{}", b64(&big));
        for (name, token) in [
            ("payload", huge_payload),
            ("header", huge_header),
            ("signature", huge_signature),
        ] {
            let what = format!("{alg} 1 MB {name}");
            let err = reject_quickly(&auth, token, &what).await;
            assert!(matches!(err, TokenError::TooLarge), "{what}: {err:?}");
        }

        // Around the bound: the longest token within it verifies, the next one does not.
        let padded = |n: usize| signer.sign(&claims_with("pad", json!("y".repeat(n))));
        let base = padded(0).len();
        let mut n = (DEFAULT_MAX_TOKEN_LEN - base) * 3 / 4 - 8;
        let mut within = padded(n);
        assert!(within.len() <= DEFAULT_MAX_TOKEN_LEN);
        let beyond = loop {
            let next = padded(n + 1);
            if next.len() > DEFAULT_MAX_TOKEN_LEN {
                break next;
            }
            within = next;
            n += 1;
        };
        assert!(within.len() > DEFAULT_MAX_TOKEN_LEN - 4, "{}", within.len());
        accept(&auth, &within, &format!("{alg} {} bytes", within.len())).await;
        let what = format!("{alg} {} bytes", beyond.len());
        let err = reject_quickly(&auth, &beyond, &what).await;
        assert!(matches!(err, TokenError::TooLarge), "{what}: {err:?}");
    }
}

/// CVE-2025-30204: thousands of dots cost nothing. Beyond the default bound they are too large;
/// with the bound raised to 1 MiB they are malformed, found at the fourth segment, well under a
/// second.
#[tokio::test]
async fn cve_2025_30204_thousands_of_dots_are_refused_quickly() {
    let dotted = ["a.".repeat(50_000), ".".repeat(100_000)];
    for Target { signer, auth } in targets().await {
        for token in &dotted {
            let what = format!("{} {} bytes of dots", signer.alg_name(), token.len());
            let err = reject_quickly(&auth, token, &what).await;
            assert!(matches!(err, TokenError::TooLarge), "{what}: {err:?}");
        }
    }
    for Target { signer, auth } in targets_with(|builder| builder.max_token_len(1 << 20)).await {
        let alg = signer.alg_name();
        let good = signer.sign(&claims());
        accept(&auth, &good, &format!("{alg}, 1 MiB bound")).await;
        let trailing = format!("{good}{}", ".".repeat(100_000));
        for token in dotted.iter().chain([&trailing]) {
            let what = format!("{alg} {} bytes of dots, 1 MiB bound", token.len());
            let err = reject_quickly(&auth, token, &what).await;
            assert!(matches!(err, TokenError::Malformed(_)), "{what}: {err:?}");
        }
    }
}

/// The order of P-256, `n`: an ECDSA signature `(r, s)` needs `0 < r, s < n`.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// CVE-2022-21449 ("psychic signatures"): an ECDSA signature with `r` or `s` zero, or equal to
/// the group order, verifies nothing; nor does an RSA signature of zeros, an empty signature, or
/// the valid signature cut short or extended by a byte.
#[tokio::test]
async fn cve_2022_21449_psychic_signatures_are_invalid() {
    use base64::Engine as _;
    for Target { signer, auth } in targets().await {
        let alg = signer.alg_name();
        let good = signer.sign(&claims());
        accept(&auth, &good, &alg).await;
        let (message, signature) = good.rsplit_once('.').expect("three segments");
        let valid = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .expect("base64url");
        let mut forged = vec![
            Vec::new(),
            vec![0; valid.len()],
            valid[..valid.len() - 1].to_vec(),
            [&valid[..], &[0]].concat(),
        ];
        if signer.alg == Algorithm::ES256 {
            let (r, s) = valid.split_at(32);
            forged.extend([
                [P256_ORDER, P256_ORDER].concat(),
                [&[0; 32][..], s].concat(),
                [r, &[0; 32][..]].concat(),
                [r, &P256_ORDER[..]].concat(),
            ]);
        }
        for signature in forged {
            let what = format!("{alg} signature {}", b64(&signature));
            let err = reject(&auth, format!("{message}.{}", b64(&signature)), &what).await;
            assert!(
                matches!(err, TokenError::InvalidSignature(_)),
                "{what}: {err:?}"
            );
        }
    }
}

/// JWE-shaped tokens: five segments are never a JWS, whatever the segments hold (even a validly
/// signed JWS followed by two more), and a JWE header (`RSA-OAEP`, `dir`) names no signature
/// algorithm.
#[tokio::test]
async fn five_part_jwe_shaped_tokens_are_malformed() {
    for Target { signer, auth } in targets().await {
        let alg = signer.alg_name();
        let good = signer.sign(&claims());
        accept(&auth, &good, &alg).await;
        let encryption_header =
            b64(json!({ "alg": "RSA-OAEP", "enc": "A256GCM", "kid": signer.kid }).to_string());
        let signing_header = b64(signer.header().to_string());
        let payload = b64(claims().to_string());
        let five = [
            "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.x.y.z.w".to_owned(),
            format!(
                "{encryption_header}.{}.{}.{}.{}",
                b64([7u8; 256]),
                b64([1u8; 12]),
                b64(claims().to_string()),
                b64([2u8; 16])
            ),
            format!("{signing_header}.{payload}.{}.e30.e30", b64([3u8; 64])),
            format!("{good}.e30.e30"),
            format!("{encryption_header}.{good}"),
        ];
        for token in &five {
            let what = format!("{alg} {token}");
            let err = reject(&auth, token, &what).await;
            assert!(matches!(err, TokenError::Malformed(_)), "{what}: {err:?}");
        }
        for header in [
            json!({ "alg": "RSA-OAEP", "enc": "A256GCM", "kid": signer.kid }),
            json!({ "alg": "dir", "enc": "A256GCM" }),
        ] {
            let what = format!("{alg} three segments under {header}");
            let err = reject(&auth, signer.token(&header, &claims()), &what).await;
            assert!(matches!(err, TokenError::Malformed(_)), "{what}: {err:?}");
        }
    }
}

/// RFC 9068 §4 / RFC 8725 §3.11: with `require_access_token_type`, only `at+jwt` (optionally
/// `application/`, any case) is an access token; `JWT`, other types and a missing `typ` are the
/// wrong type. Without the option every type is accepted. A `typ` that is not a string is
/// malformed either way.
#[tokio::test]
async fn rfc_9068_typ_jwt_is_not_an_at_jwt_access_token() {
    let access = [
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "Application/At+Jwt",
    ];
    let other = [
        Some("JWT"),
        Some("jwt"),
        None,
        Some("application/jwt"),
        Some("at+jwt "),
        Some("xat+jwt"),
        Some("at+jw"),
        Some("dpop+jwt"),
    ];
    let typed = |signer: &Signer, typ: Option<&str>| {
        let mut header = signer.header();
        match typ {
            Some(typ) => header["typ"] = json!(typ),
            None => {
                header.as_object_mut().expect("an object").remove("typ");
            }
        }
        signer.token(&header, &claims())
    };
    let strict = targets_with(AuthenticatorBuilder::require_access_token_type).await;
    for Target { signer, auth } in &strict {
        let alg = signer.alg_name();
        for typ in access {
            accept(
                auth,
                typed(signer, Some(typ)),
                &format!("{alg} strict {typ}"),
            )
            .await;
        }
        for typ in other {
            let what = format!("{alg} strict {typ:?}");
            let err = reject(auth, typed(signer, typ), &what).await;
            assert!(matches!(err, TokenError::WrongType), "{what}: {err:?}");
        }
    }
    let lenient = targets().await;
    for Target { signer, auth } in &lenient {
        let alg = signer.alg_name();
        for typ in access.into_iter().map(Some).chain(other) {
            accept(auth, typed(signer, typ), &format!("{alg} lenient {typ:?}")).await;
        }
    }
    for Target { signer, auth } in strict.iter().chain(&lenient) {
        for typ in [json!(1), json!(["at+jwt"]), json!({ "typ": "at+jwt" })] {
            let mut header = signer.header();
            header["typ"] = typ;
            let what = format!("{} {header}", signer.alg_name());
            let err = reject(auth, signer.token(&header, &claims()), &what).await;
            assert!(matches!(err, TokenError::Malformed(_)), "{what}: {err:?}");
        }
    }
}
