//! Every scheme kind of `security_scheme!`: its OpenAPI security scheme (checked member by
//! member and by openapi-spec-validator), the per-operation requirement, and where its
//! credential is read at run time.

use axum::Json;
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum_scopes::credential::{ApiKey, ApiKeys, AuthConfig};
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::openapi::SchemeAddon;
use axum_scopes::{
    Authenticated, Authenticator, HttpError, Issuer, MaybeAuthenticated, Scheme, Security,
    SecurityScopes, dependency, requires_scopes,
};
use axum_scopes_tests::openapi::validate_openapi;
use axum_scopes_tests::request::{Answer, send};
use axum_scopes_tests::token::Tokens;
use http::Request;
use http::header::COOKIE;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::security_scheme! {
    /// People through the authorization-code flow, services through client credentials.
    pub(crate) Idp {
        oauth2: {
            authorization_code: {
                authorization_url: "https://idp.example.com/authorize",
                token_url: "https://idp.example.com/token",
                refresh_url: "https://idp.example.com/token",
            },
            client_credentials: { token_url: "https://idp.example.com/token" },
        },
        scopes: {
            "items:write" => "Write items." implies ["items"],
            "items" => "Read items.",
        },
    }
}

axum_scopes::security_scheme! {
    /// The provider's discovery document.
    pub(crate) Oidc {
        openid_connect: { url: "https://idp.example.com/.well-known/openid-configuration" },
        scopes: { "items" => "Read items." },
    }
}

axum_scopes::security_scheme! {
    /// A JWT in the `Authorization` header.
    pub(crate) Bearer { http_bearer: { bearer_format: "JWT" }, scopes: { "items" => "Read items." } }
}

axum_scopes::security_scheme! {
    /// Keys for the reporting service.
    pub(crate) Keys {
        api_key: { header: "X-API-Key" },
        description: "Ask the platform team for a key.",
        scopes: { "reports" => "Read reports." },
    }
}

axum_scopes::security_scheme! {
    /// The browser session: the access token in a cookie.
    pub(crate) Session { token_cookie: { name: "access_token" }, scopes: { "items" => "Read items." } }
}

axum_scopes::security_scheme! {
    /// A key in the query string, named as the team wants it documented.
    pub(crate) QueryKey { name: "LegacyKey", api_key: { query: "api_key" } }
}

const ISS: &str = "https://idp.example.com";
const SECRET: &[u8] = b"a secret of the schemes test, long enough for HS256";
const KEY: &str = "reports-key-0123456789abcdef0123456789";

#[derive(Clone, FromRef)]
struct App {
    authenticator: Authenticator,
    keys: ApiKeys,
    config: AuthConfig,
}

#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

#[requires_scopes("items")]
#[utoipa::path(get, path = "/idp", responses((status = 200, description = "OK")))]
async fn by_idp(claims: Authenticated<Claims, Idp>) -> Json<String> {
    Json(claims.into_inner().sub)
}

#[requires_scopes("items")]
#[utoipa::path(get, path = "/oidc", responses((status = 200, description = "OK")))]
async fn by_oidc(claims: Authenticated<Claims, Oidc>) -> Json<String> {
    Json(claims.into_inner().sub)
}

#[requires_scopes("items")]
#[utoipa::path(get, path = "/bearer", responses((status = 200, description = "OK")))]
async fn by_bearer(claims: Authenticated<Claims, Bearer>) -> Json<String> {
    Json(claims.into_inner().sub)
}

#[requires_scopes("items")]
#[utoipa::path(get, path = "/session", responses((status = 200, description = "Whose session")))]
async fn by_session(claims: Authenticated<Claims, Session>) -> Json<String> {
    Json(claims.into_inner().sub)
}

#[requires_scopes("items")]
#[utoipa::path(post, path = "/session", responses((status = 200, description = "OK")))]
async fn session_write(claims: Authenticated<Claims, Session>) -> Json<String> {
    Json(claims.into_inner().sub)
}

#[requires_scopes("items")]
#[utoipa::path(get, path = "/maybe", responses((status = 200, description = "OK")))]
async fn maybe_session(claims: MaybeAuthenticated<Claims, Session>) -> Json<Option<String>> {
    Json(claims.into_inner().map(|claims| claims.sub))
}

/// The reporting service's key, granted `reports` (keys carry no scopes of their own: the
/// dependency says what each key may do).
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

#[requires_scopes("reports")]
#[utoipa::path(get, path = "/reports", responses((status = 200, description = "OK")))]
async fn reports(who: Security<reporter>) -> Json<String> {
    Json(who.into_inner())
}

#[requires_scopes]
#[utoipa::path(get, path = "/legacy", responses((status = 200, description = "OK")))]
async fn legacy(key: ApiKey<QueryKey>) -> Json<String> {
    Json(key.name().to_owned())
}

async fn app() -> (axum::Router, Value) {
    let key = Key::secret(SECRET, &[Algorithm::HS256]).unwrap();
    let authenticator = Authenticator::builder()
        .issuer(Issuer::new(ISS).key(key))
        .build()
        .await
        .unwrap();
    let (router, mut openapi) = OpenApiRouter::<App>::new()
        .routes(routes!(by_idp))
        .routes(routes!(by_oidc))
        .routes(routes!(by_bearer))
        .routes(routes!(by_session, session_write))
        .routes(routes!(maybe_session))
        .routes(routes!(reports))
        .routes(routes!(legacy))
        .split_for_parts();
    SchemeAddon::<Idp>::apply(&mut openapi);
    SchemeAddon::<Oidc>::apply(&mut openapi);
    SchemeAddon::<Bearer>::apply(&mut openapi);
    SchemeAddon::<Keys>::apply(&mut openapi);
    SchemeAddon::<Session>::apply(&mut openapi);
    SchemeAddon::<QueryKey>::apply(&mut openapi);
    let app = App {
        authenticator,
        keys: ApiKeys::new().with_key("reporting", KEY),
        config: AuthConfig::new(),
    };
    (
        router.with_state(app),
        serde_json::to_value(&openapi).unwrap(),
    )
}

/// ann's tokens, signed with [`SECRET`] and issued by [`ISS`].
const ANN: Tokens = Tokens::new(SECRET, "ann").issuer(ISS);

/// The status and the JSON body (`null` when not JSON), the `WWW-Authenticate` challenge folded
/// into it as a `www-authenticate` member.
fn seen(answer: &Answer) -> (StatusCode, Value) {
    let mut body = answer.json();
    if let Some(challenge) = answer.header("www-authenticate") {
        body["www-authenticate"] = json!(challenge);
    }
    (answer.status, body)
}

fn get(path: &str) -> http::request::Builder {
    Request::builder().uri(path)
}

#[tokio::test]
async fn each_kind_has_its_openapi_security_scheme() {
    let (_, doc) = app().await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["OAuth2"],
        json!({
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "https://idp.example.com/authorize",
                    "tokenUrl": "https://idp.example.com/token",
                    "refreshUrl": "https://idp.example.com/token",
                    "scopes": { "items:write": "Write items. Implies `items`.", "items": "Read items." },
                },
                "clientCredentials": {
                    "tokenUrl": "https://idp.example.com/token",
                    "scopes": { "items:write": "Write items. Implies `items`.", "items": "Read items." },
                },
            },
        })
    );
    assert_eq!(
        schemes["OpenIdConnect"],
        json!({
            "type": "openIdConnect",
            "openIdConnectUrl": "https://idp.example.com/.well-known/openid-configuration",
            "description": "OpenID Connect.\n\nScopes:\n- `items`: Read items.",
        })
    );
    assert_eq!(
        schemes["HTTPBearer"],
        json!({
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A bearer token in the `Authorization` header.\n\nScopes:\n- `items`: Read items.",
        })
    );
    assert_eq!(
        schemes["APIKeyHeader"],
        json!({
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "Ask the platform team for a key.\n\nScopes:\n- `reports`: Read reports.",
        })
    );
    assert_eq!(
        schemes["TokenCookie"],
        json!({
            "type": "apiKey",
            "in": "cookie",
            "name": "access_token",
            "description": "A bearer token (JWT) in the cookie `access_token`; state-changing requests must pass the CSRF rule.\n\nScopes:\n- `items`: Read items.",
        })
    );
    assert_eq!(
        schemes["LegacyKey"],
        json!({
            "type": "apiKey",
            "in": "query",
            "name": "api_key",
            "description": "An API key in the query parameter `api_key`.",
        })
    );
    validate_openapi("schemes", &doc);
}

#[tokio::test]
async fn each_operation_requires_its_scheme_and_scopes() {
    let (_, doc) = app().await;
    let security = |path: &str, method: &str| doc["paths"][path][method]["security"].clone();
    assert_eq!(security("/idp", "get"), json!([{ "OAuth2": ["items"] }]));
    assert_eq!(
        security("/oidc", "get"),
        json!([{ "OpenIdConnect": ["items"] }])
    );
    assert_eq!(
        security("/bearer", "get"),
        json!([{ "HTTPBearer": ["items"] }])
    );
    assert_eq!(
        security("/session", "post"),
        json!([{ "TokenCookie": ["items"] }])
    );
    assert_eq!(
        security("/reports", "get"),
        json!([{ "APIKeyHeader": ["reports"] }])
    );
    // Optional authentication is documented as FastAPI's `auto_error=False`: the scheme alone.
    assert_eq!(
        security("/maybe", "get"),
        json!([{ "TokenCookie": ["items"] }])
    );
    assert_eq!(security("/legacy", "get"), json!([{ "LegacyKey": [] }]));
}

#[tokio::test]
async fn bearer_kinds_read_the_authorization_header() {
    let (app, _) = app().await;
    for path in ["/idp", "/oidc", "/bearer"] {
        let with = |token: String| get(path).header("authorization", format!("Bearer {token}"));
        assert_eq!(
            seen(&send(&app, with(ANN.scope("items"))).await),
            (StatusCode::OK, json!("ann"))
        );
        // Implication holds for the OAuth2 scheme only: the others' catalogues have none.
        let implied = send(&app, with(ANN.scope("items:write"))).await.status;
        let expected = if path == "/idp" {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(implied, expected, "{path}");
        let (status, body) = seen(&send(&app, with(ANN.scope("me"))).await);
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            body["www-authenticate"], r#"Bearer error="insufficient_scope", scope="items""#,
            "{path}"
        );
        let (status, body) = seen(&send(&app, get(path)).await);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["www-authenticate"], "Bearer", "{path}");
    }
}

#[tokio::test]
async fn a_token_cookie_scheme_reads_its_cookie_under_the_csrf_rule() {
    let (app, _) = app().await;
    let cookie = format!("theme=dark; access_token={}", ANN.scope("items"));
    let with = |request: http::request::Builder| request.header(COOKIE, cookie.as_str());
    assert_eq!(
        seen(&send(&app, with(get("/session"))).await),
        (StatusCode::OK, json!("ann"))
    );
    // The header is not where this scheme's token travels.
    let header = get("/session").header("authorization", format!("Bearer {}", ANN.scope("items")));
    assert_eq!(send(&app, header).await.status, StatusCode::UNAUTHORIZED);
    // A state-changing request from another site is refused before the token is looked at.
    let cross_site = with(Request::builder().method("POST").uri("/session"))
        .header("origin", "https://evil.example");
    assert_eq!(send(&app, cross_site).await.status, StatusCode::FORBIDDEN);
    let scripted =
        with(Request::builder().method("POST").uri("/session")).header("x-requested-with", "fetch");
    assert_eq!(
        seen(&send(&app, scripted).await),
        (StatusCode::OK, json!("ann"))
    );
    // Optional: no cookie is anonymous, a bad one is still refused.
    assert_eq!(
        seen(&send(&app, get("/maybe")).await),
        (StatusCode::OK, Value::Null)
    );
    assert_eq!(
        seen(&send(&app, with(get("/maybe"))).await),
        (StatusCode::OK, json!("ann"))
    );
    let bad = get("/maybe").header(COOKIE, "access_token=not-a-token");
    assert_eq!(send(&app, bad).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_api_key_scheme_reads_the_place_it_declares() {
    let (app, _) = app().await;
    let (status, body) = seen(&send(&app, get("/reports").header("x-api-key", KEY)).await);
    assert_eq!((status, body), (StatusCode::OK, json!("reporting")));
    let (status, body) = seen(&send(&app, get("/reports")).await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["detail"], "Not authenticated");
    assert_eq!(body["www-authenticate"], "APIKey");
    let (status, body) = seen(&send(&app, get("/reports").header("x-api-key", "guess")).await);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["detail"], "Could not validate credentials");
    // The query scheme: in the query, not in a header.
    let query = seen(&send(&app, get(&format!("/legacy?api_key={KEY}"))).await);
    assert_eq!(query, (StatusCode::OK, json!("reporting")));
    assert_eq!(
        send(&app, get("/legacy").header("x-api-key", KEY))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn the_password_form_is_unchanged() {
    axum_scopes::oauth2_password_bearer! {
        Tutorial { token_url: "token", scopes: { "me" => "Me." } }
    }
    let scheme =
        serde_json::to_value(axum_scopes::openapi::security_scheme(&Tutorial::INFO)).unwrap();
    assert_eq!(
        scheme,
        json!({ "type": "oauth2", "flows": { "password": { "tokenUrl": "token", "scopes": { "me": "Me." } } } })
    );
    assert_eq!(Tutorial::INFO.name, "OAuth2PasswordBearer");
    assert_eq!(Tutorial::INFO.token_url(), Some("token"));
}

#[test]
fn default_names_follow_fastapi() {
    axum_scopes::security_scheme! {
        Code { oauth2: { authorization_code: { authorization_url: "a", token_url: "t" } } }
    }
    axum_scopes::security_scheme! {
        Password { oauth2: { password: { token_url: "token" } } }
    }
    axum_scopes::security_scheme! {
        Service { oauth2: { client_credentials: { token_url: "t" } } }
    }
    axum_scopes::security_scheme! {
        CookieKey { api_key: { cookie: "key" } }
    }
    assert_eq!(Code::INFO.name, "OAuth2AuthorizationCodeBearer");
    assert_eq!(Password::INFO.name, "OAuth2PasswordBearer");
    assert_eq!(Service::INFO.name, "OAuth2");
    assert_eq!(CookieKey::INFO.name, "APIKeyCookie");
    assert_eq!(Oidc::INFO.name, "OpenIdConnect");
    assert_eq!(Bearer::INFO.name, "HTTPBearer");
    assert_eq!(QueryKey::INFO.name, "LegacyKey");
}
