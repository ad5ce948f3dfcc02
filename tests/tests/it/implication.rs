//! Scope implication declared in the catalogue: `admin` implies everything, `items:write`
//! implies `items:read`. A test app with its own `/token` (the password flow through the
//! catalogue), its own `get_current_user`, and an `Authenticated` route.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Json};
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::scheme::Scheme;
use axum_scopes::{
    Authenticated, Authenticator, BearerToken, HttpError, Issuer, JwtKeys, Security,
    SecurityScopes, dependency, requires_scopes,
};
use axum_scopes_tests::request::{answer, get as get_request};
use http::{Request, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

axum_scopes::oauth2_password_bearer! {
    /// A catalogue with a hierarchy.
    pub(crate) Api {
        token_url: "token",
        scopes: {
            "admin" => "Everything." implies ["items:write", "me"],
            "items:write" => "Write items." implies ["items:read"],
            "items:read" => "Read items.",
            "me" => "Read yourself.",
        }
    }
}

const SECRET: &[u8] = b"the implication tests' secret, thirty-two bytes at least";

#[derive(Clone)]
struct App {
    keys: JwtKeys,
    auth: Authenticator,
}

impl axum::extract::FromRef<App> for JwtKeys {
    fn from_ref(app: &App) -> Self {
        app.keys.clone()
    }
}

impl axum::extract::FromRef<App> for Authenticator {
    fn from_ref(app: &App) -> Self {
        app.auth.clone()
    }
}

#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

/// FastAPI's `get_current_user`, checking the scopes with `SecurityScopes`.
#[dependency]
async fn current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Api>,
    State(keys): State<JwtKeys>,
) -> Result<String, HttpError> {
    let token = keys
        .verify_scoped::<Claims>(token.as_bytes())
        .map_err(|_| HttpError::unauthorized("Could not validate credentials", &security_scopes))?;
    if !security_scopes.is_satisfied_by(token.scopes.iter()) {
        return Err(HttpError::unauthorized(
            "Not enough permissions",
            &security_scopes,
        ));
    }
    Ok(token.claims.sub)
}

#[requires_scopes("items:read")]
#[utoipa::path(get, path = "/items", responses((status = 200, description = "The items.")))]
async fn read_items(user: Security<current_user>) -> String {
    format!("items of {}", user.into_inner())
}

#[requires_scopes("items:read")]
async fn read_items_authenticated(claims: Authenticated<Claims, Api>) -> String {
    format!("items of {}", claims.into_inner().sub)
}

#[derive(Deserialize)]
struct Login {
    username: String,
    scope: String,
}

/// The password flow's token endpoint, granting what the catalogue declares.
async fn token(State(app): State<App>, Form(login): Form<Login>) -> Json<Value> {
    let scopes = Api::INFO.grantable(login.scope.split(' '));
    let scopes: Vec<&str> = scopes.iter().map(|scope| scope.as_str()).collect();
    let token = app
        .keys
        .issue_with_expiry(
            &json!({ "sub": login.username, "scopes": scopes }),
            Duration::from_secs(600),
        )
        .unwrap();
    Json(json!({ "access_token": token, "token_type": "bearer" }))
}

async fn app() -> Router {
    let auth = Authenticator::builder()
        .issuer(Issuer::any().key(Key::secret(SECRET, &[Algorithm::HS256]).unwrap()))
        .build()
        .await
        .unwrap();
    Router::new()
        .route("/token", post(token))
        .route("/items/", get(read_items))
        .route("/authenticated/items/", get(read_items_authenticated))
        .with_state(App {
            keys: JwtKeys::hs256(SECRET),
            auth,
        })
}

async fn login(app: &Router, scope: &str) -> String {
    let request = Request::post("/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(format!(
            "username=alice&password=x&scope={}",
            scope.replace(' ', "+")
        )))
        .unwrap();
    let answer = answer(app.clone(), request).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.json()["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_scope_grants_what_it_implies_transitively_on_both_paths() {
    let app = app().await;
    for path in ["/items/", "/authenticated/items/"] {
        for scope in ["items:read", "items:write", "admin"] {
            let token = login(&app, scope).await;
            let answer = answer(
                app.clone(),
                get_request(path, Some(&format!("Bearer {token}"))),
            )
            .await;
            assert_eq!(answer.status, StatusCode::OK, "{path} with {scope}");
            assert_eq!(answer.text(), "items of alice");
        }
    }
}

#[tokio::test]
async fn implication_goes_one_way_and_the_challenge_names_the_requirement() {
    let app = app().await;
    // `me` implies nothing; `items:read` does not imply `items:write`.
    let token = login(&app, "me").await;
    let own = answer(
        app.clone(),
        get_request("/items/", Some(&format!("Bearer {token}"))),
    )
    .await;
    assert_eq!(own.status, StatusCode::UNAUTHORIZED);
    assert_eq!(own.json(), json!({ "detail": "Not enough permissions" }));
    assert_eq!(
        own.header("www-authenticate").as_deref(),
        Some("Bearer scope=\"items:read\"")
    );
    let guarded = answer(
        app.clone(),
        get_request("/authenticated/items/", Some(&format!("Bearer {token}"))),
    )
    .await;
    assert_eq!(guarded.status, StatusCode::FORBIDDEN);
    assert_eq!(
        guarded.header("www-authenticate").as_deref(),
        Some("Bearer error=\"insufficient_scope\", scope=\"items:read\"")
    );
}

#[test]
fn the_catalogue_holds_the_closure_computed_at_compile_time() {
    let info = Api::INFO;
    let names =
        |scope: &str| -> Vec<&str> { info.implied_by(scope).iter().map(|s| s.as_str()).collect() };
    assert_eq!(names("admin"), ["items:write", "items:read", "me"]);
    assert_eq!(names("items:write"), ["items:read"]);
    assert!(names("items:read").is_empty());
    assert!(names("me").is_empty());
    // The token endpoint grants the scopes asked for, not their expansion.
    let granted: Vec<&str> = info
        .grantable(["admin", "unknown"])
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(granted, ["admin"]);
}

#[test]
fn openapi_describes_what_each_scope_implies() {
    let scheme = serde_json::to_value(axum_scopes::openapi::security_scheme(&Api::INFO)).unwrap();
    let scopes = &scheme["flows"]["password"]["scopes"];
    assert_eq!(
        scopes["admin"],
        "Everything. Implies `items:write`, `items:read`, `me`."
    );
    assert_eq!(scopes["items:write"], "Write items. Implies `items:read`.");
    assert_eq!(scopes["items:read"], "Read items.");
}

#[test]
fn the_operation_requires_the_scope_not_its_expansion() {
    let (_, document): (Router<App>, _) = utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(read_items))
        .split_for_parts();
    let document = serde_json::to_value(&document).unwrap();
    assert_eq!(
        document["paths"]["/items"]["get"]["security"],
        serde_json::json!([{ "OAuth2PasswordBearer": ["items:read"] }])
    );
}
