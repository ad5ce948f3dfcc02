//! Two credentials that are not OAuth2 flows: API keys for scripts (`X-API-Key`, checked in
//! constant time against the keys the server holds), and a browser session whose access token
//! lives in an `HttpOnly` cookie, with the CSRF rule that comes with cookies: a state-changing
//! request (`POST`) authenticated by the cookie must come from an allowed `Origin`.
//!
//! ```text
//! cargo run -p axum-scopes --example api_keys_and_cookies
//! curl -s http://127.0.0.1:8083/reports -H "X-API-Key: reports-key-0123456789abcdef"
//! curl -si -X POST http://127.0.0.1:8083/login            # Set-Cookie: access_token=…
//! curl -s http://127.0.0.1:8083/items -b "access_token=<token>"
//! curl -si -X POST http://127.0.0.1:8083/items -b "access_token=<token>"   # 403: no Origin
//! curl -s -X POST http://127.0.0.1:8083/items -b "access_token=<token>" \
//!     -H "Origin: http://127.0.0.1:8083"
//! ```
//!
//! `--openapi` prints the OpenAPI document and exits. The key and the signing secret here are
//! examples; read yours from the environment or a secret store.

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use axum_scopes::credential::{ApiKey, ApiKeys, AuthConfig, CsrfPolicy};
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::openapi::SchemeAddon;
use axum_scopes::{
    Authenticated, Authenticator, HttpError, Issuer, JwtKeys, Security, SecurityScopes, dependency,
    requires_scopes,
};
use serde::Deserialize;
use serde_json::json;
use utoipa::openapi::{Info, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::security_scheme! {
    /// Keys for scripts; each key is allowed the reports.
    pub Keys {
        api_key: { header: "X-API-Key" },
        description: "Ask the platform team for a key.",
        scopes: { "reports" => "Read reports." },
    }
}

axum_scopes::security_scheme! {
    /// The browser session: the access token in the `access_token` cookie.
    pub Session { token_cookie: { name: "access_token" }, scopes: { "items" => "Read and write items." } }
}

const ISSUER: &str = "http://127.0.0.1:8083";
const SECRET: &[u8] = b"an example secret of api_keys_and_cookies, at least 32 bytes";
const API_KEY: &str = "reports-key-0123456789abcdef";

/// The state: the session tokens' verifier, the API keys, and the CSRF rule.
#[derive(Clone, FromRef)]
pub(crate) struct App {
    authenticator: Authenticator,
    keys: ApiKeys,
    config: AuthConfig,
}

#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

/// The reporting scripts' key: keys carry no scopes, so this dependency says what they may do.
#[dependency]
async fn reporter(scopes: SecurityScopes, key: ApiKey<Keys>) -> Result<String, HttpError> {
    if !scopes.is_satisfied_by(["reports"]) {
        return Err(HttpError::new(
            StatusCode::FORBIDDEN,
            "Not enough permissions",
        ));
    }
    Ok(key.name().to_owned())
}

/// The reports, for a valid API key.
#[requires_scopes("reports")]
#[utoipa::path(get, path = "/reports", responses((status = 200, description = "The reports")))]
async fn reports(who: Security<reporter>) -> Json<String> {
    Json(format!("reports for {}", who.into_inner()))
}

/// The session's items.
#[requires_scopes("items")]
#[utoipa::path(get, path = "/items", responses((status = 200, description = "The items")))]
async fn items(claims: Authenticated<Claims, Session>) -> Json<Vec<String>> {
    Json(vec![format!("an item of {}", claims.into_inner().sub)])
}

/// A new item: a `POST` with the session cookie, so the CSRF rule applies.
#[requires_scopes("items")]
#[utoipa::path(post, path = "/items", responses((status = 200, description = "Stored")))]
async fn add_item(claims: Authenticated<Claims, Session>) -> Json<String> {
    Json(format!("stored for {}", claims.into_inner().sub))
}

/// Signs `ann` in (a real app checks a password first): the session cookie.
async fn login() -> Result<impl IntoResponse, HttpError> {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| now.as_secs())
        + 3600;
    let token = JwtKeys::hs256(SECRET)
        .issue(&json!({ "sub": "ann", "iss": ISSUER, "scope": "items", "exp": exp }))
        .map_err(|_| HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"))?;
    let cookie = format!("access_token={token}; HttpOnly; SameSite=Lax; Path=/");
    Ok(([(SET_COOKIE, cookie)], Json("signed in")))
}

/// The routes with their OpenAPI document.
pub(crate) fn router() -> (Router<App>, OpenApi) {
    let (router, mut openapi) = OpenApiRouter::<App>::new()
        .routes(routes!(reports))
        .routes(routes!(items, add_item))
        .split_for_parts();
    openapi.info = Info::builder()
        .title("API keys and cookies")
        .version("0.1.0")
        .build();
    SchemeAddon::<Keys>::apply(&mut openapi);
    SchemeAddon::<Session>::apply(&mut openapi);
    (router.route("/login", post(login)), openapi)
}

/// The state: HS256 session tokens of this server, one API key, and `Origin` checks for
/// cookie-authenticated writes from this server's own pages.
pub(crate) async fn state() -> Result<App, Box<dyn std::error::Error>> {
    let key = Key::secret(SECRET, &[Algorithm::HS256])?;
    let config = AuthConfig::new().with_csrf(CsrfPolicy::new().allow_origin(ISSUER));
    let authenticator = Authenticator::builder()
        .issuer(Issuer::new(ISSUER).key(key))
        .auth_config(config.clone())
        .build()
        .await?;
    Ok(App {
        authenticator,
        keys: ApiKeys::new().with_key("reporting", API_KEY),
        config,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("--openapi") {
        println!("{}", router().1.to_pretty_json()?);
        return Ok(());
    }
    let app = router().0.with_state(state().await?);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 8083)).await?;
    println!("on {ISSUER}: /reports (API key), /login, /items (session cookie)");
    axum::serve(listener, app).await?;
    Ok(())
}
