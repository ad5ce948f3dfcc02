//! What the dependency chain costs on top of the JWT check it wraps.
//!
//! One criterion group, `chain`, measures side by side:
//!
//! - `bare_decode`: `jsonwebtoken::decode` of the tutorial's token into a small claims struct,
//!   the work any implementation has to do;
//! - `full_chain`: the extraction of `GET /users/me/items/`'s parameter,
//!   `Security<get_current_active_user, M>` with the marker `#[requires_scopes("items")]` puts
//!   there, through `FromRequestParts` (not through the router): bearer token, `State`,
//!   `get_current_user` (verification, user lookup, scopes), `get_current_active_user`, and the
//!   request cache of both.
//!
//! and, to tell where the difference goes:
//!
//! - `bare_decode_value`: the same decode into a `serde_json::Value`;
//! - `decode_demo_claims`: `jsonwebtoken::decode` into the demo's `Claims` (a flattened
//!   `GrantedScopes`);
//! - `keys_verify`: `JwtKeys::verify::<Claims>`, what `get_current_user` calls;
//! - `state_clone`: the `AppState` clone that `State<AppState>` makes;
//! - `user_clone`: one clone of the `User` value (the chain makes three);
//! - `proposed_chain`: the demo's two dependencies copied here with two changes only, an
//!   `Arc`-shared state (no deep `JwtKeys` clone per `State` extraction) and claims read without
//!   `#[serde(flatten)]`, to measure what those changes would save.
//!
//! Every routine gets its input from criterion's `iter_batched` setup and hands everything back,
//! so neither building nor dropping the request parts is measured. `bare_decode`, `full_chain`
//! and `proposed_chain` build one input per iteration (`BatchSize::PerIteration`), so the parts
//! are as warm in cache as those of a request a server has just parsed; `full_chain_cold_parts`
//! is `full_chain` with criterion's usual batching, for comparison. Before measuring, the chain is
//! checked to succeed for johndoe with `["me", "items"]` and to fail without `items`, so the
//! numbers cannot silently come from an error path.
//!
//! Run: `cargo bench -p axum-scopes-tests --bench chain -- --warm-up-time 2 --measurement-time 5`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum_scopes::jsonwebtoken::{self, Algorithm, DecodingKey, Validation};
use axum_scopes::{
    BearerToken, GrantedScopes, HttpError, JwtKeys, Security, SecurityScopes, dependency,
    requires_scopes,
};
use axum_scopes_demo::{
    __axum_scopes_read_own_items_0 as ReadOwnItemsEdge, AppState, Claims, DEFAULT_SECRET_KEY,
    Oauth2, User, get_current_active_user,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::StatusCode;
use http::header::AUTHORIZATION;
use http::header::WWW_AUTHENTICATE;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;

/// The parameter of `read_own_items` as the macro rewrites it.
type OwnItemsParam = Security<get_current_active_user, ReadOwnItemsEdge>;

/// A small claims struct: what a hand-written check would decode into.
#[derive(Debug, Deserialize)]
struct BareClaims {
    sub: String,
    scopes: Vec<String>,
}

/// The demo's state behind one `Arc`: extracting `State` is a reference count.
#[derive(Clone)]
struct SharedState(Arc<SharedInner>);

struct SharedInner {
    keys: JwtKeys,
    users: HashMap<&'static str, User>,
}

/// The demo's claims with the `scopes` array read directly instead of through a flattened
/// `GrantedScopes` (which makes serde buffer the whole payload first).
#[derive(Deserialize)]
struct DirectClaims {
    sub: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

/// The demo's `get_current_user`, on `SharedState` and `DirectClaims`.
#[dependency]
async fn shared_current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Oauth2>,
    State(app): State<SharedState>,
) -> Result<User, HttpError> {
    let unauthorized = |detail: &'static str| {
        HttpError::new(StatusCode::UNAUTHORIZED, detail)
            .with_header(WWW_AUTHENTICATE, security_scopes.bearer_challenge())
    };
    let credentials_exception = || unauthorized("Could not validate credentials");
    let claims: DirectClaims = app
        .0
        .keys
        .verify(token.as_bytes())
        .map_err(|_| credentials_exception())?;
    let username = claims.sub.ok_or_else(credentials_exception)?;
    let user = app
        .0
        .users
        .get(username.as_str())
        .ok_or_else(credentials_exception)?;
    let granted: GrantedScopes = claims.scopes.into_iter().collect();
    if security_scopes.first_missing(granted.iter()).is_some() {
        return Err(unauthorized("Not enough permissions"));
    }
    Ok(user.clone())
}

/// The demo's `get_current_active_user`, over `shared_current_user`.
#[dependency]
#[requires_scopes("me")]
async fn shared_current_active_user(
    current_user: Security<shared_current_user>,
) -> Result<User, HttpError> {
    if current_user.disabled == Some(true) {
        return Err(HttpError::new(StatusCode::BAD_REQUEST, "Inactive user"));
    }
    Ok(current_user.into_inner())
}

/// The demo's `read_own_items`, so that the macro generates the same edge marker.
#[requires_scopes("items")]
#[allow(dead_code)]
async fn shared_read_own_items(current_user: Security<shared_current_active_user>) -> String {
    current_user.into_inner().username
}

type ProposedParam = Security<shared_current_active_user, __axum_scopes_shared_read_own_items_0>;

/// A token valid for a day, as `/token` would issue it.
fn token(state: &AppState, scopes: &[&str]) -> String {
    state
        .keys()
        .issue_with_expiry(
            &json!({ "sub": "johndoe", "scopes": scopes }),
            Duration::from_secs(24 * 60 * 60),
        )
        .expect("signing a token")
}

/// The request parts of `GET /users/me/items/` with the token.
fn parts(token: &str) -> Parts {
    http::Request::get("/users/me/items/")
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .expect("a request")
        .into_parts()
        .0
}

fn extract(
    rt: &tokio::runtime::Runtime,
    state: &AppState,
    token: &str,
) -> Result<OwnItemsParam, axum::response::Response> {
    rt.block_on(async {
        let mut parts = parts(token);
        OwnItemsParam::from_request_parts(&mut parts, state).await
    })
}

fn bench_chain(c: &mut Criterion) {
    // Builds the keys, which also installs jsonwebtoken's crypto provider that `decode` needs.
    let state = AppState::new(DEFAULT_SECRET_KEY.as_bytes());
    let good = token(&state, &["me", "items"]);
    let no_items = token(&state, &["me"]);
    let key = DecodingKey::from_secret(DEFAULT_SECRET_KEY.as_bytes());
    let validation = Validation::new(Algorithm::HS256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");

    // The benchmark must measure the success path.
    let user = extract(&rt, &state, &good).expect("the chain accepts johndoe's token");
    assert_eq!(user.username, "johndoe");
    let rejected = extract(&rt, &state, &no_items).expect_err("the chain needs `items`");
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    let bare = jsonwebtoken::decode::<BareClaims>(good.as_bytes(), &key, &validation)
        .expect("bare decode accepts the token");
    assert_eq!(bare.claims.sub, "johndoe");
    assert_eq!(bare.claims.scopes, ["me", "items"]);

    let shared = SharedState(Arc::new(SharedInner {
        keys: state.keys().clone(),
        users: HashMap::from([("johndoe", user.clone().into_inner())]),
    }));
    let proposed = rt.block_on(async {
        let mut parts = parts(&good);
        ProposedParam::from_request_parts(&mut parts, &shared).await
    });
    assert_eq!(
        proposed
            .expect("the proposed chain accepts johndoe's token")
            .username,
        "johndoe"
    );
    let proposed = rt.block_on(async {
        let mut parts = parts(&no_items);
        ProposedParam::from_request_parts(&mut parts, &shared).await
    });
    assert_eq!(
        proposed
            .expect_err("the proposed chain needs `items`")
            .status(),
        StatusCode::UNAUTHORIZED
    );

    let mut group = c.benchmark_group("chain");
    group.bench_function("bare_decode", |b| {
        b.iter_batched(
            || good.as_bytes(),
            |token| jsonwebtoken::decode::<BareClaims>(token, &key, &validation),
            BatchSize::PerIteration,
        );
    });
    group.bench_function("full_chain", |b| {
        b.to_async(&rt).iter_batched(
            || parts(&good),
            |mut parts| {
                let state = &state;
                async move {
                    let param = OwnItemsParam::from_request_parts(&mut parts, state).await;
                    (param, parts)
                }
            },
            BatchSize::PerIteration,
        );
    });
    // The same with criterion's usual batching: thousands of request parts are built before the
    // timed loop, so each iteration reads its headers from cold memory, which a server that
    // has just parsed the request does not. Kept to show that effect, not as the reference.
    group.bench_function("full_chain_cold_parts", |b| {
        b.to_async(&rt).iter_batched(
            || parts(&good),
            |mut parts| {
                let state = &state;
                async move {
                    let param = OwnItemsParam::from_request_parts(&mut parts, state).await;
                    (param, parts)
                }
            },
            BatchSize::SmallInput,
        );
    });
    group.bench_function("proposed_chain", |b| {
        b.to_async(&rt).iter_batched(
            || parts(&good),
            |mut parts| {
                let shared = &shared;
                async move {
                    let param = ProposedParam::from_request_parts(&mut parts, shared).await;
                    (param, parts)
                }
            },
            BatchSize::PerIteration,
        );
    });
    group.bench_function("bare_decode_value", |b| {
        b.iter_batched(
            || good.as_bytes(),
            |token| jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("decode_demo_claims", |b| {
        b.iter_batched(
            || good.as_bytes(),
            |token| jsonwebtoken::decode::<Claims>(token, &key, &validation),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("keys_verify", |b| {
        b.iter_batched(
            || good.as_bytes(),
            |token| state.keys().verify::<Claims>(token),
            BatchSize::SmallInput,
        );
    });
    group.bench_function("state_clone", |b| {
        b.iter_batched(|| &state, Clone::clone, BatchSize::SmallInput);
    });
    let user = user.into_inner();
    group.bench_function("user_clone", |b| {
        b.iter_batched(|| &user, Clone::clone, BatchSize::SmallInput);
    });
    group.finish();
    black_box(user);
}

criterion_group!(benches, bench_chain);
criterion_main!(benches);
