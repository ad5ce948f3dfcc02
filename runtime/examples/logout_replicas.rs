//! Logout that holds on every replica: one app run three times on one Redis (cargo feature
//! `redis`). A token revoked through any replica is refused by all of them within milliseconds;
//! with Redis gone longer than the bound (5 s), every replica answers 503 rather than accept a
//! token it cannot vouch for.
//!
//! ```text
//! redis-server --port 6379 &
//! cargo run -p axum-scopes --features redis --example logout_replicas -- --port 8091 &
//! cargo run -p axum-scopes --features redis --example logout_replicas -- --port 8092 &
//! cargo run -p axum-scopes --features redis --example logout_replicas -- --port 8093 &
//! TOKEN=$(curl -s -X POST http://127.0.0.1:8091/token -d username=alice)
//! curl -i http://127.0.0.1:8092/items -H "Authorization: Bearer $TOKEN"             # 200
//! curl -i -X POST http://127.0.0.1:8093/logout -H "Authorization: Bearer $TOKEN"    # 204
//! curl -i http://127.0.0.1:8091/items -H "Authorization: Bearer $TOKEN"             # 401
//! curl -i -X POST http://127.0.0.1:8092/logout-everywhere -H "Authorization: Bearer $TOKEN2"
//! ```
//!
//! `REDIS_URL` (default `redis://127.0.0.1:6379`) and `SECRET_KEY` (the signing secret every
//! replica shares) configure it. The `/token` route stands in for an identity provider: it signs
//! a token with `jti`, `iat` and `exp` for whoever asks, so never copy it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use axum_scopes::jsonwebtoken::{self, Algorithm, EncodingKey, Header};
use axum_scopes::jwt::Key;
use axum_scopes::revocation::{
    RedisOptions, Revocation, RevocationError, RevocationOptions, Revocations,
};
use axum_scopes::{Authenticated, Authenticator, BearerToken, Issuer, requires_scopes};
use serde::Deserialize;
use serde_json::{Value, json};

/// The issuer the replicas trust (and `/token` writes).
const ISSUER: &str = "urn:example:logout-replicas";

axum_scopes::oauth2_password_bearer! {
    /// Tokens of the example's `/token` route.
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

/// What the routes read from a token.
#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

/// The router state: the authenticator checking every token against the revocations, and the
/// revocations, to revoke with.
#[derive(Clone)]
struct App {
    authenticator: Authenticator,
    revocations: Revocations,
    secret: Vec<u8>,
}

impl FromRef<App> for Authenticator {
    fn from_ref(app: &App) -> Self {
        app.authenticator.clone()
    }
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Api>) -> Json<Value> {
    Json(json!({ "owner": claims.into_inner().sub, "items": ["Foo", "Bar"] }))
}

/// Revokes the presented token everywhere: 204, or 503 while Redis cannot be written (this
/// replica already refuses the token; the client retries so that the others do too).
async fn logout(State(app): State<App>, token: BearerToken<Api>) -> StatusCode {
    match app
        .authenticator
        .revoke_token(token.as_bytes(), &app.revocations)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(RevocationError::Unavailable { .. }) => StatusCode::SERVICE_UNAVAILABLE,
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}

/// "Log out everywhere": every token of the caller issued until now.
#[requires_scopes("items")]
async fn logout_everywhere(
    State(app): State<App>,
    claims: Authenticated<Claims, Api>,
) -> StatusCode {
    let revocation = Revocation::subject(ISSUER, claims.into_inner().sub, SystemTime::now());
    match app.revocations.revoke(revocation).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// How many tokens this replica signed.
static ISSUED: AtomicU64 = AtomicU64::new(0);

#[derive(Deserialize)]
struct SignIn {
    username: String,
}

/// Stands in for an identity provider: a 10-minute token for `username`.
async fn token(State(app): State<App>, Form(form): Form<SignIn>) -> Result<String, StatusCode> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .as_secs();
    let claims = json!({
        "iss": ISSUER, "sub": form.username, "scope": "items",
        // Unique across replicas: this process, a counter, the second.
        "jti": format!("{}-{}-{now}", std::process::id(), ISSUED.fetch_add(1, Ordering::Relaxed)),
        "iat": now, "exp": now + 600,
    });
    let key =
        EncodingKey::from_secret(&app.secret).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

/// One replica's router over `revocations`, trusting tokens signed with `secret`.
///
/// # Panics
///
/// When `secret` is shorter than 32 bytes.
pub(crate) async fn app(secret: &[u8], revocations: Revocations) -> Router {
    let key = Key::secret(secret, &[Algorithm::HS256]).expect("a secret of 32 bytes or more");
    let authenticator = Authenticator::builder()
        .issuer(Issuer::new(ISSUER).key(key))
        .revocations(revocations.clone())
        .build()
        .await
        .expect("one static key always builds");
    Router::new()
        .route("/items", get(items))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/token", post(token))
        .with_state(App {
            authenticator,
            revocations,
            secret: secret.to_vec(),
        })
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().init();
    let mut args = std::env::args().skip(1);
    let mut port = 8091_u16;
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(value)) => port = value.parse().expect("--port takes a port number"),
            _ => panic!("usage: logout_replicas [--port PORT]"),
        }
    }
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let secret = std::env::var("SECRET_KEY")
        .unwrap_or_else(|_| "an example secret every replica shares, 32+ bytes".into());
    let revocations = Revocations::redis(
        RedisOptions::new(url).currency_bound(Duration::from_secs(5)),
        RevocationOptions::default().max_token_lifetime(Duration::from_secs(600)),
    )
    .expect("REDIS_URL is a redis:// or rediss:// URL");
    let router = app(secret.as_bytes(), revocations).await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    println!("replica on http://127.0.0.1:{port}");
    axum::serve(listener, router).await.expect("serves");
}
