//! The verification core against a bare `jsonwebtoken::decode`, per algorithm and backend.
//!
//! One criterion group per backend, `verify/aws-lc-rs` or `verify/rust-crypto` (chosen with the
//! environment variable `JWT_BACKEND`, since jsonwebtoken's provider is process-wide):
//!
//! - `bare_decode/{alg}`: `jsonwebtoken::decode` with the same validation (`iss`, `aud`, `exp`):
//!   the work any implementation does;
//! - `core_miss/{alg}`: `Authenticator::verify` with the token cache off: header parse, key
//!   choice, signature, claims, the checks jsonwebtoken does not make, the scopes;
//! - `core_hit/{alg}`: the same with the cache on and the token already in it: digest, lookup,
//!   `exp`/`nbf` and key checks, claims deserialized from the cached payload;
//! - `jwt_keys_hit/HS256`, `jwt_keys_miss/HS256`: `JwtKeys::verify_scoped`, the tutorial's
//!   path, with the token already in its cache, and with the cache off;
//! - `scope_check`: `SecurityScopes::is_satisfied_by` for the tutorial's `["items", "me"]`.
//!
//! Every routine is checked to succeed before it is measured, so no figure comes from an error
//! path. Run: `cargo bench -p axum-scopes-benchmarks --bench verify` and
//! `JWT_BACKEND=rust-crypto cargo bench -p axum-scopes-benchmarks --bench verify`.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum_scopes::jsonwebtoken::crypto::{CryptoProvider, aws_lc, rust_crypto};
use axum_scopes::jsonwebtoken::{self, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use axum_scopes::jwt::{Key, TokenCacheOptions};
use axum_scopes::scope::Scope;
use axum_scopes::{Authenticator, Issuer, JwtKeys, SecurityScopes};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;
use serde_json::json;

const ISS: &str = "https://idp.example.com";
const AUD: &str = "https://api.example.com";
const SECRET: &[u8] = b"a benchmark secret of thirty-two bytes or more, for HS256";

/// The tutorial's claims, as `JwtKeys` reads them.
#[derive(Deserialize)]
struct Tutorial {
    sub: String,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[allow(dead_code)]
    client_id: String,
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Runs a future that completes without waiting (every path measured here does).
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the verification waited"),
    }
}

/// One algorithm's keys and token.
struct Case {
    alg: Algorithm,
    token: String,
    decoding: DecodingKey,
    key: Key,
}

fn cases() -> Vec<Case> {
    let exp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(86_400);
    let claims = json!({
        "iss": ISS, "aud": AUD, "sub": "service-a", "client_id": "service-a",
        "scope": "items me", "exp": exp.as_secs(), "iat": exp.as_secs() - 86_400,
    });
    let sign = |alg: Algorithm, key: &EncodingKey| {
        let mut header = Header::new(alg);
        header.kid = Some("k1".to_owned());
        header.typ = Some("at+jwt".to_owned());
        jsonwebtoken::encode(&header, &claims, key).expect("signing")
    };
    let ec_pub = fixture("ec-p256.pub.pem");
    let rsa_pub = fixture("rsa.pub.pem");
    vec![
        Case {
            alg: Algorithm::HS256,
            token: sign(Algorithm::HS256, &EncodingKey::from_secret(SECRET).unwrap()),
            decoding: DecodingKey::from_secret(SECRET).unwrap(),
            key: Key::secret(SECRET, &[Algorithm::HS256]).unwrap(),
        },
        Case {
            alg: Algorithm::ES256,
            token: sign(
                Algorithm::ES256,
                &EncodingKey::from_ec_pem(&fixture("ec-p256.key.pem")).unwrap(),
            ),
            decoding: DecodingKey::from_ec_pem(&ec_pub).unwrap(),
            key: Key::from_pem(&ec_pub, &[Algorithm::ES256]).unwrap(),
        },
        Case {
            alg: Algorithm::RS256,
            token: sign(
                Algorithm::RS256,
                &EncodingKey::from_rsa_pem(&fixture("rsa.key.pem")).unwrap(),
            ),
            decoding: DecodingKey::from_rsa_pem(&rsa_pub).unwrap(),
            key: Key::from_pem(&rsa_pub, &[Algorithm::RS256]).unwrap(),
        },
    ]
}

fn authenticator(key: Key, cache: TokenCacheOptions) -> Authenticator {
    now_or_never(
        Authenticator::builder()
            .issuer(Issuer::new(ISS).audience(AUD).key(key.with_kid("k1")))
            .token_cache(cache)
            .build(),
    )
    .expect("the authenticator builds")
}

fn bench_verify(c: &mut Criterion) {
    let backend = std::env::var("JWT_BACKEND").unwrap_or_else(|_| "aws-lc-rs".to_owned());
    let provider = match backend.as_str() {
        "aws-lc-rs" => &aws_lc::DEFAULT_PROVIDER,
        "rust-crypto" => &rust_crypto::DEFAULT_PROVIDER,
        other => panic!("JWT_BACKEND: `{other}` is neither aws-lc-rs nor rust-crypto"),
    };
    CryptoProvider::install_default(provider).expect("the first provider of the process");
    let mut group = c.benchmark_group(format!("verify/{backend}"));
    for case in cases() {
        let alg = format!("{:?}", case.alg);
        let mut validation = Validation::new(case.alg);
        validation.set_issuer(&[ISS]);
        validation.set_audience(&[AUD]);
        validation.leeway = 0;
        let bare = || jsonwebtoken::decode::<Claims>(&case.token, &case.decoding, &validation);
        assert_eq!(bare().expect("bare decode accepts").claims.sub, "service-a");
        group.bench_function(format!("bare_decode/{alg}"), |b| {
            b.iter(|| black_box(bare()));
        });

        for (name, cache) in [
            ("core_miss", TokenCacheOptions::disabled()),
            ("core_hit", TokenCacheOptions::default()),
        ] {
            let auth = authenticator(case.key.clone(), cache);
            let verify = || now_or_never(auth.verify::<Claims>(case.token.as_bytes()));
            let verified = verify().expect("the core accepts");
            assert_eq!(verified.claims.sub, "service-a");
            assert_eq!(verified.scopes.as_slice(), ["items", "me"]);
            assert_eq!(auth.cached_tokens(), u64::from(cache.is_enabled()));
            group.bench_function(format!("{name}/{alg}"), |b| b.iter(|| black_box(verify())));
        }
    }
    let keys = JwtKeys::hs256(SECRET);
    let token = keys
        .issue_with_expiry(
            &json!({ "sub": "johndoe", "scopes": ["me", "items"] }),
            Duration::from_secs(86_400),
        )
        .unwrap();
    let verify = || keys.verify_scoped::<Tutorial>(token.as_bytes());
    assert_eq!(verify().expect("JwtKeys accepts").claims.sub, "johndoe");
    assert_eq!(keys.cached_tokens(), 1);
    group.bench_function("jwt_keys_hit/HS256", |b| b.iter(|| black_box(verify())));
    let uncached = keys.clone().token_cache(TokenCacheOptions::disabled());
    let verify_uncached = || uncached.verify_scoped::<Tutorial>(token.as_bytes());
    assert_eq!(
        verify_uncached().expect("JwtKeys accepts").claims.sub,
        "johndoe"
    );
    group.bench_function("jwt_keys_miss/HS256", |b| {
        b.iter(|| black_box(verify_uncached()));
    });

    let required = SecurityScopes::new([Scope::new("items"), Scope::new("me")]);
    let granted = verify().unwrap().scopes;
    assert!(required.is_satisfied_by(granted.iter()));
    group.bench_function("scope_check", |b| {
        b.iter(|| black_box(required.is_satisfied_by(black_box(&granted).iter())));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_verify
}
criterion_main!(benches);
