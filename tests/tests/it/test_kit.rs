//! The test kit (`axum_scopes::testing`, feature `test-util`), used as a team would use it on
//! its own handlers: through `oneshot` and through a real server on 127.0.0.1 with a real
//! client.

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::testing::{
    Overrides, RouteAudit, TestIssuer, assert_insufficient_scope, assert_invalid_token,
    assert_unauthorized,
};
use axum_scopes::{
    Authenticated, Authenticator, BearerToken, HttpError, JwtKeys, Security, SecurityScopes,
    dangerous, dependency, requires_scopes,
};
use axum_scopes_tests::server::serve;
use http::{Request, StatusCode};
use tower::ServiceExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::oauth2_password_bearer! {
    /// The API's scheme.
    pub(crate) Api { token_url: "token", scopes: {
        "items" => "Read items.", "me" => "Read yourself.", "admin" => "Everything."
    } }
}

#[derive(Clone, Debug, serde::Deserialize)]
struct Claims {
    sub: String,
}

#[requires_scopes("items")]
async fn items(caller: Authenticated<Claims, Api>) -> String {
    format!("items of {}", caller.into_inner().sub)
}

fn guarded(authenticator: Authenticator) -> Router {
    Router::new()
        .route("/items", get(items))
        .with_state(authenticator)
}

fn bearer(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// The kit's issuer and answers against a handler guarded by `Authenticated`, through the
/// router, for an ES256 and an RS256 issuer: a valid token, each wrong token in one call (and
/// the other algorithm's token), a missing scope.
#[tokio::test]
async fn a_guarded_handler_through_oneshot() {
    for issuer in [TestIssuer::new(), TestIssuer::rs256()] {
        guarded_handler_answers(&issuer).await;
    }
}

async fn guarded_handler_answers(issuer: &TestIssuer) {
    let app = guarded(issuer.authenticator().build().await.unwrap());

    let response = app
        .clone()
        .oneshot(bearer("/items", &issuer.token(["items"])))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        issuer.algorithm()
    );

    let missing = Request::get("/items").body(Body::empty()).unwrap();
    let challenge = assert_unauthorized(&app.clone().oneshot(missing).await.unwrap());
    assert_eq!(
        challenge.error(),
        None,
        "RFC 6750 §3.1: no error code without a token"
    );
    let other_algorithm = if issuer.algorithm() == Algorithm::RS256 {
        TestIssuer::new()
    } else {
        TestIssuer::rs256()
    };
    for token in [
        issuer.expired_token(["items"]),
        issuer.premature_token(["items"]),
        issuer.foreign_token(["items"]),
        issuer.tampered_token(["items"]),
        issuer.wrong_audience_token(["items"]),
        issuer
            .clone()
            .with_issuer("https://other.test")
            .token(["items"]),
        other_algorithm.token(["items"]),
    ] {
        assert_invalid_token(&app.clone().oneshot(bearer("/items", &token)).await.unwrap());
    }
    let response = app
        .oneshot(bearer("/items", &issuer.token(["me"])))
        .await
        .unwrap();
    assert_insufficient_scope(&response, "items");
}

/// The same over HTTP: the app's own `Issuer::discover` set-up against the kit's issuer served
/// on 127.0.0.1, a reqwest client, the kit's assertions on reqwest's answers.
#[tokio::test]
async fn a_guarded_handler_behind_discovery_on_a_real_server() {
    let served = TestIssuer::new().serve().await.unwrap();
    let builder = Authenticator::builder().issuer(served.discover());
    let authenticator = dangerous::allow_http(builder).build().await.unwrap();
    let base = serve(guarded(authenticator)).await;
    let client = reqwest::Client::new();
    let call = |token: String| {
        client
            .get(format!("{base}/items"))
            .bearer_auth(token)
            .send()
    };

    let ok = call(served.issuer().token(["items"])).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "items of test-user");
    let expired = call(served.issuer().expired_token(["items"]))
        .await
        .unwrap();
    assert_invalid_token(&(expired.status(), expired.headers()));
    let narrow = call(served.issuer().token(["me"])).await.unwrap();
    assert_insufficient_scope(&(narrow.status(), narrow.headers()), "items");
    // Tokens of the same key under the issuer URL it was not served at are not this issuer's.
    let elsewhere = call(TestIssuer::new().token(["items"])).await.unwrap();
    assert_invalid_token(&(elsewhere.status(), elsewhere.headers()));
}

/// The tutorial's shape: a dependency that verifies (which the overrides replace), one above it
/// with a scope of its own, and handlers.
#[dependency]
async fn get_current_user(
    scopes: SecurityScopes,
    token: BearerToken<Api>,
) -> Result<String, HttpError> {
    let keys = JwtKeys::hs256(b"the app's own secret, thirty-two bytes");
    let token = keys
        .verify_scoped::<serde_json::Value>(token.as_bytes())
        .map_err(|_| HttpError::unauthorized("Could not validate credentials", &scopes))?;
    if !scopes.is_satisfied_by(token.scopes.iter()) {
        return Err(HttpError::unauthorized("Not enough permissions", &scopes));
    }
    Ok(token.claims["sub"].as_str().unwrap_or_default().to_owned())
}

#[dependency]
#[requires_scopes("me")]
async fn get_current_active_user(user: Security<get_current_user>) -> Result<String, HttpError> {
    Ok(format!("active {}", *user))
}

#[requires_scopes("items")]
async fn read_items(user: Security<get_current_active_user>) -> String {
    format!("items of {}", *user)
}

#[requires_scopes("admin")]
async fn administer(user: Security<get_current_user>) -> String {
    format!("admin {}", *user)
}

/// A handler that should require `admin` and forgot: only a test can tell.
async fn forgot_admin(user: Security<get_current_user>) -> String {
    format!("admin {}", *user)
}

fn tutorial() -> Router {
    Router::new()
        .route("/users/me/items", get(read_items))
        .route("/admin", get(administer))
        .route("/forgot-admin", get(forgot_admin))
}

/// Overrides replace the verifying dependency for one router; the scopes of the whole chain
/// (the handler's, the dependency's own) are checked against the override's.
#[tokio::test]
async fn an_override_stands_in_for_a_dependency_and_keeps_the_scopes() {
    let get_ = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let app = tutorial()
        .layer(Overrides::new().replace::<get_current_user>("ann".to_owned(), ["me", "items"]));
    let response = app.clone().oneshot(get_("/users/me/items")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"items of active ann");
    let response = app.clone().oneshot(get_("/admin")).await.unwrap();
    assert_insufficient_scope(&response, "admin");
    // The forgotten requirement shows: a caller without `admin` gets in.
    let response = app.oneshot(get_("/forgot-admin")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Without `me`, the dependency's own scope refuses (outer scopes first).
    let narrow =
        tutorial().layer(Overrides::new().replace::<get_current_user>("ann".to_owned(), ["items"]));
    let response = narrow.oneshot(get_("/users/me/items")).await.unwrap();
    assert_insufficient_scope(&response, "items me");

    // Overriding the outer dependency replaces the whole chain below it.
    let outer = tutorial().layer(
        Overrides::new().replace::<get_current_active_user>("bob".to_owned(), ["items", "me"]),
    );
    let response = outer.oneshot(get_("/users/me/items")).await.unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&body[..], b"items of bob");

    // Another router without the layer runs the real dependency: no token, 401 (FastAPI's
    // "Not authenticated"); with a token the app's secret did not sign, its own 401.
    let response = tutorial().oneshot(get_("/users/me/items")).await.unwrap();
    assert_eq!(assert_unauthorized(&response).scheme(), "Bearer");
    let foreign = TestIssuer::new().token(["items", "me"]);
    let response = tutorial()
        .oneshot(bearer("/users/me/items", &foreign))
        .await
        .unwrap();
    assert_eq!(assert_unauthorized(&response).scope(), Some("items me"));
}

/// The overrides on a real server, called by reqwest.
#[tokio::test]
async fn an_override_on_a_real_server() {
    let app = tutorial()
        .layer(Overrides::new().replace::<get_current_user>("ann".to_owned(), ["me", "items"]));
    let base = serve(app).await;
    let client = reqwest::Client::new();
    let ok = client
        .get(format!("{base}/users/me/items"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "items of active ann");
    let admin = client.get(format!("{base}/admin")).send().await.unwrap();
    assert_insufficient_scope(&(admin.status(), admin.headers()), "admin");
}

#[requires_scopes("items")]
#[utoipa::path(get, path = "/documented")]
async fn documented(caller: Authenticated<Claims, Api>) -> String {
    format!("documented for {}", caller.into_inner().sub)
}

#[utoipa::path(post, path = "/token")]
async fn token() -> &'static str {
    "a token"
}

/// An app as they grow: documented routes, and routes added with axum's own `Router::route`
/// and `nest_service` that the OpenAPI document lacks, some secured and some not.
fn grown(authenticator: Authenticator, audit: &RouteAudit) -> (Router, utoipa::openapi::OpenApi) {
    let (documented_routes, openapi) = OpenApiRouter::<Authenticator>::new()
        .routes(routes!(documented))
        .routes(routes!(token))
        .split_for_parts();
    let router = documented_routes
        .route("/internal/secured", get(items))
        .route("/internal/stats", get(|| async { "3 users" }))
        .route(
            "/internal/echo",
            post(|body: axum::Json<serde_json::Value>| async move { body }),
        )
        .nest_service(
            "/files",
            tower::service_fn(|_: Request<Body>| async {
                Ok::<_, std::convert::Infallible>(axum::response::Response::new(Body::from(
                    "a file",
                )))
            }),
        )
        .with_state(authenticator)
        .layer(audit.clone());
    (router, openapi)
}

/// What the audit should find in `grown`'s app once every route was reached with a token. A
/// nested service has no route pattern axum tells: its request's path stands for it.
const UNSECURED: [&str; 3] = [
    "GET /files/report.pdf (not in the OpenAPI document): answered 200 OK without credentials",
    "GET /internal/stats (not in the OpenAPI document): answered 200 OK without credentials",
    "POST /internal/echo (not in the OpenAPI document): answered 200 OK without credentials",
];

/// The route audit through `oneshot`: it sees the routes the document lacks, and reports
/// those that answer without credentials, whatever credential the tests sent.
#[tokio::test]
async fn the_route_audit_sees_routes_the_document_lacks() {
    let issuer = TestIssuer::new();
    let audit = RouteAudit::new();
    let (app, openapi) = grown(issuer.authenticator().build().await.unwrap(), &audit);
    let token = issuer.token(["items"]);
    for (method, uri, body) in [
        ("GET", "/documented", ""),
        ("POST", "/token", ""),
        ("GET", "/internal/secured", ""),
        ("GET", "/internal/stats", ""),
        ("POST", "/internal/echo", r#"{"a": 1}"#),
        ("GET", "/files/report.pdf", ""),
        ("GET", "/nowhere", ""),
    ] {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        app.clone().oneshot(request).await.unwrap();
    }
    assert_eq!(
        audit.undocumented(&openapi),
        [
            "GET /files/report.pdf",
            "GET /internal/secured",
            "GET /internal/stats",
            "GET /nowhere",
            "POST /internal/echo",
        ]
    );
    let unsecured = audit
        .assert_secure(&app, &openapi, &["POST /token"])
        .await
        .unwrap_err();
    assert_eq!(unsecured.routes, UNSECURED);
    // Declared public, nothing is left; without `POST /token` public, the document's check
    // names it.
    let public = ["POST /token", "GET /internal/stats", "POST /internal/echo"];
    let left = audit
        .assert_secure(&app, &openapi, &public)
        .await
        .unwrap_err();
    assert_eq!(left.routes, UNSECURED[..1]);
    let unsecured = audit.assert_secure(&app, &openapi, &[]).await.unwrap_err();
    assert_eq!(unsecured.routes[0], "POST /token");
}

/// The same audit recording requests a real client sent to a real server.
#[tokio::test]
async fn the_route_audit_on_a_real_server() {
    let issuer = TestIssuer::new();
    let audit = RouteAudit::new();
    let (app, openapi) = grown(issuer.authenticator().build().await.unwrap(), &audit);
    let base = serve(app.clone()).await;
    let client = reqwest::Client::new();
    let token = issuer.token(["items"]);
    for path in [
        "/documented",
        "/internal/secured",
        "/internal/stats",
        "/files/report.pdf",
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let echo = client
        .post(format!("{base}/internal/echo"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "a": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(echo.status(), StatusCode::OK);
    let unsecured = audit
        .assert_secure(&app, &openapi, &["POST /token"])
        .await
        .unwrap_err();
    assert_eq!(unsecured.routes, UNSECURED);
}
