//! Every outcome of the `Authenticated` guard is one structured tracing event of target
//! `axum_scopes`: the fields of a bad token, a missing scope, an unknown `kid`, a provider
//! outage and an acceptance, and never a byte of the token.

use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use axum::body::Body;
use axum::routing::get;
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::JwksOptions;
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use axum_scopes_tests::provider::{Behaviour, Provider, TestKey};
use axum_scopes_tests::token::now;
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

axum_scopes::oauth2_password_bearer! {
    /// The scheme of the guarded routes.
    pub(crate) Observed { token_url: "token", scopes: { "items" => "Read items.", "admin" => "All." } }
}

#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Observed>) -> String {
    claims.into_inner().sub
}

/// One captured event: its level, target and fields as text.
#[derive(Debug, Clone)]
struct Captured {
    level: tracing::Level,
    target: String,
    fields: Vec<(String, String)>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        });
    }
}

impl Capture {
    /// The guard's events (target `axum_scopes`, with an `outcome`).
    fn outcomes(&self) -> Vec<Captured> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event.target == "axum_scopes" && event.field("outcome").is_some())
            .cloned()
            .collect()
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

struct Setup {
    provider: Provider,
    app: axum::Router,
    key: TestKey,
}

async fn setup() -> Setup {
    let key = TestKey::from_fixture("ec-p256", "k1", Algorithm::ES256);
    let provider = Provider::start(std::slice::from_ref(&key)).await;
    let auth = dangerous::allow_http(Authenticator::builder())
        .issuer(Issuer::new(provider.issuer()).jwks_url(provider.jwks_url()))
        .jwks_options(JwksOptions::default().min_refresh_interval(Duration::ZERO))
        .build()
        .await
        .expect("authenticator builds");
    let app = axum::Router::new()
        .route("/items", get(items))
        .with_state(auth);
    Setup { provider, app, key }
}

impl Setup {
    fn token(&self, key: &TestKey, scope: &str) -> String {
        key.sign(&json!({
            "sub": "alice", "iss": self.provider.issuer(), "scope": scope, "exp": now() + 600,
        }))
    }

    async fn call(&self, token: &str) -> http::StatusCode {
        let request = http::Request::get("/items")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.app.clone().oneshot(request).await.unwrap().status()
    }
}

/// Runs `f` with a subscriber capturing every event on this thread.
async fn captured<F: std::future::Future<Output = ()>>(capture: &Capture, f: F) {
    let _guard = capture_here(capture);
    f.await;
}

/// Sets a subscriber capturing every event on this thread, until the guard drops.
///
/// The other tests of this binary run on other threads without a subscriber, and tracing caches
/// a callsite's interest for the whole process when a thread first reaches it. While a single
/// dispatcher exists, that interest is asked of the reaching thread's own default
/// (tracing-core 0.1.36, tokio-rs/tracing#3611): a callsite that another test reaches first while
/// this capture is set is cached as "never", and its events do not come here even from this
/// thread. A global default set once before the first capture (a `Registry` without layers,
/// which keeps nothing) makes every capture a second dispatcher, and with two, every callsite's
/// interest is asked of each of them.
fn capture_here(capture: &Capture) -> tracing::subscriber::DefaultGuard {
    static GLOBAL_DEFAULT: Once = Once::new();
    GLOBAL_DEFAULT.call_once(|| {
        // Should another global default exist already, it is a dispatcher as good as this one.
        let _ = tracing::subscriber::set_global_default(Registry::default());
    });
    tracing::subscriber::set_default(Registry::default().with(capture.clone()))
}

/// The one event of the last request, checked to carry no token bytes.
fn only_event(capture: &Capture, token: &str) -> Captured {
    let events = capture.outcomes();
    assert_eq!(events.len(), 1, "one event per outcome: {events:#?}");
    let all = capture.0.lock().unwrap().clone();
    for event in &all {
        for (name, value) in &event.fields {
            for part in token.split('.').filter(|part| part.len() >= 8) {
                assert!(
                    !value.contains(part),
                    "field `{name}` carries token bytes: {value}"
                );
            }
        }
    }
    capture.clear();
    events.into_iter().next().unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn each_outcome_is_one_event_with_its_fields_and_no_token() {
    let setup = setup().await;
    let capture = Capture::default();
    let issuer = setup.provider.issuer();
    captured(&capture, async {
        // Accepted: debug, with the kid and the configured issuer.
        let good = setup.token(&setup.key, "items");
        assert_eq!(setup.call(&good).await, http::StatusCode::OK);
        let event = only_event(&capture, &good);
        assert_eq!(event.level, tracing::Level::DEBUG);
        assert_eq!(event.field("outcome"), Some("accepted"));
        assert_eq!(event.field("scheme"), Some("OAuth2PasswordBearer"));
        assert_eq!(event.field("required"), Some("items"));
        assert_eq!(event.field("kid"), Some("k1"));
        assert_eq!(event.field("issuer"), Some(issuer.as_str()));

        // A bad token: a tampered signature.
        let mut bad = setup.token(&setup.key, "items");
        bad.truncate(bad.len() - 4);
        bad.push_str("AAAA");
        assert_eq!(setup.call(&bad).await, http::StatusCode::UNAUTHORIZED);
        let event = only_event(&capture, &bad);
        assert_eq!(event.level, tracing::Level::INFO);
        assert_eq!(event.field("outcome"), Some("refused"));
        assert_eq!(event.field("reason"), Some("invalid_token"));
        assert_eq!(event.field("error"), Some("invalid_signature"));
        assert_eq!(event.field("required"), Some("items"));
        assert_eq!(event.field("kid"), Some("k1"));
        assert_eq!(event.field("issuer"), Some(issuer.as_str()));

        // A missing scope.
        let lesser = setup.token(&setup.key, "admin");
        assert_eq!(setup.call(&lesser).await, http::StatusCode::FORBIDDEN);
        let event = only_event(&capture, &lesser);
        assert_eq!(event.field("reason"), Some("insufficient_scope"));
        assert_eq!(event.field("missing"), Some("items"));
        assert_eq!(event.field("error"), None);

        // An unknown kid: the refresh finds nothing.
        let stranger = TestKey::from_fixture("ec-p256", "who-knows", Algorithm::ES256);
        let unknown = setup.token(&stranger, "items");
        assert_eq!(setup.call(&unknown).await, http::StatusCode::UNAUTHORIZED);
        let event = only_event(&capture, &unknown);
        assert_eq!(event.field("reason"), Some("invalid_token"));
        assert_eq!(event.field("error"), Some("unknown_key"));
        assert_eq!(event.field("kid"), Some("who-knows"));
        assert_eq!(event.field("issuer"), None);

        // The provider is down and the kid unknown: warn, keys_unavailable.
        setup.provider.set_behaviour(Behaviour::Fail);
        let rotated = TestKey::from_fixture("ec-p256", "k2", Algorithm::ES256);
        let during = setup.token(&rotated, "items");
        assert_eq!(
            setup.call(&during).await,
            http::StatusCode::SERVICE_UNAVAILABLE
        );
        let event = only_event(&capture, &during);
        assert_eq!(event.level, tracing::Level::WARN);
        assert_eq!(event.field("reason"), Some("keys_unavailable"));
        assert_eq!(event.field("error"), Some("keys_unavailable"));
        assert_eq!(event.field("kid"), Some("k2"));

        // No credential at all.
        let request = http::Request::get("/items").body(Body::empty()).unwrap();
        let status = setup.app.clone().oneshot(request).await.unwrap().status();
        assert_eq!(status, http::StatusCode::UNAUTHORIZED);
        let event = only_event(&capture, "");
        assert_eq!(event.field("reason"), Some("missing_credentials"));
    })
    .await;
}
