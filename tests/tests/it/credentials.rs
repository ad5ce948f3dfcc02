//! Credential sources, API keys, the CSRF rule for cookies and the RFC 6750 answers, through the
//! public surface: handlers on a router, requests via `oneshot`.

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::routing::get;
use axum_scopes::credential::{
    ApiKey, ApiKeyCookie, ApiKeyHeader, ApiKeyQuery, ApiKeys, BearerHeader, CredentialName,
    CsrfPolicy, TokenCookie, find_credential,
};
use axum_scopes::rejection::{CredentialKind, ErrorStyle, Realm};
use axum_scopes::{AuthConfig, AuthError, HttpError, Scope, Security, SecurityScopes, dependency};
use axum_scopes_tests::request::{Answer, send};
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

struct XApiKey;

impl CredentialName for XApiKey {
    const NAME: &'static str = "x-api-key";
}

struct ApiKeyName;

impl CredentialName for ApiKeyName {
    const NAME: &'static str = "api_key";
}

struct Session;

impl CredentialName for Session {
    const NAME: &'static str = "session";
}

const CI_KEY: &str = "ci-0123456789abcdef0123456789abcdef";
/// A key that needs percent-encoding in a query string.
const BILLING_KEY: &str = "billing key/0123456789+abcdef";

#[derive(Clone)]
struct AppState {
    keys: ApiKeys,
    auth: AuthConfig,
}

impl FromRef<AppState> for ApiKeys {
    fn from_ref(state: &AppState) -> Self {
        state.keys.clone()
    }
}

impl FromRef<AppState> for AuthConfig {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

async fn by_header(key: ApiKey<ApiKeyHeader<XApiKey>>) -> String {
    key.name().to_owned()
}

async fn by_query(key: ApiKey<ApiKeyQuery<ApiKeyName>>) -> String {
    key.name().to_owned()
}

async fn by_cookie(key: ApiKey<ApiKeyCookie<ApiKeyName>>) -> String {
    key.name().to_owned()
}

async fn by_header_or_query(
    key: ApiKey<(ApiKeyHeader<XApiKey>, ApiKeyQuery<ApiKeyName>)>,
) -> String {
    key.name().to_owned()
}

async fn optional(key: Option<ApiKey<ApiKeyHeader<XApiKey>>>) -> String {
    key.map_or_else(|| "anonymous".to_owned(), |key| key.name().to_owned())
}

/// An API key in a dependency, as FastAPI's `Security(api_key_header)`.
#[dependency]
async fn caller(key: ApiKey<ApiKeyHeader<XApiKey>>) -> Result<String, HttpError> {
    Ok(format!("caller {}", key.name()))
}

async fn through_dependency(caller: Security<caller>) -> String {
    caller.into_inner()
}

const ITEMS: &[Scope] = &[Scope::new("items")];

/// What the coming JWT guard does, with a stand-in verifier: find, verify, check scopes.
async fn bearer(State(state): State<AppState>, request: Request) -> Result<String, AuthError> {
    let (parts, _) = request.into_parts();
    guard(&parts, &state.auth).map_err(|error| error.with_config(&state.auth))
}

fn guard(parts: &Parts, config: &AuthConfig) -> Result<String, AuthError> {
    let token = find_credential::<(BearerHeader, TokenCookie<Session>)>(parts, config)?
        .ok_or_else(|| AuthError::missing_credentials(CredentialKind::BearerToken))?;
    let granted: &[&str] = match token.as_bytes() {
        b"items-token" => &["items", "me"],
        b"me-token" => &["me"],
        _ => {
            return Err(AuthError::invalid_token(std::io::Error::other(
                "library detail: signature mismatch",
            )));
        }
    };
    let required = SecurityScopes::new(ITEMS.iter().copied());
    if !required.is_satisfied_by(granted.iter().copied()) {
        return Err(AuthError::insufficient_scope(&required));
    }
    Ok(format!("{:?}", token.location()))
}

fn app(auth: AuthConfig) -> Router {
    let keys = ApiKeys::new()
        .with_key("ci", CI_KEY)
        .with_key("billing", BILLING_KEY);
    Router::new()
        .route("/header", get(by_header).post(by_header))
        .route("/query", get(by_query))
        .route("/cookie", get(by_cookie).post(by_cookie).delete(by_cookie))
        .route("/either", get(by_header_or_query))
        .route("/optional", get(optional))
        .route("/dependency", get(through_dependency))
        .route("/bearer", get(bearer).post(bearer))
        .with_state(AppState { keys, auth })
}

/// What a client sees of an answer.
#[derive(Debug, PartialEq)]
struct Seen {
    status: StatusCode,
    challenge: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// An answer compares as what a client sees of it.
impl PartialEq<Seen> for Answer {
    fn eq(&self, seen: &Seen) -> bool {
        let body =
            serde_json::from_slice(&self.body).unwrap_or_else(|_| Value::String(self.text()));
        let client_sees = Seen {
            status: self.status,
            challenge: self.header("www-authenticate"),
            content_type: self.header("content-type"),
            body,
        };
        client_sees == *seen
    }
}

fn get_(uri: &str) -> http::request::Builder {
    Request::builder().uri(uri)
}

fn post(uri: &str) -> http::request::Builder {
    Request::builder().method(Method::POST).uri(uri)
}

fn ok(name: &str) -> Seen {
    Seen {
        status: StatusCode::OK,
        challenge: None,
        content_type: Some("text/plain; charset=utf-8".to_owned()),
        body: Value::String(name.to_owned()),
    }
}

fn answer(status: StatusCode, challenge: Option<&str>, detail: &str) -> Seen {
    Seen {
        status,
        challenge: challenge.map(str::to_owned),
        content_type: Some("application/json".to_owned()),
        body: json!({ "detail": detail }),
    }
}

fn not_authenticated(scheme: &str) -> Seen {
    answer(StatusCode::UNAUTHORIZED, Some(scheme), "Not authenticated")
}

fn invalid_key() -> Seen {
    answer(
        StatusCode::UNAUTHORIZED,
        Some("APIKey"),
        "Could not validate credentials",
    )
}

fn repeated_key() -> Seen {
    answer(
        StatusCode::BAD_REQUEST,
        None,
        "A credential was sent more than once",
    )
}

fn cross_site() -> Seen {
    answer(StatusCode::FORBIDDEN, None, "Cross-site request rejected")
}

#[tokio::test]
async fn api_key_in_a_header() {
    let app = app(AuthConfig::new());
    let with = |key: &str| get_("/header").header("x-api-key", key);
    assert_eq!(send(&app, with(CI_KEY)).await, ok("ci"));
    assert_eq!(send(&app, with(BILLING_KEY)).await, ok("billing"));
    assert_eq!(
        send(&app, get_("/header").header("X-API-KEY", CI_KEY)).await,
        ok("ci")
    );
    // FastAPI's `APIKeyHeader`: 401 `Not authenticated` with `WWW-Authenticate: APIKey`, also
    // for an empty value.
    assert_eq!(
        send(&app, get_("/header")).await,
        not_authenticated("APIKey")
    );
    assert_eq!(send(&app, with("")).await, not_authenticated("APIKey"));
    assert_eq!(send(&app, with("wrong")).await, invalid_key());
    let twice = with(CI_KEY).header("x-api-key", CI_KEY);
    assert_eq!(send(&app, twice).await, repeated_key());
    // Header credentials are not CSRF-prone: no custom header or origin needed.
    let posted = post("/header").header("x-api-key", CI_KEY);
    assert_eq!(send(&app, posted).await, ok("ci"));
}

#[tokio::test]
async fn keys_compare_exactly() {
    let app = app(AuthConfig::new());
    let status = |key: Vec<u8>| {
        let app = app.clone();
        async move {
            let key = HeaderValue::from_bytes(&key).unwrap();
            send(&app, get_("/header").header("x-api-key", key))
                .await
                .status
        }
    };
    let right = CI_KEY.as_bytes();
    assert_eq!(status(right.to_vec()).await, StatusCode::OK);
    let mut flipped = right.to_vec();
    *flipped.last_mut().unwrap() ^= 1;
    let wrong = [
        flipped,
        right[..right.len() - 1].to_vec(),
        [right, b"0"].concat(),
        right[..1].to_vec(),
        CI_KEY.to_uppercase().into_bytes(),
        b" ".repeat(4096),
        b"\xff\xfe\xfd".to_vec(),
        "clé-ünïcode".as_bytes().to_vec(),
    ];
    for key in wrong {
        assert_eq!(
            status(key.clone()).await,
            StatusCode::UNAUTHORIZED,
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn api_key_in_the_query() {
    let app = app(AuthConfig::new());
    assert_eq!(
        send(&app, get_(&format!("/query?api_key={CI_KEY}"))).await,
        ok("ci")
    );
    // Percent-decoded like any query parameter, `+` as a space.
    let encoded = "billing+key%2F0123456789%2Babcdef";
    assert_eq!(
        send(&app, get_(&format!("/query?x=1&api_key={encoded}"))).await,
        ok("billing")
    );
    assert_eq!(
        send(&app, get_("/query")).await,
        not_authenticated("APIKey")
    );
    assert_eq!(
        send(&app, get_("/query?api_key=")).await,
        not_authenticated("APIKey")
    );
    assert_eq!(send(&app, get_("/query?api_key=nope")).await, invalid_key());
    assert_eq!(
        send(&app, get_("/query?api_key=%FF%FE")).await,
        invalid_key()
    );
    let twice = format!("/query?api_key={CI_KEY}&api_key={CI_KEY}");
    assert_eq!(send(&app, get_(&twice)).await, repeated_key());
}

#[tokio::test]
async fn api_key_in_a_cookie() {
    let app = app(AuthConfig::new());
    let cookie = format!("theme=dark; api_key={CI_KEY}");
    let with = |request: http::request::Builder| request.header("cookie", cookie.as_str());
    assert_eq!(send(&app, with(get_("/cookie"))).await, ok("ci"));
    assert_eq!(
        send(&app, get_("/cookie")).await,
        not_authenticated("APIKey")
    );
    let wrong = get_("/cookie").header("cookie", "api_key=nope");
    assert_eq!(send(&app, wrong).await, invalid_key());
    let tossed = get_("/cookie").header("cookie", format!("api_key=x; api_key={CI_KEY}"));
    assert_eq!(send(&app, tossed).await, repeated_key());
    // The CSRF rule, on by default: a state-changing request needs the custom header.
    assert_eq!(send(&app, with(post("/cookie"))).await, cross_site());
    let deleted = Request::builder().method(Method::DELETE).uri("/cookie");
    assert_eq!(send(&app, with(deleted)).await, cross_site());
    let scripted = with(post("/cookie")).header("x-requested-with", "fetch");
    assert_eq!(send(&app, scripted).await, ok("ci"));
    // No allowed origin by default.
    let from_self = with(post("/cookie")).header("origin", "https://app.example");
    assert_eq!(send(&app, from_self).await, cross_site());
    // The rule runs before verification: a forged request learns nothing about the key.
    let forged = post("/cookie").header("cookie", "api_key=nope");
    assert_eq!(send(&app, forged).await, cross_site());
}

#[tokio::test]
async fn csrf_policy_is_configurable() {
    let policy = CsrfPolicy::new()
        .allow_origin("https://app.example")
        .without_header();
    let app = app(AuthConfig::new().with_csrf(policy));
    let cookie = format!("api_key={CI_KEY}");
    let with = |origin: Option<&str>, header: bool| {
        let mut request = post("/cookie").header("cookie", cookie.as_str());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if header {
            request = request.header("x-requested-with", "fetch");
        }
        request
    };
    assert_eq!(
        send(&app, with(Some("https://app.example"), false)).await,
        ok("ci")
    );
    assert_eq!(
        send(&app, with(Some("https://evil.example"), false)).await,
        cross_site()
    );
    assert_eq!(send(&app, with(Some("null"), false)).await, cross_site());
    assert_eq!(send(&app, with(None, true)).await, cross_site());

    let open = app_with_disabled_csrf();
    assert_eq!(send(&open, with(None, false)).await, ok("ci"));
}

/// Cross-site WebSocket hijacking is the CSRF of WebSockets: a page on any site can open a
/// WebSocket to the API, and the browser sends the cookie along with the upgrade, a `GET`. So
/// every cookie-authenticated upgrade passes the rule (browsers cannot set a custom header on a
/// WebSocket: only an allowed `Origin` lets it through), while a plain `GET` stays exempt.
#[tokio::test]
async fn a_websocket_upgrade_authenticated_by_cookie_needs_an_allowed_origin() {
    let cookie = format!("api_key={CI_KEY}");
    let upgrade = |origin: Option<&str>| {
        let mut request = get_("/cookie")
            .header("cookie", cookie.as_str())
            .header("connection", "keep-alive, Upgrade")
            .header("upgrade", "WebSocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request
    };
    let strict = app(AuthConfig::new());
    assert_eq!(
        send(&strict, upgrade(Some("https://evil.example"))).await,
        cross_site()
    );
    assert_eq!(send(&strict, upgrade(None)).await, cross_site());
    assert_eq!(
        send(&strict, get_("/cookie").header("cookie", cookie.as_str())).await,
        ok("ci")
    );
    let policy = CsrfPolicy::new().allow_origin("https://app.example");
    let allowing = app(AuthConfig::new().with_csrf(policy));
    assert_eq!(
        send(&allowing, upgrade(Some("https://app.example"))).await,
        ok("ci")
    );
    assert_eq!(
        send(&allowing, upgrade(Some("https://evil.example"))).await,
        cross_site()
    );
    // A header credential is never checked: a browser does not attach it by itself.
    let header = get_("/header")
        .header("x-api-key", CI_KEY)
        .header("upgrade", "websocket")
        .header("origin", "https://evil.example");
    assert_eq!(send(&strict, header).await, ok("ci"));
}

fn app_with_disabled_csrf() -> Router {
    app(AuthConfig::new().with_csrf(axum_scopes::dangerous::disable_csrf_check()))
}

#[tokio::test]
async fn credentials_in_two_places_are_rejected() {
    let app = app(AuthConfig::new());
    let header = get_("/either").header("x-api-key", CI_KEY);
    assert_eq!(send(&app, header).await, ok("ci"));
    let query = get_(&format!("/either?api_key={CI_KEY}"));
    assert_eq!(send(&app, query).await, ok("ci"));
    let both = get_(&format!("/either?api_key={CI_KEY}")).header("x-api-key", CI_KEY);
    assert_eq!(
        send(&app, both).await,
        answer(
            StatusCode::BAD_REQUEST,
            None,
            "Credentials were sent in more than one place"
        )
    );
    assert_eq!(
        send(&app, get_("/either")).await,
        not_authenticated("APIKey")
    );
}

#[tokio::test]
async fn optional_and_in_a_dependency() {
    let app = app(AuthConfig::new());
    assert_eq!(send(&app, get_("/optional")).await, ok("anonymous"));
    let key = get_("/optional").header("x-api-key", CI_KEY);
    assert_eq!(send(&app, key).await, ok("ci"));
    // Optional lets anonymous requests through, never wrong keys.
    let wrong = get_("/optional").header("x-api-key", "nope");
    assert_eq!(send(&app, wrong).await, invalid_key());

    let key = get_("/dependency").header("x-api-key", CI_KEY);
    assert_eq!(send(&app, key).await, ok("caller ci"));
    assert_eq!(
        send(&app, get_("/dependency")).await,
        not_authenticated("APIKey")
    );
}

#[tokio::test]
async fn bearer_answers_follow_rfc_6750() {
    let app = app(AuthConfig::new());
    let with = |value: &str| get_("/bearer").header("authorization", value);
    assert_eq!(
        send(&app, with("Bearer items-token")).await,
        ok("Authorization")
    );
    assert_eq!(
        send(&app, with("bearer   items-token ")).await,
        ok("Authorization")
    );
    // §3.1: no credentials, no error attribute. Another scheme is no bearer credential.
    assert_eq!(
        send(&app, get_("/bearer")).await,
        not_authenticated("Bearer")
    );
    assert_eq!(
        send(&app, with("Basic dXNlcjpwYXNz")).await,
        not_authenticated("Bearer")
    );
    let malformed = answer(
        StatusCode::BAD_REQUEST,
        Some(
            r#"Bearer error="invalid_request", error_description="The Authorization header is malformed""#,
        ),
        "The Authorization header is malformed",
    );
    assert_eq!(send(&app, with("Bearer")).await, malformed);
    assert_eq!(send(&app, with("Bearer two words")).await, malformed);
    let invalid = answer(
        StatusCode::UNAUTHORIZED,
        Some(r#"Bearer error="invalid_token""#),
        "Could not validate credentials",
    );
    // The verifier's text ("library detail: ...") never reaches the client.
    assert_eq!(send(&app, with("Bearer forged")).await, invalid);
    assert_eq!(
        send(&app, with("Bearer me-token")).await,
        answer(
            StatusCode::FORBIDDEN,
            Some(r#"Bearer error="insufficient_scope", scope="items""#),
            "Not enough permissions",
        )
    );
}

#[tokio::test]
async fn bearer_token_in_a_cookie() {
    let app = app(AuthConfig::new());
    let cookie = |request: http::request::Builder| request.header("cookie", "session=items-token");
    assert_eq!(send(&app, cookie(get_("/bearer"))).await, ok("Cookie"));
    assert_eq!(send(&app, cookie(post("/bearer"))).await, cross_site());
    let scripted = cookie(post("/bearer")).header("x-requested-with", "fetch");
    assert_eq!(send(&app, scripted).await, ok("Cookie"));
    // Header credentials are not subject to the rule.
    let header = post("/bearer").header("authorization", "Bearer items-token");
    assert_eq!(send(&app, header).await, ok("Authorization"));
    // Header and cookie at once: RFC 6750 §2 allows one method per request.
    let both = cookie(get_("/bearer")).header("authorization", "Bearer items-token");
    assert_eq!(
        send(&app, both).await,
        answer(
            StatusCode::BAD_REQUEST,
            Some(
                r#"Bearer error="invalid_request", error_description="Credentials were sent in more than one place""#,
            ),
            "Credentials were sent in more than one place",
        )
    );
}

#[tokio::test]
async fn problem_style_and_realm() {
    let config = AuthConfig::new()
        .with_style(ErrorStyle::Problem)
        .with_realm(Realm::new(r#"the "inventory""#).unwrap());
    let app = app(config);
    let problem = |status: StatusCode, challenge: Option<&str>, detail: &str| Seen {
        status,
        challenge: challenge.map(str::to_owned),
        content_type: Some("application/problem+json".to_owned()),
        body: json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap(),
            "status": status.as_u16(),
            "detail": detail,
        }),
    };
    let realm = r#"realm="the \"inventory\"""#;
    assert_eq!(
        send(&app, get_("/header")).await,
        problem(
            StatusCode::UNAUTHORIZED,
            Some(&format!("APIKey {realm}")),
            "Not authenticated"
        )
    );
    let wrong = get_("/header").header("x-api-key", "nope");
    assert_eq!(
        send(&app, wrong).await,
        problem(
            StatusCode::UNAUTHORIZED,
            Some(&format!("APIKey {realm}")),
            "Could not validate credentials"
        )
    );
    assert_eq!(
        send(&app, get_("/bearer")).await,
        problem(
            StatusCode::UNAUTHORIZED,
            Some(&format!("Bearer {realm}")),
            "Not authenticated"
        )
    );
    let malformed = get_("/bearer").header("authorization", "Bearer");
    assert_eq!(
        send(&app, malformed).await,
        problem(
            StatusCode::BAD_REQUEST,
            Some(&format!(
                r#"Bearer {realm}, error="invalid_request", error_description="The Authorization header is malformed""#
            )),
            "The Authorization header is malformed"
        )
    );
    let forged = get_("/bearer").header("authorization", "Bearer forged");
    assert_eq!(
        send(&app, forged).await,
        problem(
            StatusCode::UNAUTHORIZED,
            Some(&format!(r#"Bearer {realm}, error="invalid_token""#)),
            "Could not validate credentials"
        )
    );
    let scoped = get_("/bearer").header("authorization", "Bearer me-token");
    assert_eq!(
        send(&app, scoped).await,
        problem(
            StatusCode::FORBIDDEN,
            Some(&format!(
                r#"Bearer {realm}, error="insufficient_scope", scope="items""#
            )),
            "Not enough permissions"
        )
    );
    let cross = post("/cookie").header("cookie", "api_key=x");
    assert_eq!(
        send(&app, cross).await,
        problem(StatusCode::FORBIDDEN, None, "Cross-site request rejected")
    );
    let both = get_(&format!("/either?api_key={CI_KEY}")).header("x-api-key", CI_KEY);
    assert_eq!(
        send(&app, both).await,
        problem(
            StatusCode::BAD_REQUEST,
            None,
            "Credentials were sent in more than one place"
        )
    );
}

#[tokio::test]
async fn hostile_bytes_never_panic_or_fail() {
    let app = app(AuthConfig::new());
    let values: [&[u8]; 6] = [
        b"\xff\xfe",
        b"\x80",
        "clé".as_bytes(),
        b"Bearer \xff\xfe",
        b"\t",
        b"a;b=c;;=;==",
    ];
    for value in values {
        let value = HeaderValue::from_bytes(value).unwrap();
        for (uri, header) in [
            ("/header", "x-api-key"),
            ("/cookie", "cookie"),
            ("/bearer", "authorization"),
            ("/bearer", "cookie"),
            ("/either", "x-api-key"),
        ] {
            for method in [Method::GET, Method::POST] {
                let request = Request::builder()
                    .method(method.clone())
                    .uri(uri)
                    .header(header, value.clone());
                let seen = send(&app, request).await;
                assert!(
                    [
                        StatusCode::BAD_REQUEST,
                        StatusCode::UNAUTHORIZED,
                        StatusCode::FORBIDDEN,
                        StatusCode::METHOD_NOT_ALLOWED,
                    ]
                    .contains(&seen.status),
                    "{method} {uri} {header}: {value:?} gave {seen:?}"
                );
            }
        }
    }
    for query in ["%FF", "%", "api_key=%", "api_key=%E9", "api_key&api_key"] {
        let seen = send(&app, get_(&format!("/query?{query}"))).await;
        assert!(
            [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&seen.status),
            "{query}: {seen:?}"
        );
    }
}
