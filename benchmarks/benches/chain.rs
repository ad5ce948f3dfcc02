//! What the dependency chain costs on top of the JWT check it wraps.
//!
//! One criterion group, `chain`, side by side:
//!
//! - `bare_decode`: `jsonwebtoken::decode` of the tutorial's token into a claims struct with the
//!   same fields as the demo's (`sub`, `scopes`), with the same validation the demo uses: the
//!   work any implementation has to do;
//! - `keys_verify`: `JwtKeys::verify` of the same token into the demo's `Claims`, what
//!   `get_current_user` calls (the `crit` check and the size bound on top of the decode);
//! - `full_chain`: the extraction of `GET /users/me/items/`'s parameter,
//!   `Security<get_current_active_user, M>` with the marker `#[requires_scopes("items")]` puts
//!   there, through `FromRequestParts` (not through the router): bearer token, `State`,
//!   `get_current_user` (verification, user lookup, scopes), `get_current_active_user`.
//!
//! Every routine gets its input from `iter_batched`'s setup, one per iteration, so building and
//! dropping the request parts is not measured. Before measuring, the chain is checked to succeed
//! for johndoe with `["me", "items"]` and to fail without `items`, so the numbers cannot come
//! from an error path.
//!
//! Run: `cargo bench -p axum-scopes-tests --bench chain -- --warm-up-time 2 --measurement-time 5`.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum_scopes::__private::{Edge, Str};
use axum_scopes::Security;
use axum_scopes::jsonwebtoken::{self, Algorithm, DecodingKey, Validation};
use axum_scopes_demo::{AppState, DEFAULT_SECRET_KEY, get_current_active_user};
use bytes::BytesMut;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::json;

/// The parameter of `read_own_items` as the macro rewrites it: its scope, `items`, carried in
/// the type (the length, 5, then the bytes, little-endian in the first `u128`).
type OwnItemsParam = Security<get_current_active_user, Edge<(Str<126_913_690_757_381, 0, 0, 0>,)>>;

#[derive(Debug, Deserialize)]
struct BareClaims {
    sub: String,
    scopes: Vec<String>,
}

fn token(state: &AppState, scopes: &[&str]) -> String {
    state
        .keys
        .issue_with_expiry(
            &json!({ "sub": "johndoe", "scopes": scopes }),
            Duration::from_secs(24 * 60 * 60),
        )
        .expect("signing a token")
}

/// Request parts whose `Authorization` value shares its buffer, as the values hyper parses do
/// (slices of the connection's read buffer): cloning it counts a reference instead of copying.
fn parts(token: &str) -> Parts {
    let mut buffer = BytesMut::from(format!("Bearer {token}").as_bytes());
    let value = HeaderValue::from_maybe_shared(buffer.split().freeze()).expect("a header value");
    http::Request::get("/users/me/items/")
        .header(AUTHORIZATION, value)
        .body(())
        .expect("a request")
        .into_parts()
        .0
}

/// The demo's validation, field by field: HS256 only, `exp` required, no leeway.
fn validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation
}

fn bench_chain(c: &mut Criterion) {
    let state = AppState::new(DEFAULT_SECRET_KEY.as_bytes());
    let good = token(&state, &["me", "items"]);
    let no_items = token(&state, &["me"]);
    let key = DecodingKey::from_secret(DEFAULT_SECRET_KEY.as_bytes()).unwrap();
    let validation = validation();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");

    let extract = |token: &str| {
        rt.block_on(async {
            let mut parts = parts(token);
            OwnItemsParam::from_request_parts(&mut parts, &state)
                .await
                .map_err(|response| response.status())
        })
    };
    let user = extract(&good).expect("the chain accepts johndoe's token");
    assert_eq!(user.username, "johndoe");
    let rejected = extract(&no_items).expect_err("the chain needs `items`");
    assert_eq!(rejected, StatusCode::UNAUTHORIZED);
    let bare = jsonwebtoken::decode::<BareClaims>(good.as_bytes(), &key, &validation)
        .expect("bare decode accepts the token");
    assert_eq!(
        (bare.claims.sub.as_str(), bare.claims.scopes.len()),
        ("johndoe", 2)
    );

    let mut group = c.benchmark_group("chain");
    group.bench_function("bare_decode", |b| {
        b.iter_batched(
            || good.as_bytes(),
            |token| jsonwebtoken::decode::<BareClaims>(token, &key, &validation),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("keys_verify", |b| {
        b.iter_batched(
            || good.as_bytes(),
            |token| state.keys.verify_scoped::<BareClaims>(token),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("full_chain", |b| {
        b.to_async(&rt).iter_batched(
            || parts(&good),
            |mut parts| {
                let state = &state;
                async move {
                    let result = OwnItemsParam::from_request_parts(&mut parts, state).await;
                    (parts, result)
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(benches, bench_chain);
criterion_main!(benches);
