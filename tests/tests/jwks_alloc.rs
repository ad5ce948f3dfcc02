//! `Authenticator::verify` allocates no more than `jsonwebtoken::decode` itself does plus the
//! granted-scopes list (issue 5, point 6).
//!
//! Its own binary: a `#[global_allocator]` counts for the whole binary, and this one holds this
//! one test only, so that no other test thread allocates while it counts.

use std::alloc::System;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum_scopes::jsonwebtoken::{self, Algorithm, DecodingKey, Validation};
use axum_scopes::jwt::{Key, ScopesClaim};
use axum_scopes::{Authenticator, Issuer};
use axum_scopes_tests::provider::{TestKey, fixture};
use axum_scopes_tests::token::now;
use serde::Deserialize;
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[derive(Deserialize)]
#[allow(dead_code, reason = "deserialized to be measured, never read")]
struct Claims {
    sub: String,
    exp: u64,
}

/// Polls a future that never waits (verification of a known `kid` never awaits) without a
/// runtime, so that no executor allocation is counted.
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("verification of a known key awaited"),
    }
}

fn allocations(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    let change = region.change();
    change.allocations + change.reallocations
}

#[tokio::test(flavor = "current_thread")]
async fn verify_allocates_only_what_decode_does_plus_the_scopes() {
    let iss = "https://issuer.test";
    let key = TestKey::rsa("k1");
    let pem = fixture("rsa.pub.pem");
    let auth = Authenticator::builder()
        .issuer(
            Issuer::new(iss)
                .key(
                    Key::from_pem(&pem, &[Algorithm::RS256])
                        .unwrap()
                        .with_kid("k1"),
                )
                .audience("api"),
        )
        .scopes_claim(ScopesClaim::Scope)
        .build()
        .await
        .unwrap();
    let token = key.sign(&json!({
        "sub": "alice", "iss": iss, "aud": "api", "exp": now() + 600,
        "scope": "items me admin",
    }));

    // The bare baseline: the same key, token, claims type and checks.
    let decoding = DecodingKey::from_rsa_pem(&pem).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_audience(&["api"]);
    validation.set_issuer(&[iss]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);

    let ours = || {
        let verified = now_or_never(auth.verify::<Claims>(token.as_bytes())).unwrap();
        assert_eq!(verified.scopes.len(), 3);
    };
    let bare = || {
        jsonwebtoken::decode::<Claims>(&token, &decoding, &validation).unwrap();
    };
    // Warm up: arc-swap's per-thread slot, the crypto provider, lazy statics.
    for _ in 0..3 {
        ours();
        bare();
    }
    let ours = allocations(ours);
    let bare = allocations(bare);
    // The scopes list: one `Vec` reserved once (exact capacity from the count of words) and
    // one `String` per scope.
    let scopes_list = 1 + 3;
    println!("verify: {ours} allocations; decode: {bare}; scopes list: {scopes_list}");
    assert!(
        ours <= bare + scopes_list,
        "verify made {ours} allocations, decode {bare}, the scopes list {scopes_list}"
    );
}
