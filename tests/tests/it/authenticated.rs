//! `Authenticated<C, S>`: the guard that verifies, checks every accumulated scope and answers per
//! RFC 6750, through the router.

use axum::extract::FromRef;
use axum::routing::get;
use axum::{Json, Router};
use axum_scopes::credential::{CredentialName, TokenCookie};
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::{
    AuthConfig, Authenticated, AuthenticatedBy, Authenticator, HttpError, Issuer,
    MaybeAuthenticated, Security, dependency, requires_scopes,
};
use axum_scopes_tests::request::{call, send};
use axum_scopes_tests::token::Tokens;
use http::{Request, StatusCode};
use serde_json::{Value, json};

const SECRET: &[u8] = b"a test secret of at least thirty-two bytes";

axum_scopes::oauth2_password_bearer! {
    /// The API's scheme.
    pub(crate) Api { token_url: "token", scopes: { "items" => "Read items.", "admin" => "Everything." } }
}

#[derive(Clone, Debug, serde::Deserialize)]
struct Claims {
    sub: String,
}

#[derive(Clone)]
struct App {
    authenticator: Authenticator,
    config: AuthConfig,
}

impl FromRef<App> for Authenticator {
    fn from_ref(app: &App) -> Self {
        app.authenticator.clone()
    }
}

impl FromRef<App> for AuthConfig {
    fn from_ref(app: &App) -> Self {
        app.config.clone()
    }
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Api>) -> Json<Value> {
    Json(json!({ "sub": claims.into_inner().sub }))
}

#[requires_scopes(any("admin", "items"))]
async fn either(claims: Authenticated<Claims, Api>) -> Json<Value> {
    Json(json!({ "sub": claims.into_inner().sub }))
}

/// The guard inside a dependency: the dependency's own scope reaches it.
#[dependency]
#[requires_scopes("admin")]
async fn admin(claims: Authenticated<Claims, Api>) -> Result<String, HttpError> {
    Ok(claims.into_inner().sub)
}

#[requires_scopes("items")]
async fn admin_items(user: Security<admin>) -> String {
    user.into_inner()
}

/// The cookie that carries the token.
enum Session {}

impl CredentialName for Session {
    const NAME: &'static str = "session";
}

#[requires_scopes("items")]
async fn cookie_items(claims: AuthenticatedBy<Claims, Api, TokenCookie<Session>>) -> Json<Value> {
    Json(json!({ "sub": claims.into_inner().sub }))
}

#[requires_scopes("items")]
async fn maybe(claims: MaybeAuthenticated<Claims, Api>) -> Json<Value> {
    Json(json!({ "sub": claims.into_inner().map(|claims| claims.sub) }))
}

async fn app() -> Router {
    let authenticator = Authenticator::builder()
        .issuer(Issuer::any().key(Key::secret(SECRET, &[Algorithm::HS256]).unwrap()))
        .build()
        .await
        .unwrap();
    Router::new()
        .route("/items", get(items))
        .route("/either", get(either))
        .route("/admin", get(admin_items))
        .route("/cookie", get(cookie_items).post(cookie_items))
        .route("/maybe", get(maybe))
        .with_state(App {
            authenticator,
            config: AuthConfig::default(),
        })
}

/// alice's tokens, signed with [`SECRET`].
const ALICE: Tokens = Tokens::new(SECRET, "alice");

#[tokio::test]
async fn rfc_6750_answers() {
    let (status, _, challenge) = call(&app().await, "/items", None).await;
    assert_eq!(
        (status, challenge.as_str()),
        (StatusCode::UNAUTHORIZED, "Bearer")
    );

    let (status, body, challenge) = call(&app().await, "/items", Some("not.a.token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer error="invalid_token""#);
    assert_eq!(body, r#"{"detail":"Could not validate credentials"}"#);

    let (status, body, challenge) = call(&app().await, "/items", Some(&ALICE.scope("admin"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge,
        r#"Bearer error="insufficient_scope", scope="items""#
    );
    assert_eq!(body, r#"{"detail":"Not enough permissions"}"#);

    let (status, _, challenge) = call(&app().await, "/items", Some("two words")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(challenge.starts_with(r#"Bearer error="invalid_request""#));

    let (status, body, _) = call(&app().await, "/items", Some(&ALICE.scope("items"))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"sub":"alice"}"#)
    );
}

#[tokio::test]
async fn any_of_and_nested_requirements() {
    for (scope, expected) in [
        ("admin", StatusCode::OK),
        ("items", StatusCode::OK),
        ("other", StatusCode::FORBIDDEN),
    ] {
        let (status, _, _) = call(&app().await, "/either", Some(&ALICE.scope(scope))).await;
        assert_eq!(status, expected, "scope {scope}");
    }
    // The handler's `items` and the dependency's `admin` both reach the guard.
    let (status, _, challenge) = call(&app().await, "/admin", Some(&ALICE.scope("admin"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge,
        r#"Bearer error="insufficient_scope", scope="items admin""#
    );
    let (status, _, _) = call(&app().await, "/admin", Some(&ALICE.scope("items admin"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn token_in_a_cookie() {
    let cookie = format!("session={}", ALICE.scope("items"));
    let get = Request::get("/cookie").header("cookie", &cookie);
    let answer = send(&app().await, get).await;
    assert_eq!(
        (answer.status, answer.json()),
        (StatusCode::OK, json!({ "sub": "alice" }))
    );
    // A state-changing request authenticated by a cookie needs the CSRF header.
    let post = Request::post("/cookie").header("cookie", &cookie);
    assert_eq!(send(&app().await, post).await.status, StatusCode::FORBIDDEN);
    let post = Request::post("/cookie")
        .header("cookie", &cookie)
        .header("x-requested-with", "fetch");
    assert_eq!(send(&app().await, post).await.status, StatusCode::OK);
    let wrong_scope = format!("session={}", ALICE.scope("admin"));
    let get = Request::get("/cookie").header("cookie", wrong_scope);
    assert_eq!(send(&app().await, get).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn optional_authentication() {
    let (status, body, _) = call(&app().await, "/maybe", None).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"sub":null}"#),
        "anonymous passes"
    );
    let (status, body, _) = call(&app().await, "/maybe", Some(&ALICE.scope("items"))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"sub":"alice"}"#)
    );
    let (status, _, _) = call(&app().await, "/maybe", Some("not.a.token")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an invalid token is still rejected"
    );
    let (status, _, _) = call(&app().await, "/maybe", Some(&ALICE.scope("admin"))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "so is a token without the scope"
    );
}
