//! Opaque access tokens of a real provider (oidc-provider, resource `urn:axum-scopes:opaque`)
//! introspected (RFC 7662) by `Authenticated`, beside the same provider's JWTs verified locally:
//! accepted with their scopes and served from the cache, revoked at the provider (RFC 7009) and
//! refused within the cache's maximum, inactive and garbage tokens refused, the endpoint down
//! answered 503 and served again once it is back, and one introspecting issuer at most.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_scopes::jwt::{BuildError, ClientAuth, Introspection};
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use axum_scopes_tests::request::call;
use serde::Deserialize;

axum_scopes::security_scheme! {
    /// Services on the client-credentials grant of the provider.
    pub(crate) Service {
        oauth2: { client_credentials: { token_url: "http://127.0.0.1/token" } },
        scopes: { "items" => "Read items.", "me" => "Read yourself." },
    }
}

/// What an introspection answer of a client-credentials token holds (no `sub`).
#[derive(Clone, Debug, Deserialize)]
struct Claims {
    client_id: String,
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Service>) -> String {
    format!("items for {}", claims.into_inner().client_id)
}

const OPAQUE: &str = "urn:axum-scopes:opaque";

async fn app(provider: &RealProvider, auth: ClientAuth, max_cache: Duration) -> Router {
    let introspection = Introspection::new("rs", "rs-secret")
        .client_auth(auth)
        .max_cache(max_cache);
    let authenticator = dangerous::allow_http(Authenticator::builder())
        .issuer(
            Issuer::discover(provider.issuer.clone())
                .audience(OPAQUE)
                .audience("urn:axum-scopes:es256")
                .introspection(introspection),
        )
        .build()
        .await
        .expect("discovery names the introspection endpoint");
    Router::new()
        .route("/items", get(items))
        .with_state(authenticator)
}

/// Revokes `token` at the provider (RFC 7009), as its client.
async fn revoke_at_provider(provider: &RealProvider, token: &str) {
    let answer = reqwest::Client::new()
        .post(format!("{}/token/revocation", provider.issuer))
        .basic_auth("bench", Some("bench-secret"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opaque_tokens_are_introspected_cached_and_revoked_within_the_maximum() {
    let provider = RealProvider::start(&ProviderConfig::new()).await;
    for auth in [ClientAuth::Basic, ClientAuth::Post] {
        let app = app(&provider, auth, Duration::from_secs(2)).await;
        let token = provider.client_credentials("items", OPAQUE).await;
        assert!(!token.contains('.'), "an opaque token");
        let (status, body, _) = call(&app, "/items", Some(&token)).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "items for bench"),
            "{auth:?}"
        );
        // Its scopes are the answer's: without `items`, 403.
        let lesser = provider.client_credentials("me", OPAQUE).await;
        let (status, _, challenge) = call(&app, "/items", Some(&lesser)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            challenge,
            r#"Bearer error="insufficient_scope", scope="items""#
        );
        // Revoked at the provider: still served from the cache for at most 2 s, then refused.
        revoke_at_provider(&provider, &token).await;
        let revoked = Instant::now();
        loop {
            let (status, _, challenge) = call(&app, "/items", Some(&token)).await;
            if status == StatusCode::UNAUTHORIZED {
                assert!(challenge.contains("invalid_token"), "{challenge}");
                break;
            }
            assert_eq!(status, StatusCode::OK);
            assert!(
                revoked.elapsed() < Duration::from_millis(2_500),
                "refused within the maximum"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!(
            "{auth:?}: a token revoked at the provider refused after {:?} (maximum 2 s)",
            revoked.elapsed()
        );
        // Garbage is inactive; the provider's JWTs are still verified locally.
        let (status, _, _) = call(&app, "/items", Some("not-a-token-the-provider-issued")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let jwt = provider
            .client_credentials("items", "urn:axum-scopes:es256")
            .await;
        let (status, _, _) = call(&app, "/items", Some(&jwt)).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_down_means_503_then_service_again() {
    let mut config = ProviderConfig::new();
    let mut provider = RealProvider::start(&config).await;
    // The restart below takes the same port.
    config.port = provider.port;
    let app = app(&provider, ClientAuth::Basic, Duration::from_secs(60)).await;
    let token = provider.client_credentials("items", OPAQUE).await;
    provider.stop();
    let (status, _, _) = call(&app, "/items", Some(&token)).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "never accepted unchecked"
    );
    let provider = RealProvider::start(&config).await;
    // The provider keeps tokens in memory: the old one is gone, a new one is served.
    let token = provider.client_credentials("items", OPAQUE).await;
    let (status, _, _) = call(&app, "/items", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn one_issuer_at_most_takes_opaque_tokens() {
    let built =
        dangerous::allow_http(Authenticator::builder())
            .issuer(Issuer::new("https://a.example").introspection(
                Introspection::new("rs", "s").endpoint("http://127.0.0.1:9/introspect"),
            ))
            .issuer(Issuer::new("https://b.example").introspection(
                Introspection::new("rs", "s").endpoint("http://127.0.0.1:9/introspect"),
            ))
            .build()
            .await;
    assert!(
        matches!(built, Err(BuildError::SeveralIntrospections)),
        "{built:?}"
    );
}

/// A stand-in endpoint that counts its calls, answers slowly, and answers `/huge` with more
/// than the size bound: concurrent requests with one token make one call, and an oversized or
/// malformed answer is 503, never acceptance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_per_token_in_flight_and_bounded_answers() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let endpoint = Router::new()
        .route(
            "/introspect",
            axum::routing::post(move || {
                let calls = Arc::clone(&counted);
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    r#"{"active":true,"scope":"items","client_id":"bench","iss":"https://idp.test"}"#
                }
            }),
        )
        .route("/huge", axum::routing::post(|| async { "x".repeat(2 * 1024 * 1024) }))
        .route("/odd", axum::routing::post(|| async { "[1, 2, 3]" }));
    let base = axum_scopes_tests::server::serve(endpoint).await;
    let app_at = |path: &str| {
        let introspection = Introspection::new("rs", "rs-secret").endpoint(format!("{base}{path}"));
        async move {
            let authenticator = dangerous::allow_http(Authenticator::builder())
                .issuer(Issuer::new("https://idp.test").introspection(introspection))
                .build()
                .await
                .unwrap();
            Router::new()
                .route("/items", get(items))
                .with_state(authenticator)
        }
    };
    let app = app_at("/introspect").await;
    let requests: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { call(&app, "/items", Some("opaque-token-1")).await.0 })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one call for 20 concurrent requests"
    );
    // Cached: no further call.
    assert_eq!(
        call(&app, "/items", Some("opaque-token-1")).await.0,
        StatusCode::OK
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    for path in ["/huge", "/odd"] {
        let app = app_at(path).await;
        let (status, _, _) = call(&app, "/items", Some("opaque-token-2")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
    }
}
