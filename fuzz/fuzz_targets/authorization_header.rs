//! The `Authorization` header and every other credential source: the bytes become the value of
//! `Authorization`, of `Cookie`, of an API-key header or of an API-key query parameter (raw or
//! percent-encoded), every public extractor and credential function runs on the request, and
//! a router whose handlers use the extractors (`#[requires_scopes]` included) answers it.
//!
//! Input: a byte choosing the place (`% 8`, see `PLACES`), a byte of flags (bit 0 POST instead
//! of GET, bit 1 `X-Requested-With`, bit 2 an allowed `Origin`, bit 3 the credential header
//! twice, bit 4 also a valid bearer token in `Authorization` when the place is another header,
//! bit 5 the second configuration: realm, problem bodies, an allowed origin and no CSRF
//! header), then the value.

#![no_main]

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_scopes::credential::{
    ApiKey, ApiKeyCookie, ApiKeyHeader, ApiKeyQuery, ApiKeys, BearerHeader, CredentialName,
    CredentialSource, CsrfPolicy, Location, TokenCookie, bearer_token, find_credential,
};
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::rejection::{ErrorStyle, Realm};
use axum_scopes::{
    AuthConfig, Authenticated, AuthenticatedBy, Authenticator, BearerToken, Issuer,
    MaybeAuthenticated, requires_scopes,
};
use axum_scopes_fuzz::{FAR_FUTURE, HS256_HEADER, HS256_SECRET, block_on, forge, sign_hs256};
use http::header::{AUTHORIZATION, ORIGIN, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower::ServiceExt as _;

axum_scopes::oauth2_password_bearer! {
    /// The fuzzed scheme.
    pub Api { token_url: "token", scopes: { "me" => "Read yourself.", "items" => "Read items." } }
}

/// The cookie of the token and of the API key.
enum Session {}

impl CredentialName for Session {
    const NAME: &'static str = "session";
}

/// The API-key header.
enum XApiKey {}

impl CredentialName for XApiKey {
    const NAME: &'static str = "x-api-key";
}

/// The API-key query parameter.
enum ApiKeyParam {}

impl CredentialName for ApiKeyParam {
    const NAME: &'static str = "api_key";
}

/// The configured API key.
const API_KEY: &str = "k3y-for-ci-0123456789abcdef";
/// The origin the second configuration allows.
const ALLOWED_ORIGIN: &str = "https://app.example";

type AnyKey = (
    ApiKeyHeader<XApiKey>,
    ApiKeyQuery<ApiKeyParam>,
    ApiKeyCookie<Session>,
);
type HeaderOrCookie = (BearerHeader, TokenCookie<Session>);

#[derive(Clone)]
struct App {
    authenticator: Authenticator,
    config: AuthConfig,
    keys: ApiKeys,
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

impl FromRef<App> for ApiKeys {
    fn from_ref(app: &App) -> Self {
        app.keys.clone()
    }
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Value, Api>) -> String {
    claims.into_inner().to_string()
}

#[requires_scopes("me")]
async fn cookie(claims: AuthenticatedBy<Value, Api, TokenCookie<Session>>) -> String {
    claims.into_inner().to_string()
}

#[requires_scopes(any("me", "items"))]
async fn maybe(claims: MaybeAuthenticated<Value, Api>) -> String {
    format!("{:?}", claims.into_inner())
}

async fn bearer(token: Option<BearerToken<Api>>) -> Vec<u8> {
    token
        .map(|token| token.as_bytes().to_vec())
        .unwrap_or_default()
}

async fn any_key(key: ApiKey<AnyKey>) -> String {
    key.name().to_owned()
}

struct Fixture {
    app: App,
    router: Router,
    /// `Bearer <a valid token granting me and items>`.
    authorization: HeaderValue,
}

fn fixture(second: bool) -> Fixture {
    let config = if second {
        AuthConfig::new()
            .with_realm(Realm::new(r#"fuzz "realm" \ here"#).expect("a valid realm"))
            .with_style(ErrorStyle::Problem)
            .with_csrf(
                CsrfPolicy::new()
                    .allow_origin(ALLOWED_ORIGIN)
                    .without_header(),
            )
    } else {
        AuthConfig::new()
    };
    let key = Key::secret(HS256_SECRET, &[Algorithm::HS256]).expect("an HMAC key");
    let authenticator = block_on(
        Authenticator::builder()
            .issuer(Issuer::any().key(key))
            .auth_config(config.clone())
            .build(),
    )
    .expect("the authenticator builds");
    let app = App {
        authenticator,
        config,
        keys: ApiKeys::new().with_key("ci", API_KEY),
    };
    let router = Router::new()
        .route("/items", get(items).post(items))
        .route("/cookie", get(cookie).post(cookie))
        .route("/maybe", get(maybe).post(maybe))
        .route("/bearer", get(bearer).post(bearer))
        .route("/key", get(any_key).post(any_key))
        .with_state(app.clone());
    let payload = format!(r#"{{"sub":"johndoe","scope":"me items","exp":{FAR_FUTURE}}}"#);
    let token = forge(HS256_HEADER.as_bytes(), payload.as_bytes(), sign_hs256);
    Fixture {
        app,
        router,
        authorization: HeaderValue::try_from(format!("Bearer {token}")).expect("a header value"),
    }
}

static FIXTURES: LazyLock<[Fixture; 2]> = LazyLock::new(|| [fixture(false), fixture(true)]);

/// RFC 6750 §2.1 `b64token`, written independently of the crate.
fn is_b64token(token: &[u8]) -> bool {
    let body = token.iter().take_while(|&&b| b != b'=').count();
    body > 0
        && token[..body]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        && token[body..].iter().all(|&b| b == b'=')
}

#[derive(Clone, Copy)]
struct Flags(u8);

impl Flags {
    fn post(self) -> bool {
        self.0 & 1 != 0
    }
    fn requested_with(self) -> bool {
        self.0 & 2 != 0
    }
    fn origin(self) -> bool {
        self.0 & 4 != 0
    }
    fn twice(self) -> bool {
        self.0 & 8 != 0
    }
    fn with_bearer(self) -> bool {
        self.0 & 16 != 0
    }
    fn second(self) -> bool {
        self.0 & 32 != 0
    }
}

fn request(
    flags: Flags,
    fixture: &Fixture,
    path: &str,
    header: Option<(HeaderName, &HeaderValue)>,
) -> Option<Request<Body>> {
    let method = if flags.post() {
        Method::POST
    } else {
        Method::GET
    };
    let mut request = Request::builder().method(method).uri(path);
    if let Some((name, value)) = header {
        let times = if flags.twice() { 2 } else { 1 };
        for _ in 0..times {
            request = request.header(name.clone(), value.clone());
        }
        if flags.with_bearer() && name != AUTHORIZATION {
            request = request.header(AUTHORIZATION, fixture.authorization.clone());
        }
    }
    if flags.requested_with() {
        request = request.header("x-requested-with", "fetch");
    }
    if flags.origin() {
        request = request.header(ORIGIN, ALLOWED_ORIGIN);
    }
    request.body(Body::empty()).ok()
}

/// Every credential function and extractor on `parts`.
fn extract(parts: &mut Parts, app: &App) {
    let config = &app.config;
    let unguarded = AuthConfig::new().with_csrf(axum_scopes::dangerous::disable_csrf_check());

    // The tutorial's lenient bearer token.
    let found = bearer_token(parts);
    if let Some((value, range)) = &found {
        assert!(
            range.start <= range.end && range.end <= value.len(),
            "{range:?}"
        );
        assert_eq!(Some(value), parts.headers.get(AUTHORIZATION));
    }
    let token =
        block_on(<BearerToken<Api> as FromRequestParts<App>>::from_request_parts(parts, app));
    match (&found, &token) {
        (Some((value, range)), Ok(token)) => {
            assert_eq!(token.as_bytes(), &value.as_bytes()[range.clone()]);
            let _ = token.to_str();
        }
        (None, Err(rejection)) => {
            let response = rejection.into_response();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        _ => panic!("bearer_token and BearerToken disagree"),
    }
    let optional = block_on(
        <BearerToken<Api> as OptionalFromRequestParts<App>>::from_request_parts(parts, app),
    );
    assert_eq!(optional.ok().flatten().is_some(), token.is_ok());

    // RFC 6750's strict header.
    let strict = find_credential::<BearerHeader>(parts, config);
    let repeated = parts.headers.get_all(AUTHORIZATION).iter().count() > 1;
    match (&strict, &found) {
        (Ok(None), None) => {}
        (Ok(Some(credential)), Some((value, range))) => {
            assert!(!repeated, "a repeated Authorization header is accepted");
            assert_eq!(credential.location(), Location::Authorization);
            assert_eq!(credential.as_bytes(), &value.as_bytes()[range.clone()]);
            assert!(is_b64token(credential.as_bytes()), "not a b64token");
        }
        (Err(error), Some((value, range))) => {
            assert!(
                repeated || !is_b64token(&value.as_bytes()[range.clone()]),
                "a single b64token is refused: {error:?}"
            );
            let _ = error.challenge();
        }
        (strict, found) => panic!("BearerHeader {strict:?} vs bearer_token {found:?}"),
    }

    // The other sources, each alone and in tuples.
    fn source<C: CredentialSource>(parts: &Parts, config: &AuthConfig, unguarded: &AuthConfig) {
        let guarded = find_credential::<C>(parts, config);
        let open = find_credential::<C>(parts, unguarded);
        match (&guarded, &open) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(_), Ok(Some(credential))) => {
                assert_eq!(
                    credential.location(),
                    Location::Cookie,
                    "only cookies are guarded"
                );
            }
            (Err(_), Err(_)) => {}
            (guarded, open) => panic!("CSRF policy changed {open:?} into {guarded:?}"),
        }
        if let Ok(Some(credential)) = &open {
            assert!(
                !credential.as_bytes().is_empty(),
                "an empty credential counts as none"
            );
            let _ = format!("{credential:?}");
        }
        if let Err(error) = guarded {
            let _ = error.with_config(config).into_response();
        }
    }
    source::<TokenCookie<Session>>(parts, config, &unguarded);
    source::<ApiKeyHeader<XApiKey>>(parts, config, &unguarded);
    source::<ApiKeyQuery<ApiKeyParam>>(parts, config, &unguarded);
    source::<ApiKeyCookie<Session>>(parts, config, &unguarded);
    source::<HeaderOrCookie>(parts, config, &unguarded);
    source::<AnyKey>(parts, config, &unguarded);

    // The cookie CSRF rule, as documented.
    if let Ok(Some(_)) = find_credential::<TokenCookie<Session>>(parts, &unguarded) {
        let unsafe_method = !matches!(
            parts.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        let header = parts.headers.contains_key("x-requested-with");
        let second = config.realm().is_some();
        let origin_ok = second
            && parts.headers.get_all(ORIGIN).iter().count() == 1
            && parts
                .headers
                .get(ORIGIN)
                .is_some_and(|o| o == ALLOWED_ORIGIN);
        let allowed = !unsafe_method || origin_ok || (header && !second);
        let result = config.csrf().check(parts);
        assert_eq!(result.is_ok(), allowed, "CSRF rule");
    }

    // The extractors with their state.
    fn api_key<C: CredentialSource>(parts: &mut Parts, app: &App) {
        let required = block_on(<ApiKey<C> as FromRequestParts<App>>::from_request_parts(
            parts, app,
        ));
        let optional =
            block_on(<ApiKey<C> as OptionalFromRequestParts<App>>::from_request_parts(parts, app));
        match (&required, &optional) {
            (Ok(a), Ok(Some(b))) => assert_eq!(a.name(), b.name()),
            (Err(_), Ok(None) | Err(_)) => {}
            (required, optional) => panic!("ApiKey {required:?} vs Option {optional:?}"),
        }
        if let Ok(key) = &required {
            assert_eq!(key.name(), "ci");
        }
        if let Err(error) = required {
            let response = error.into_response();
            assert!(response.status().is_client_error(), "{}", response.status());
        }
    }
    api_key::<ApiKeyHeader<XApiKey>>(parts, app);
    api_key::<ApiKeyQuery<ApiKeyParam>>(parts, app);
    api_key::<ApiKeyCookie<Session>>(parts, app);
    api_key::<AnyKey>(parts, app);

    fn answer<T>(result: Result<T, Response>) {
        if let Err(response) = result {
            check_answer(&response);
        }
    }
    answer(block_on(<Authenticated<Value, Api> as FromRequestParts<
        App,
    >>::from_request_parts(parts, app)));
    answer(block_on(<AuthenticatedBy<Value, Api, TokenCookie<Session>> as FromRequestParts<
        App,
    >>::from_request_parts(parts, app)));
    answer(block_on(
        <AuthenticatedBy<Value, Api, HeaderOrCookie> as FromRequestParts<App>>::from_request_parts(
            parts, app,
        ),
    ));
    answer(block_on(
        <MaybeAuthenticated<Value, Api> as FromRequestParts<App>>::from_request_parts(parts, app),
    ));
}

/// What an error answer must look like: 400, 401 (with a challenge) or 403.
fn check_answer(response: &Response) {
    let status = response.status();
    assert!(
        matches!(
            status,
            StatusCode::OK
                | StatusCode::BAD_REQUEST
                | StatusCode::UNAUTHORIZED
                | StatusCode::FORBIDDEN
        ),
        "unexpected status {status}"
    );
    if status == StatusCode::UNAUTHORIZED {
        assert!(
            response.headers().contains_key(WWW_AUTHENTICATE),
            "a 401 without a challenge"
        );
    }
}

fn run(fixture: &Fixture, request: Request<Body>) {
    let (mut parts, body) = request.into_parts();
    extract(&mut parts, &fixture.app);
    let request = Request::from_parts(parts, body);
    let response = block_on(fixture.router.clone().oneshot(request)).expect("infallible");
    check_answer(&response);
    let _ = block_on(http_body_util::BodyExt::collect(response.into_body()));
}

/// Where the value goes: a header (by name) or the query, and the route that answers.
#[derive(Clone, Copy)]
enum Place {
    Header(&'static str, &'static str),
    RawQuery,
    EncodedQuery,
}

const PLACES: [Place; 8] = [
    Place::Header("authorization", "/items"),
    Place::Header("authorization", "/maybe"),
    Place::Header("authorization", "/bearer"),
    Place::Header("cookie", "/cookie"),
    Place::Header("cookie", "/key"),
    Place::Header("x-api-key", "/key"),
    Place::RawQuery,
    Place::EncodedQuery,
];

fuzz_target!(|data: &[u8]| {
    let [place, flags, value @ ..] = data else {
        return;
    };
    let flags = Flags(*flags);
    let fixture = &FIXTURES[usize::from(flags.second())];
    match PLACES[usize::from(*place % 8)] {
        Place::Header(name, path) => {
            let Ok(header) = HeaderValue::from_bytes(value) else {
                return;
            };
            let name = HeaderName::from_static(name);
            let Some(built) = request(flags, fixture, path, Some((name.clone(), &header))) else {
                return;
            };
            if name == "x-api-key" {
                // Found as sent.
                let (parts, _) = request(flags, fixture, path, Some((name, &header)))
                    .expect("built once already")
                    .into_parts();
                match find_credential::<ApiKeyHeader<XApiKey>>(&parts, &fixture.app.config) {
                    Ok(Some(credential)) => {
                        assert!(!flags.twice());
                        assert_eq!(credential.as_bytes(), value);
                    }
                    Ok(None) => assert!(value.is_empty()),
                    Err(_) => assert!(flags.twice()),
                }
            }
            run(fixture, built);
        }
        Place::RawQuery => {
            if let Ok(text) = std::str::from_utf8(value)
                && let Some(request) = request(flags, fixture, &format!("/key?{text}"), None)
            {
                run(fixture, request);
            }
        }
        Place::EncodedQuery => {
            // The percent-encoded value of `api_key`: decoded back exactly when UTF-8.
            let encoded: String = form_urlencoded::byte_serialize(value).collect();
            let path = format!("/key?api_key={encoded}");
            let (parts, body) = request(flags, fixture, &path, None)
                .expect("a percent-encoded query is a URI")
                .into_parts();
            let found = find_credential::<ApiKeyQuery<ApiKeyParam>>(&parts, &fixture.app.config)
                .expect("one query parameter");
            if let Ok(text) = std::str::from_utf8(value) {
                match found {
                    Some(credential) => {
                        assert_eq!(credential.as_bytes(), text.as_bytes(), "query round trip");
                        assert_eq!(credential.location(), Location::Query);
                    }
                    None => assert!(value.is_empty()),
                }
            }
            run(fixture, Request::from_parts(parts, body));
        }
    }
});
