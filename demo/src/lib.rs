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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{OriginalUri, Path, State};
use axum::http::header::{ALLOW, CONTENT_ENCODING, CONTENT_TYPE, HOST, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, head};
use axum::{Json, Router};
use axum_scopes::openapi::SchemeAddon;
use axum_scopes::{
    BearerToken, HttpError, JwtKeys, OAuth2PasswordRequestForm, PasswordVerifier,
    RequestValidationError, Scheme, Security, SecurityScopes, dependency, requires_scopes,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The tutorial's signing secret, used when `SECRET_KEY` is not set.
pub const DEFAULT_SECRET_KEY: &str =
    "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

/// How long an access token is valid: the tutorial's `ACCESS_TOKEN_EXPIRE_MINUTES`.
pub const ACCESS_TOKEN_EXPIRE: Duration = Duration::from_secs(30 * 60);

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

/// The paths the app serves and their one method, for FastAPI's trailing-slash redirects and
/// `Allow` headers.
const ROUTES: &[(&str, &str)] = &[
    ("/token", "POST"),
    ("/users/me/", "GET"),
    ("/users/me/items/", "GET"),
    ("/status/", "GET"),
    ("/openapi.json", "GET"),
    ("/docs", "GET"),
    ("/docs/oauth2-redirect", "GET"),
];

pub mod first_steps;

/// The routes that need no credentials, as `METHOD path`: the login. Every other documented
/// route must be secured (checked at start-up and in the tests).
pub const PUBLIC_ROUTES: &[&str] = &["POST /token"];

/// The app's shared state.
#[derive(Clone)]
pub struct AppState {
    keys: JwtKeys,
    passwords: PasswordVerifier,
    users: Arc<HashMap<&'static str, UserInDb>>,
}

impl AppState {
    /// The tutorial's users, with tokens signed by `secret` (HS256).
    #[must_use]
    pub fn new(secret: &[u8]) -> Self {
        Self {
            keys: JwtKeys::hs256(secret),
            passwords: PasswordVerifier::new(),
            users: Arc::new(fake_users_db()),
        }
    }

    /// The state of [`AppState::new`] with the secret of the `SECRET_KEY` environment variable,
    /// or the tutorial's secret (with a warning) when it is not set.
    #[must_use]
    pub fn from_env() -> Self {
        match std::env::var("SECRET_KEY") {
            Ok(secret) if !secret.is_empty() => Self::new(secret.as_bytes()),
            _ => {
                tracing::warn!(
                    "SECRET_KEY is not set: signing tokens with the tutorial's published secret; set SECRET_KEY for anything but a demo"
                );
                Self::new(DEFAULT_SECRET_KEY.as_bytes())
            }
        }
    }

    /// Replaces the password verifier, for instance to bound it differently.
    #[must_use]
    pub fn with_password_verifier(mut self, passwords: PasswordVerifier) -> Self {
        self.passwords = passwords;
        self
    }

    /// The signing keys, for tests and tools that mint tokens.
    #[must_use]
    pub fn keys(&self) -> &JwtKeys {
        &self.keys
    }
}

/// A user as the API shows it: the tutorial's `User`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
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

#[derive(Debug, Clone)]
struct UserInDb {
    /// Shared: every request that authenticates as this user clones a pointer, not the record.
    user: Arc<User>,
    hashed_password: &'static str,
}

fn fake_users_db() -> HashMap<&'static str, UserInDb> {
    let user =
        |username: &str, full_name: &str, email: &str, hash: &'static str, disabled| UserInDb {
            user: Arc::new(User {
                username: username.to_owned(),
                email: Some(email.to_owned()),
                full_name: Some(full_name.to_owned()),
                disabled: Some(disabled),
            }),
            hashed_password: hash,
        };
    HashMap::from([
        (
            "johndoe",
            user(
                "johndoe",
                "John Doe",
                "johndoe@example.com",
                "$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW",
                false,
            ),
        ),
        (
            "alice",
            user(
                "alice",
                "Alice Chains",
                "alicechains@example.com",
                "$2b$12$gSvqqUPvlXP2tfVFaWK1Be7DlH.PKZbv5H8KnzzVgXXbVxpva.pFm",
                true,
            ),
        ),
    ])
}

/// The claims of the app's tokens: the tutorial's `sub`, `scopes` and `exp`.
///
/// Read without `#[serde(flatten)]`, which would buffer the whole payload once more.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The username.
    pub sub: Option<String>,
    /// The tutorial's granted scopes, a list.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// RFC 9068's granted scopes, one space-delimited string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl Claims {
    /// Every granted scope: `scopes`, then the words of `scope`.
    pub fn granted(&self) -> impl Iterator<Item = &str> + Clone {
        self.scopes.iter().map(String::as_str).chain(
            self.scope
                .iter()
                .flat_map(|scope| scope.split(' ').filter(|word| !word.is_empty())),
        )
    }
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

/// The body of an error answer: `{"detail": "..."}`, as `HTTPException` sends it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What went wrong.
    pub detail: String,
}

/// The failure answers of [`get_current_user()`], for the OpenAPI document.
#[derive(IntoResponses)]
pub enum CurrentUserErrors {
    /// No bearer token, an invalid one, an unknown user, or a token lacking a required scope.
    #[response(
        status = 401,
        description = "Not authenticated, could not validate credentials, or not enough permissions",
        headers(("WWW-Authenticate" = String, description = "`Bearer`, with `scope=\"..\"` naming the scopes the operation requires"))
    )]
    Unauthorized(#[to_schema] ErrorDetail),
}

/// The failure answers [`get_current_active_user()`] adds, for the OpenAPI document.
#[derive(IntoResponses)]
pub enum ActiveUserErrors {
    /// The account is disabled.
    #[response(status = 400, description = "Inactive user")]
    Inactive(#[to_schema] ErrorDetail),
}

/// The tutorial's `get_current_user`: verifies the token, finds the user and checks that the
/// token grants every scope the chain above requires.
///
/// # Errors
///
/// 401 `Could not validate credentials` for a bad token or an unknown user, 401 `Not enough
/// permissions` for a missing scope; both challenge with `Bearer scope="<required scopes>"`.
#[dependency(responses = CurrentUserErrors)]
pub async fn get_current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Oauth2>,
    State(app): State<AppState>,
) -> Result<Arc<User>, HttpError> {
    let unauthorized = |detail: &'static str| {
        HttpError::new(StatusCode::UNAUTHORIZED, detail)
            .with_header(WWW_AUTHENTICATE, security_scopes.bearer_challenge())
    };
    let credentials_exception = || unauthorized("Could not validate credentials");
    let claims: Claims = app.keys.verify(token.as_bytes()).map_err(|error| {
        tracing::debug!(%error, "token rejected");
        credentials_exception()
    })?;
    let username = claims.sub.as_deref().ok_or_else(credentials_exception)?;
    let user = app.users.get(username).ok_or_else(credentials_exception)?;
    if let Some(missing) = security_scopes.first_missing(claims.granted()) {
        tracing::debug!(%missing, "token lacks a required scope");
        return Err(unauthorized("Not enough permissions"));
    }
    Ok(Arc::clone(&user.user))
}

/// The tutorial's `get_current_active_user`: requires `me` and an enabled account.
///
/// # Errors
///
/// Those of [`get_current_user()`], then 400 `Inactive user`.
#[dependency(responses = ActiveUserErrors)]
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
#[utoipa::path(
    post,
    path = "/token",
    operation_id = "login_for_access_token_token_post",
    summary = "Login For Access Token",
    request_body(content = OAuth2PasswordRequestForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Successful Response", body = Token),
        (status = 400, description = "Incorrect username or password", body = inline(ErrorDetail)),
        (status = 422, description = "Validation Error", body = RequestValidationError),
    )
)]
pub async fn login_for_access_token(
    State(app): State<AppState>,
    form: OAuth2PasswordRequestForm,
) -> Result<Json<Token>, Response> {
    let user = app.users.get(form.username.as_str());
    let verified = app
        .passwords
        .verify(&form.password, user.map(|user| user.hashed_password))
        .await
        .map_err(IntoResponse::into_response)?;
    let Some(user) = user.filter(|_| verified) else {
        return Err(
            HttpError::new(StatusCode::BAD_REQUEST, "Incorrect username or password")
                .into_response(),
        );
    };
    // Unlike the tutorial's code, and as its "Danger" note advises: grant only scopes that exist.
    let mut scopes: Vec<&str> = Vec::new();
    for scope in &form.scopes {
        if Oauth2::INFO.declares(scope) && !scopes.contains(&scope.as_str()) {
            scopes.push(scope);
        }
    }
    let claims = serde_json::json!({ "sub": user.user.username, "scopes": scopes });
    let access_token = app
        .keys
        .issue_with_expiry(&claims, ACCESS_TOKEN_EXPIRE)
        .map_err(|error| {
            tracing::error!(%error, "signing a token failed");
            HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                .into_response()
        })?;
    Ok(Json(Token {
        access_token,
        token_type: "bearer",
    }))
}

/// `GET /users/me/`: the current user; requires `me`.
#[requires_scopes]
#[utoipa::path(
    get,
    path = "/users/me/",
    operation_id = "read_users_me_users_me__get",
    summary = "Read Users Me",
    responses((status = 200, description = "Successful Response", body = User))
)]
pub async fn read_users_me(current_user: Security<get_current_active_user>) -> Json<Arc<User>> {
    Json(current_user.into_inner())
}

/// `GET /users/me/items/`: the current user's items; requires `items` and `me`.
#[requires_scopes("items")]
#[utoipa::path(
    get,
    path = "/users/me/items/",
    operation_id = "read_own_items_users_me_items__get",
    summary = "Read Own Items",
    responses((status = 200, description = "Successful Response", body = [Item]))
)]
pub async fn read_own_items(current_user: Security<get_current_active_user>) -> Json<Vec<Item>> {
    Json(vec![Item {
        item_id: "Foo",
        owner: current_user.username.clone(),
    }])
}

/// `GET /status/`: any valid token, no scope.
#[requires_scopes]
#[utoipa::path(
    get,
    path = "/status/",
    operation_id = "read_system_status_status__get",
    summary = "Read System Status",
    responses((status = 200, description = "Successful Response", body = serde_json::Value))
)]
pub async fn read_system_status(
    _current_user: Security<get_current_user>,
) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The document's header; everything else comes from the operations and the scheme.
#[derive(OpenApi)]
#[openapi(
    info(title = "FastAPI", version = "0.1.0", description = "FastAPI's OAuth2 scopes tutorial, served by axum-scopes."),
    modifiers(&OAUTH2_SCHEME)
)]
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
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// FastAPI's Swagger UI page (`get_swagger_ui_html`): served at `/docs` itself, not `/docs/`, so
/// that the scheme's relative `tokenUrl` (`token`) resolves to `/token` as it does under FastAPI.
const SWAGGER_UI_HTML: &str = r##"<!DOCTYPE html>
<html>
<head>
<link type="text/css" rel="stylesheet" href="/docs/swagger-ui.css">
<title>FastAPI - Swagger UI</title>
</head>
<body>
<div id="swagger-ui">
</div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({
    url: '/openapi.json',
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": true,
    "showExtensions": true,
    "showCommonExtensions": true,
    oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect',
    presets: [
        SwaggerUIBundle.presets.apis,
        SwaggerUIBundle.SwaggerUIStandalonePreset
    ],
})
</script>
</body>
</html>
"##;

/// `GET /docs`: Swagger UI for `/openapi.json`.
async fn swagger_ui() -> Html<&'static str> {
    Html(SWAGGER_UI_HTML)
}

/// `GET /docs/oauth2-redirect`: Swagger UI's page that completes browser-based OAuth2 flows.
async fn oauth2_redirect() -> Response {
    swagger_ui_file("oauth2-redirect.html")
}

/// `GET /docs/{file}`: Swagger UI's scripts and styles, vendored by utoipa-swagger-ui.
async fn swagger_ui_asset(Path(file): Path<String>) -> Response {
    swagger_ui_file(&file)
}

fn swagger_ui_file(file: &str) -> Response {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"));
    match utoipa_swagger_ui::serve(file, config) {
        Ok(Some(file)) => {
            let mut response =
                ([(CONTENT_TYPE, file.content_type)], file.bytes.into_owned()).into_response();
            if file.gzpipped {
                response
                    .headers_mut()
                    .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        }
        Ok(None) | Err(_) => HttpError::new(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

/// The tutorial app's router, with FastAPI's `/openapi.json`, `/docs` and
/// `/docs/oauth2-redirect`.
pub fn app(state: AppState) -> Router {
    let (router, openapi) = api().split_for_parts();
    let openapi = Arc::new(openapi);
    router
        // FastAPI routes do not answer HEAD for GET; axum's `get` would.
        .route("/users/me/", head(method_not_allowed))
        .route("/users/me/items/", head(method_not_allowed))
        .route("/status/", head(method_not_allowed))
        .route(
            "/openapi.json",
            get(move || async move { Json(openapi.as_ref().clone()) }),
        )
        .route("/docs", get(swagger_ui))
        .route("/docs/oauth2-redirect", get(oauth2_redirect))
        .route("/docs/{file}", get(swagger_ui_asset))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Starlette's answer to an unknown path: a 307 to the same path with the trailing slash toggled
/// when that path exists, else 404.
async fn not_found(OriginalUri(uri): OriginalUri, headers: HeaderMap) -> Response {
    if let Some(location) = slash_redirect(&uri, &headers) {
        return (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]).into_response();
    }
    HttpError::new(StatusCode::NOT_FOUND, "Not Found").into_response()
}

fn slash_redirect(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    let path = uri.path();
    if path == "/" {
        return None;
    }
    let toggled = match path.strip_suffix('/') {
        Some(stripped) => stripped.to_owned(),
        None => format!("{path}/"),
    };
    if !ROUTES.iter().any(|(route, _)| *route == toggled) {
        return None;
    }
    let host = headers.get(HOST)?.to_str().ok()?;
    let query = uri
        .query()
        .map_or_else(String::new, |query| format!("?{query}"));
    Some(format!("http://{host}{toggled}{query}"))
}

/// Starlette's 405: `Allow` names the route's one method.
async fn method_not_allowed(OriginalUri(uri): OriginalUri) -> HttpError {
    let error = HttpError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    match ROUTES.iter().find(|(route, _)| *route == uri.path()) {
        Some((_, method)) => error.with_header(ALLOW, HeaderValue::from_static(method)),
        None => error,
    }
}
