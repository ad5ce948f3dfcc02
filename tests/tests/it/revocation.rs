//! Revocation through the public API: in memory on one router, and on a real redis-server shared
//! by three replicas served on 127.0.0.1 (each its own `Revocations`, connections and mirror),
//! asked over HTTP with reqwest: propagation, "log out everywhere", an outage of Redis (fail
//! closed, nothing lost), and bad input.

use std::time::{Duration, Instant, SystemTime};

use axum::extract::{FromRef, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::revocation::{
    RedisOptions, Revocation, RevocationError, RevocationOptions, Revocations, Unrevocable,
};
use axum_scopes::{Authenticated, Authenticator, Issuer, requires_scopes};
use axum_scopes_tests::redis::RedisServer;
use axum_scopes_tests::server::serve;
use axum_scopes_tests::token::{mint_with, now};
use http::StatusCode;
use serde_json::{Value, json};

const SECRET: &[u8] = b"a test secret of at least thirty-two bytes";
const ISS: &str = "https://issuer.test";

axum_scopes::oauth2_password_bearer! {
    /// The replicas' scheme.
    pub(crate) Api { token_url: "token", scopes: { "items" => "Read items." } }
}

#[derive(Clone, Debug, serde::Deserialize)]
struct Claims {
    sub: String,
}

#[derive(Clone)]
struct App {
    authenticator: Authenticator,
    revocations: Revocations,
}

impl FromRef<App> for Authenticator {
    fn from_ref(app: &App) -> Self {
        app.authenticator.clone()
    }
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Api>) -> Json<Value> {
    Json(json!({ "sub": claims.into_inner().sub }))
}

/// A logout endpoint: revokes the presented token; 204, or 503 when the store is unreachable.
async fn logout(State(app): State<App>, headers: HeaderMap) -> StatusCode {
    let Some(token) = headers
        .get("authorization")
        .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "))
    else {
        return StatusCode::UNAUTHORIZED;
    };
    match app
        .authenticator
        .revoke_token(token, &app.revocations)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(RevocationError::Unavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}

async fn router(revocations: Revocations) -> Router {
    let authenticator = Authenticator::builder()
        .issuer(Issuer::new(ISS).key(Key::secret(SECRET, &[Algorithm::HS256]).unwrap()))
        .revocations(revocations.clone())
        .build()
        .await
        .unwrap();
    Router::new()
        .route("/items", get(items))
        .route("/logout", post(logout))
        .with_state(App {
            authenticator,
            revocations,
        })
}

/// A token of `sub` with `jti`, issued `age` seconds ago, valid 10 minutes.
fn token(sub: &str, jti: &str, age: u64) -> String {
    let iat = now() - age;
    mint_with(
        SECRET,
        Algorithm::HS256,
        &json!({ "iss": ISS, "sub": sub, "jti": jti, "iat": iat, "exp": iat + 600, "scope": "items" }),
    )
}

/// The status of `method path` on `base` with `token`.
async fn ask(client: &reqwest::Client, method: reqwest::Method, url: String, token: &str) -> u16 {
    let answer = client.request(method, url).bearer_auth(token).send().await;
    answer.unwrap().status().as_u16()
}

/// The status of `GET /items` on `base` with `token`.
async fn status(client: &reqwest::Client, base: &str, token: &str) -> u16 {
    ask(client, reqwest::Method::GET, format!("{base}/items"), token).await
}

/// The status of `POST /logout` on `base` with `token`.
async fn logout_on(client: &reqwest::Client, base: &str, token: &str) -> u16 {
    ask(
        client,
        reqwest::Method::POST,
        format!("{base}/logout"),
        token,
    )
    .await
}

/// Polls `GET /items` with `token` on `base` until it answers `want`; the time it took.
async fn until(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    want: u16,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        let got = status(client, base, token).await;
        if got == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{base}: {got} instead of {want} after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn in_memory_revocation_refuses_cached_tokens_and_follows_the_policy() {
    let revocations = Revocations::in_memory(RevocationOptions::default());
    let app = router(revocations.clone()).await;
    let base = serve(app).await;
    let client = reqwest::Client::new();
    let (alice, bob) = (token("alice", "a-1", 5), token("bob", "b-1", 5));
    // Both accepted, and alice's now served from the cache.
    assert_eq!(status(&client, &base, &alice).await, 200);
    assert_eq!(status(&client, &base, &alice).await, 200);
    assert_eq!(status(&client, &base, &bob).await, 200);
    let mut events = revocations.subscribe();
    assert_eq!(logout_on(&client, &base, &alice).await, 204);
    let event = events.try_recv().unwrap();
    assert_eq!((event.issuer(), event.until() > now()), (ISS, true));
    let refused = client
        .get(format!("{base}/items"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("invalid_token"), "{challenge}");
    assert_eq!(status(&client, &base, &bob).await, 200);
    // Logging out twice changes nothing.
    assert_eq!(logout_on(&client, &base, &alice).await, 204);
    // "Log out everywhere" for bob: his earlier tokens go, a later one passes.
    let bob_older = token("bob", "b-0", 100);
    assert_eq!(status(&client, &base, &bob_older).await, 200);
    revocations
        .revoke(Revocation::subject(
            ISS,
            "bob",
            SystemTime::now() - Duration::from_secs(30),
        ))
        .await
        .unwrap();
    assert_eq!(status(&client, &base, &bob_older).await, 401);
    assert_eq!(
        status(&client, &base, &bob).await,
        200,
        "issued after the cutoff"
    );
    // A token revocation cannot name (no jti) is refused by default, accepted when asked.
    let no_jti = mint_with(
        SECRET,
        Algorithm::HS256,
        &json!({ "iss": ISS, "sub": "carol", "iat": now(), "exp": now() + 600, "scope": "items" }),
    );
    assert_eq!(status(&client, &base, &no_jti).await, 401);
    let lenient =
        Revocations::in_memory(RevocationOptions::default().unrevocable(Unrevocable::Accept));
    let lenient = serve(router(lenient).await).await;
    assert_eq!(status(&client, &lenient, &no_jti).await, 200);
}

#[tokio::test]
async fn bad_input_is_refused_whole_and_nothing_panics() {
    let revocations = Revocations::in_memory(RevocationOptions::default());
    let empty = revocations
        .revoke(Revocation::token(ISS, "", now() + 60))
        .await;
    assert!(
        matches!(empty, Err(RevocationError::Invalid(_))),
        "{empty:?}"
    );
    let long = revocations
        .revoke(Revocation::token(ISS, "j".repeat(2000), now() + 60))
        .await;
    assert!(matches!(long, Err(RevocationError::Invalid(_))), "{long:?}");
    let huge: Vec<_> = (0..10_001)
        .map(|i| Revocation::token(ISS, format!("j{i}"), now() + 60))
        .collect();
    let huge = revocations.revoke_all(huge).await;
    assert!(matches!(huge, Err(RevocationError::Invalid(_))), "{huge:?}");
    assert_eq!(
        revocations.held(),
        0,
        "nothing of a refused call is applied"
    );
    let url = Revocations::redis(RedisOptions::new("not a url"), RevocationOptions::default());
    assert!(matches!(url, Err(RevocationError::Config(_))));
}

/// Three replicas, each with its own `Revocations` on the same Redis, bound 1 s.
async fn start_replicas(redis: &RedisServer) -> Vec<(String, Revocations)> {
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let options = RedisOptions::new(redis.url())
            .currency_bound(Duration::from_secs(1))
            .write_timeout(Duration::from_millis(500));
        let revocations = Revocations::redis(options, RevocationOptions::default()).unwrap();
        let base = serve(router(revocations.clone()).await).await;
        replicas.push((base, revocations));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !replicas
        .iter()
        .all(|(_, revocations)| revocations.is_current())
    {
        assert!(Instant::now() < deadline, "replicas did not synchronise");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    replicas
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_through_one_replica_holds_on_all_three_within_a_second() {
    let redis = RedisServer::start();
    let replicas = start_replicas(&redis).await;
    let client = reqwest::Client::new();
    let mut propagation = Vec::new();
    for i in 0..200 {
        let token = token("alice", &format!("p-{i}"), 1);
        for (base, _) in &replicas {
            assert_eq!(status(&client, base, &token).await, 200);
        }
        let (through, _) = &replicas[i % 3];
        assert_eq!(logout_on(&client, through, &token).await, 204);
        let started = Instant::now();
        assert_eq!(
            status(&client, through, &token).await,
            401,
            "refused at once where it was made"
        );
        for (base, _) in &replicas {
            until(&client, base, &token, 401, Duration::from_secs(1)).await;
        }
        propagation.push(started.elapsed());
    }
    propagation.sort();
    let (p50, p99) = (
        percentile(&propagation, 0.5),
        percentile(&propagation, 0.99),
    );
    eprintln!(
        "revocation propagation over 200 revocations, 3 replicas: p50 {p50:?}, p99 {p99:?}, max {:?}",
        propagation.last().unwrap()
    );
    assert!(p99 < Duration::from_secs(1));
    // "Log out everywhere" through the operator's call on one replica: every earlier token of
    // the subject, on every replica.
    let earlier: Vec<_> = (0..5)
        .map(|i| token("bob", &format!("e-{i}"), 10 + i))
        .collect();
    let other = token("carol", "c-1", 10);
    for (base, _) in &replicas {
        for token in &earlier {
            assert_eq!(status(&client, base, token).await, 200);
        }
    }
    replicas[1]
        .1
        .revoke(Revocation::subject(ISS, "bob", SystemTime::now()))
        .await
        .unwrap();
    for (base, _) in &replicas {
        for token in &earlier {
            until(&client, base, token, 401, Duration::from_secs(1)).await;
        }
        assert_eq!(status(&client, base, &other).await, 200);
    }
    // Something under our prefix that is not ours, stored and published: skipped, nothing
    // breaks, and revocations still flow.
    assert_eq!(
        redis.command(&["SET", "axum-scopes:rev:junk", "not json"]),
        "OK"
    );
    let _ = redis.command(&[
        "PUBLISH",
        "axum-scopes:revocations",
        "{\"kind\":\"nonsense\"}",
    ]);
    let late = token("dave", "d-1", 1);
    replicas[2]
        .1
        .revoke(Revocation::token(ISS, "d-1", now() + 600))
        .await
        .unwrap();
    for (base, _) in &replicas {
        until(&client, base, &late, 401, Duration::from_secs(1)).await;
        assert_eq!(status(&client, base, &other).await, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_closed_and_nothing_is_lost_when_it_returns() {
    let mut redis = RedisServer::start();
    let replicas = start_replicas(&redis).await;
    let client = reqwest::Client::new();
    let before = token("alice", "before", 5);
    let during = token("alice", "during", 5);
    let valid = token("bob", "valid", 5);
    for (base, _) in &replicas {
        assert_eq!(status(&client, base, &during).await, 200);
        assert_eq!(status(&client, base, &valid).await, 200);
    }
    assert_eq!(logout_on(&client, &replicas[0].0, &before).await, 204);
    for (base, _) in &replicas {
        until(&client, base, &before, 401, Duration::from_secs(1)).await;
    }
    redis.stop();
    let stopped = Instant::now();
    // A logout meanwhile: an error to the client, and refused at once where it was made.
    assert_eq!(logout_on(&client, &replicas[0].0, &during).await, 503);
    assert_eq!(status(&client, &replicas[0].0, &during).await, 401);
    // Within the bound (1 s) and a heartbeat, every replica answers 503 to every token, and no
    // replica ever accepted the token revoked before the outage.
    for (base, _) in &replicas {
        let waited = until(&client, base, &valid, 503, Duration::from_secs(3)).await;
        assert_eq!(status(&client, base, &before).await, 503);
        eprintln!(
            "{base}: 503 for every token {:?} after Redis stopped",
            stopped.elapsed().max(waited)
        );
    }
    let mut answered = [0_u32; 3];
    for _ in 0..20 {
        for (i, (base, _)) in replicas.iter().enumerate() {
            for token in [&before, &during, &valid] {
                let got = status(&client, base, token).await;
                assert_ne!(got, 200, "nothing is accepted while Redis is down");
                answered[i] += u32::from(got == 503);
            }
        }
    }
    eprintln!("during the outage: 503 answers per replica {answered:?} of 60 each, 0 accepted");
    redis.restart();
    let back = Instant::now();
    // Every replica synchronises again and serves; both revocations hold everywhere: the one
    // made before the outage, and the one requested during it (written on reconnection).
    for (base, _) in &replicas {
        until(&client, base, &valid, 200, Duration::from_secs(10)).await;
    }
    eprintln!("serving again {:?} after Redis returned", back.elapsed());
    for (base, _) in &replicas {
        assert_eq!(status(&client, base, &before).await, 401);
        until(&client, base, &during, 401, Duration::from_secs(2)).await;
    }
    // And a replica started afterwards reads both from Redis.
    let (late, _) = start_replicas(&redis).await.remove(0);
    assert_eq!(status(&client, &late, &before).await, 401);
    assert_eq!(status(&client, &late, &during).await, 401);
    assert_eq!(status(&client, &late, &valid).await, 200);
}

/// The cargo example `logout_replicas`, three times on one Redis: a token signed by one replica,
/// logged out through another, is refused by all three; "log out everywhere" too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logout_replicas_example_holds_across_its_replicas() {
    let redis = RedisServer::start();
    let secret = b"an example secret every replica shares, 32+ bytes";
    let mut bases = Vec::new();
    for _ in 0..3 {
        let options = RedisOptions::new(redis.url()).currency_bound(Duration::from_secs(1));
        let revocations = Revocations::redis(options, RevocationOptions::default()).unwrap();
        while !revocations.is_current() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        bases.push(serve(crate::examples::logout_replicas::app(secret, revocations).await).await);
    }
    let client = reqwest::Client::new();
    let sign_in = |base: String| {
        let client = client.clone();
        async move {
            let answer = client
                .post(format!("{base}/token"))
                .form(&[("username", "alice")])
                .send()
                .await
                .unwrap();
            answer.text().await.unwrap()
        }
    };
    let first = sign_in(bases[0].clone()).await;
    let second = sign_in(bases[1].clone()).await;
    for base in &bases {
        assert_eq!(status(&client, base, &first).await, 200);
        assert_eq!(status(&client, base, &second).await, 200);
    }
    assert_eq!(logout_on(&client, &bases[2], &first).await, 204);
    for base in &bases {
        until(&client, base, &first, 401, Duration::from_secs(1)).await;
        assert_eq!(status(&client, base, &second).await, 200);
    }
    let everywhere = client
        .post(format!("{}/logout-everywhere", bases[1]))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(everywhere.status(), 204);
    for base in &bases {
        until(&client, base, &second, 401, Duration::from_secs(1)).await;
    }
}

/// Redis paused (SIGSTOP): the connections look open and deliver nothing, so only the missing
/// heartbeats show it; every replica fails closed within the bound and serves again once Redis
/// resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_redis_fails_closed_on_missing_heartbeats() {
    let redis = RedisServer::start();
    let replicas = start_replicas(&redis).await;
    let client = reqwest::Client::new();
    let valid = token("erin", "paused", 5);
    for (base, _) in &replicas {
        assert_eq!(status(&client, base, &valid).await, 200);
    }
    redis.pause();
    let paused = Instant::now();
    for (base, _) in &replicas {
        until(&client, base, &valid, 503, Duration::from_secs(3)).await;
    }
    let refused_after = paused.elapsed();
    redis.resume();
    let resumed = Instant::now();
    for (base, _) in &replicas {
        until(&client, base, &valid, 200, Duration::from_secs(10)).await;
    }
    // The last heartbeat heard came at most half a bound before the pause, so the first 503
    // comes between half a bound and a bound after it.
    eprintln!(
        "Redis paused: every replica 503 within {refused_after:?} (bound 1 s); serving again {:?} after it resumed",
        resumed.elapsed()
    );
}
