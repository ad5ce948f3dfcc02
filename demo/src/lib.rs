//! FastAPI's "OAuth2 scopes" tutorial, served by axum-scopes.
//!
//! The routes, users, tokens, status codes, bodies and `WWW-Authenticate` headers are those of
//! the tutorial app, so a client written for it cannot tell the two apart. Two things are done
//! as the tutorial's own text advises instead of as its code does: `/token` grants only requested
//! scopes that the catalogue declares, and an unknown username costs the same time as a wrong
//! password. Tokens must carry `exp` (the tutorial's always do).
//!
//! Like FastAPI, the app serves its OpenAPI document at `/openapi.json` and Swagger UI at `/docs`.
//! The handlers are ordinary `#[utoipa::path]` operations; the security requirements, the scheme
//! and the dependencies' failure answers come from the same declarations that enforce them.

#![expect(clippy::must_use_candidate, reason = "each value is used at once")]

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{Json, Router, extract::State, http::StatusCode, response::Response};
use axum_scopes::openapi::{SchemeAddon, docs_router};
use axum_scopes::{BearerToken, HttpError, JwtKeys, OAuth2PasswordRequestForm, PasswordVerifier};
use axum_scopes::{Scheme, Security, SecurityScopes, dependency, jwt, password, requires_scopes};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub mod first_steps;
mod starlette;

/// The tutorial's signing secret, used when `SECRET_KEY` is not set.
pub const DEFAULT_SECRET_KEY: &str =
    "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

axum_scopes::oauth2_password_bearer! {
    /// The tutorial's `oauth2_scheme`.
    pub Oauth2 {
        token_url: "token",
        scopes: {
            "me" => "Read information about the current user.",
            "items" => "Read items.",
        },
    }
}

/// The routes that need no credentials, as `METHOD path`: the login. Every other documented
/// route must be secured (checked at start-up and in the tests).
pub const PUBLIC_ROUTES: &[&str] = &["POST /token"];

/// The tutorial's `ACCESS_TOKEN_EXPIRE_MINUTES`, as a duration.
const ACCESS_TOKEN_EXPIRE: Duration = Duration::from_secs(30 * 60);

/// The tutorial's `fake_users_db`.
const FAKE_USERS_DB: &str = r#"{
    "johndoe": {"username": "johndoe", "full_name": "John Doe", "email": "johndoe@example.com",
        "hashed_password": "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW", "disabled": false},
    "alice": {"username": "alice", "full_name": "Alice Chains", "email": "alicechains@example.com",
        "hashed_password": "$2b$12$gSvqqUPvlXP2tfVFaWK1Be7DlH.PKZbv5H8KnzzVgXXbVxpva.pFm", "disabled": true}
}"#;

/// The app's shared state.
#[derive(Clone)]
pub struct AppState {
    /// The signing keys (public for tests and tools that mint tokens).
    pub keys: JwtKeys,
    passwords: PasswordVerifier,
    users: Arc<HashMap<String, UserInDb>>,
}

impl AppState {
    /// The tutorial's users, with tokens signed by `secret` (HS256).
    ///
    /// # Panics
    ///
    /// If `secret` is empty.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            keys: JwtKeys::hs256(secret),
            passwords: PasswordVerifier::new(),
            users: Arc::new(serde_json::from_str(FAKE_USERS_DB).expect("the table is valid JSON")),
        }
    }
}

/// A user as the API shows it: the tutorial's `User`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(title = "User")]
pub struct User {
    /// The login name.
    pub username: String,
    /// The e-mail address.
    pub email: Option<String>,
    /// The full name.
    pub full_name: Option<String>,
    /// Whether the account is disabled.
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
struct UserInDb {
    /// Shared: every request that authenticates as this user clones a pointer, not the record.
    #[serde(flatten)]
    user: Arc<User>,
    hashed_password: String,
}

/// The answer of `/token`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(title = "Token")]
pub struct Token {
    /// The signed JWT.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
}

/// One of the user's items.
#[derive(Debug, Serialize, ToSchema)]
#[schema(title = "Item")]
pub struct Item {
    /// The item's id.
    pub item_id: &'static str,
    /// The owner's username.
    pub owner: String,
}

/// The tutorial's `get_current_user`: verifies the token, finds the user and checks that the
/// token grants every scope the chain above requires.
///
/// # Errors
///
/// 401 `Could not validate credentials` for a bad token or an unknown user, 401 `Not enough
/// permissions` for a missing scope; both challenge with `Bearer scope="<required scopes>"`.
#[dependency(responses(401 = "Not authenticated, could not validate credentials, or not enough permissions"))]
pub async fn get_current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Oauth2>,
    State(app): State<AppState>,
) -> Result<Arc<User>, HttpError> {
    let credentials_exception =
        || HttpError::unauthorized("Could not validate credentials", &security_scopes);
    let token = app.keys.verify_scoped::<jwt::Subject>(token.as_bytes());
    let token = token.map_err(|_| credentials_exception())?;
    let user = token.claims.sub.and_then(|sub| app.users.get(&sub));
    let user = user.ok_or_else(credentials_exception)?;
    if !security_scopes.is_satisfied_by(token.scopes.iter()) {
        return Err(HttpError::unauthorized(
            "Not enough permissions",
            &security_scopes,
        ));
    }
    Ok(Arc::clone(&user.user))
}

/// The tutorial's `get_current_active_user`: requires `me` and an enabled account.
///
/// # Errors
///
/// Those of [`get_current_user()`], then 400 `Inactive user`.
#[dependency(responses(400 = "Inactive user"))]
#[requires_scopes("me")]
pub async fn get_current_active_user(
    current_user: Security<get_current_user>,
) -> Result<Arc<User>, HttpError> {
    if current_user.disabled == Some(true) {
        return Err(HttpError::new(StatusCode::BAD_REQUEST, "Inactive user"));
    }
    Ok(current_user.into_inner())
}

/// `POST /token`: the OAuth2 password flow.
///
/// # Errors
///
/// 400 `Incorrect username or password`; 503 when too many logins are being verified.
#[utoipa::path(post, path = "/token", operation_id = "login_for_access_token_token_post", summary = "Login For Access Token",
    request_body(content = OAuth2PasswordRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Successful Response", body = Token),
        (status = 400, description = "Incorrect username or password", body = inline(HttpError)),
        (status = 422, description = "Validation Error", body = password::RequestValidationError)))]
pub async fn login_for_access_token(
    State(app): State<AppState>,
    form: OAuth2PasswordRequestForm,
) -> Result<Json<Value>, Response> {
    let user = app.users.get(&form.username);
    let hash = user.map(|user| user.hashed_password.as_str());
    let verified = app.passwords.verify(&form.password, hash).await?;
    let incorrect = HttpError::new(StatusCode::BAD_REQUEST, "Incorrect username or password");
    let user = user.filter(|_| verified).ok_or(incorrect)?;
    // Unlike the tutorial's code, and as its "Danger" note advises: grant only scopes that exist.
    let scopes = Oauth2::INFO.grantable(form.scopes.iter().map(String::as_str));
    let claims = json!({ "sub": user.user.username, "scopes": scopes });
    let access_token = app.keys.issue_with_expiry(&claims, ACCESS_TOKEN_EXPIRE);
    let access_token = access_token.map_err(HttpError::from)?;
    let token = json!({ "access_token": access_token, "token_type": "bearer" });
    Ok(Json(token))
}

/// `GET /users/me/`: the current user; requires `me`.
#[requires_scopes]
#[utoipa::path(get, path = "/users/me/", responses((status = 200, description = "Successful Response", body = User)))]
pub async fn read_users_me(current_user: Security<get_current_active_user>) -> Json<Arc<User>> {
    Json(current_user.into_inner())
}

/// `GET /users/me/items/`: the current user's items; requires `items` and `me`.
#[requires_scopes("items")]
#[utoipa::path(get, path = "/users/me/items/", responses((status = 200, description = "Successful Response", body = [Item])))]
pub async fn read_own_items(current_user: Security<get_current_active_user>) -> Json<Value> {
    Json(json!([{ "item_id": "Foo", "owner": current_user.username }]))
}

/// `GET /status/`: any valid token, no scope.
#[requires_scopes]
#[utoipa::path(get, path = "/status/", responses((status = 200, description = "Successful Response", body = Value)))]
pub async fn read_system_status(_user: Security<get_current_user>) -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The document's header; everything else comes from the operations and the scheme.
#[derive(OpenApi)]
#[openapi(info(title = "FastAPI", version = "0.1.0", description = "FastAPI's OAuth2 scopes tutorial, served by axum-scopes."),
    modifiers(&OAUTH2_SCHEME))]
struct ApiDoc;

/// Adds the `OAuth2PasswordBearer` scheme, with its scope catalogue, to the document.
const OAUTH2_SCHEME: SchemeAddon<Oauth2> = SchemeAddon::new();

/// The tutorial's routes with their OpenAPI operations.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(login_for_access_token))
        .routes(routes!(read_users_me))
        .routes(routes!(read_own_items))
        .routes(routes!(read_system_status))
}

/// The app's OpenAPI document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The tutorial app's router, with FastAPI's `/openapi.json`, `/docs` and
/// `/docs/oauth2-redirect`, and Starlette's redirects and 405s.
pub fn app(state: AppState) -> Router {
    let (router, openapi) = api().split_for_parts();
    let table = starlette::routes(&openapi);
    starlette::emulate(router.merge(docs_router(openapi)).with_state(state), table)
}
