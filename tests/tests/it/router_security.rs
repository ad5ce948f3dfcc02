//! Requirements on a router (`router_security!` + `SecureRouter::secure`): enforced for every
//! route of the router, also a handler without security of its own; accumulated outer first,
//! two levels deep, into the innermost dependency's `SecurityScopes`; shown in every
//! operation's OpenAPI `security` and in the route table. Served through the router
//! (`oneshot`), and once over HTTP on 127.0.0.1.

use axum::Router;
use axum::extract::State;
use axum::routing;
use axum_scopes::jwt::GrantedScopes;
use axum_scopes::openapi::{Alternative, route_table, routes};
use axum_scopes::routing::{SecureRouter, router_security};
use axum_scopes::{
    BearerToken, HttpError, JwtKeys, Security, SecurityScopes, dependency, requires_scopes,
};
use axum_scopes_tests::openapi::validate_openapi;
use axum_scopes_tests::request::{answer, call, get};
use axum_scopes_tests::server::serve;
use axum_scopes_tests::token::Tokens;
use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::oauth2_password_bearer! {
    /// The scheme of this app.
    pub(crate) Api {
        token_url: "token",
        scopes: {
            "admin" => "Administer.",
            "items" => "Read items.",
            "me" => "Read yourself.",
        }
    }
}

const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for tests";

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(flatten)]
    scopes: GrantedScopes,
}

/// Verifies the token; answers what the whole chain required, in order.
#[dependency(responses(401 = "Not authenticated, could not validate credentials, or not enough permissions"))]
async fn current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Api>,
    State(keys): State<JwtKeys>,
) -> Result<String, HttpError> {
    let claims: Claims = keys
        .verify(token.as_bytes())
        .map_err(|_| HttpError::unauthorized("Could not validate credentials", &security_scopes))?;
    if !security_scopes.is_satisfied_by(claims.scopes.iter()) {
        return Err(HttpError::unauthorized(
            "Not enough permissions",
            &security_scopes,
        ));
    }
    Ok(format!("{}: {}", claims.sub, security_scopes.scope_str()))
}

/// No security of its own: only the routers' requirements guard it.
#[utoipa::path(get, path = "/plain", responses((status = 200, description = "Plain text.")))]
async fn plain() -> &'static str {
    "plain"
}

/// Outside the secured routers.
#[utoipa::path(get, path = "/open", responses((status = 200, description = "Plain text.")))]
async fn open() -> &'static str {
    "open"
}

/// Its own scope comes after the routers'.
#[requires_scopes("me")]
#[utoipa::path(get, path = "/me", responses((status = 200, description = "Who you are and what the chain required.")))]
async fn me(user: Security<current_user>) -> String {
    user.into_inner()
}

/// Two levels: `/admin` requires `admin`, `/admin/v1` adds `items`.
fn app() -> (Router, utoipa::openapi::OpenApi) {
    let keys = JwtKeys::hs256(SECRET);
    let inner: OpenApiRouter<JwtKeys> = OpenApiRouter::new()
        .routes(routes!(plain))
        .routes(routes!(me))
        .secure(router_security!(current_user, "items"), keys.clone());
    let outer: OpenApiRouter<JwtKeys> = OpenApiRouter::new()
        .nest("/v1", inner)
        .secure(router_security!(current_user, "admin"), keys.clone());
    let (router, document) = OpenApiRouter::new()
        .nest("/admin", outer)
        .routes(routes!(open))
        .split_for_parts();
    (router.with_state(keys), document)
}

/// ann's tokens, signed with [`SECRET`].
const ANN: Tokens = Tokens::new(SECRET, "ann");

#[tokio::test]
async fn the_innermost_dependency_sees_router_scopes_outer_first_then_the_handlers() {
    let (status, body, _) = call(
        &app().0,
        "/admin/v1/me",
        Some(&ANN.scopes(&["me", "items", "admin"])),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "ann: admin items me")
    );
    // The handler's own scope is missing: the handler's chain names all three.
    let (status, body, challenge) = call(
        &app().0,
        "/admin/v1/me",
        Some(&ANN.scopes(&["items", "admin"])),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, r#"{"detail":"Not enough permissions"}"#);
    assert_eq!(challenge, r#"Bearer scope="admin items me""#);
}

#[tokio::test]
async fn a_handler_without_security_of_its_own_is_guarded_by_each_router() {
    let (status, body, _) = call(
        &app().0,
        "/admin/v1/plain",
        Some(&ANN.scopes(&["items", "admin"])),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "plain"));
    // The outer router answers first, with its own scope.
    let (status, _, challenge) =
        call(&app().0, "/admin/v1/plain", Some(&ANN.scopes(&["items"]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer scope="admin""#);
    // Then the inner one, with both, outer first.
    let (status, _, challenge) =
        call(&app().0, "/admin/v1/plain", Some(&ANN.scopes(&["admin"]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer scope="admin items""#);
    // Without a token at all.
    let answer = answer(app().0, get("/admin/v1/plain", None)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.text(), r#"{"detail":"Not authenticated"}"#);
    // Outside the secured routers nothing is required; an unknown path under them stays 404.
    let (status, body, _) = call(&app().0, "/open", Some(&ANN.scopes(&[]))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "open"));
    let (status, _, _) = call(&app().0, "/admin/v1/nothing", Some(&ANN.scopes(&[]))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn alternative(scopes: &[&str]) -> Vec<Alternative> {
    vec![vec![(
        "OAuth2PasswordBearer".to_owned(),
        scopes.iter().map(|scope| (*scope).to_owned()).collect(),
    )]]
}

#[test]
fn every_operation_documents_the_router_requirements_in_order() {
    let (_, document) = app();
    let found: Vec<_> = routes(&document)
        .into_iter()
        .map(|route| (route.path, route.security))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "/admin/v1/me".to_owned(),
                Some(alternative(&["admin", "items", "me"]))
            ),
            (
                "/admin/v1/plain".to_owned(),
                Some(alternative(&["admin", "items"]))
            ),
            ("/open".to_owned(), None),
        ]
    );
    let table: Vec<String> = route_table(&document)
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        table,
        [
            "GET /admin/v1/me OAuth2PasswordBearer: admin items me",
            "GET /admin/v1/plain OAuth2PasswordBearer: admin items",
            "GET /open public",
        ]
    );
    // The dependency's failure answer is documented on the route without security of its own.
    let value = serde_json::to_value(&document).unwrap();
    assert!(
        value["paths"]["/admin/v1/plain"]["get"]["responses"]
            .get("401")
            .is_some(),
        "{value:#}"
    );
    validate_openapi("router_security", &value);
}

#[tokio::test]
async fn a_plain_axum_router_enforces_the_requirement_too() {
    let keys = JwtKeys::hs256(SECRET);
    let app: Router = Router::new()
        .route("/plain", routing::get(plain))
        .secure(router_security!(current_user, "items"), keys.clone())
        .with_state(keys);
    let base = serve(app).await;
    let client = reqwest::Client::new();
    let status = |scopes: &'static [&'static str]| {
        let client = client.clone();
        let url = format!("{base}/plain");
        async move {
            let response = client
                .get(url)
                .bearer_auth(ANN.scopes(scopes))
                .send()
                .await
                .unwrap();
            let challenge = response
                .headers()
                .get("www-authenticate")
                .map(|value| value.to_str().unwrap().to_owned());
            (response.status(), challenge)
        }
    };
    assert_eq!(status(&["items"]).await, (StatusCode::OK, None));
    assert_eq!(
        status(&["me"]).await,
        (
            StatusCode::UNAUTHORIZED,
            Some(r#"Bearer scope="items""#.to_owned())
        )
    );
}

#[test]
fn the_document_is_json() {
    let (_, document) = app();
    let value: Value = serde_json::to_value(&document).unwrap();
    assert_eq!(value["openapi"], "3.1.0");
}
