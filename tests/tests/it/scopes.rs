//! Scope semantics through the public surface: handlers on a router, requests via `oneshot`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};
use axum_scopes_tests::request::{call, send};
use http::{Request, StatusCode};
use tower::ServiceExt;

axum_scopes::oauth2_password_bearer! {
    /// The scheme of these tests.
    Oauth2 { token_url: "token", scopes: { "me" => "Me.", "items" => "Items.", "admin" => "Admin." } }
}

/// Counts how often each dependency ran in the whole test.
#[derive(Clone, Default)]
struct Counters {
    leaf: Arc<AtomicUsize>,
    database: Arc<AtomicUsize>,
}

/// The leaf: reports the scopes it sees, as FastAPI's `get_current_user` would enforce them.
#[dependency]
async fn leaf(
    security_scopes: SecurityScopes,
    State(counters): State<Counters>,
) -> Result<Vec<String>, HttpError> {
    counters.leaf.fetch_add(1, Ordering::SeqCst);
    Ok(security_scopes
        .scopes()
        .iter()
        .map(ToString::to_string)
        .collect())
}

#[dependency]
#[requires_scopes("me")]
async fn middle(seen: Security<leaf>) -> Result<Vec<String>, HttpError> {
    Ok(seen.into_inner())
}

/// Uses no scopes anywhere: cached without regard to its callers' scopes.
#[dependency]
async fn database(State(counters): State<Counters>) -> Result<u32, HttpError> {
    counters.database.fetch_add(1, Ordering::SeqCst);
    Ok(7)
}

/// Requires `admin` (and sees it) above the unscoped `database`.
#[dependency]
#[requires_scopes("admin")]
async fn scoped_database(
    security_scopes: SecurityScopes,
    db: Security<database>,
) -> Result<u32, HttpError> {
    assert_eq!(security_scopes.scope_str(), "admin");
    Ok(*db)
}

#[requires_scopes("items")]
async fn own_items(seen: Security<middle>) -> String {
    seen.join(" ")
}

#[requires_scopes("me")]
async fn user_me(seen: Security<middle>) -> String {
    seen.join(" ")
}

async fn status(seen: Security<leaf>) -> String {
    seen.join(" ")
}

#[requires_scopes()]
async fn siblings(
    #[security(scopes = ["items"])] first: Security<leaf>,
    #[security(scopes = ["admin", "items"])] second: Security<leaf>,
    third: Security<leaf>,
) -> String {
    format!(
        "{}|{}|{}",
        first.join(" "),
        second.join(" "),
        third.join(" ")
    )
}

#[requires_scopes("items")]
async fn same_scopes_twice(
    a: Security<middle>,
    #[security(scopes = ["me"])] b: Security<leaf>,
) -> String {
    format!("{}|{}", a.join(" "), b.join(" "))
}

#[requires_scopes()]
async fn uncached(a: Security<leaf>, #[security(use_cache = false)] b: Security<leaf>) -> String {
    format!("{}|{}", a.join(" "), b.join(" "))
}

async fn shared_database(a: Security<database>, b: Security<scoped_database>) -> String {
    format!("{}|{}", *a, *b)
}

/// Optional bearer: FastAPI's `auto_error=False`.
#[dependency]
async fn maybe_token(token: Option<BearerToken<Oauth2>>) -> Result<String, HttpError> {
    Ok(token.map_or_else(
        || "anonymous".to_owned(),
        |token| String::from_utf8_lossy(token.as_bytes()).into_owned(),
    ))
}

async fn optional(who: Security<maybe_token>) -> String {
    who.into_inner()
}

/// Eight scopes, the longest of 63 bytes: the most an edge written out in the handler's type
/// holds.
#[requires_scopes(
    "s1",
    "s2",
    "s3",
    "s4",
    "s5",
    "s6",
    "s7",
    "edges-carry-at-most-sixty-three-bytes-of-a-scope-in-their-types"
)]
async fn eight_scopes(seen: Security<leaf>) -> String {
    seen.join(" ")
}

/// Nine scopes: a marker type of its own.
#[requires_scopes("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9")]
async fn nine_scopes(seen: Security<leaf>) -> String {
    seen.join(" ")
}

/// A scope of 64 bytes: a marker type of its own.
#[requires_scopes("this-scope-is-sixty-four-bytes-long-so-it-has-a-marker-type-okay")]
async fn long_scope(seen: Security<middle>) -> String {
    seen.join(" ")
}

fn app(counters: Counters) -> Router {
    Router::new()
        .route("/items", get(own_items))
        .route("/me", get(user_me))
        .route("/status", get(status))
        .route("/siblings", get(siblings))
        .route("/twice", get(same_scopes_twice))
        .route("/uncached", get(uncached))
        .route("/database", get(shared_database))
        .route("/optional", get(optional))
        .with_state(counters)
}

#[tokio::test]
async fn accumulation_is_outer_first() {
    let counters = Counters::default();
    let (_, body, _) = call(&app(counters.clone()), "/items", None).await;
    assert_eq!(body, "items me");
    let (_, body, _) = call(&app(counters.clone()), "/me", None).await;
    assert_eq!(body, "me", "a scope required twice is kept once");
    let (_, body, _) = call(&app(counters), "/status", None).await;
    assert_eq!(body, "");
}

#[tokio::test]
async fn siblings_do_not_leak_scopes() {
    let counters = Counters::default();
    let (status, body, _) = call(&app(counters.clone()), "/siblings", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "items|admin items|");
    assert_eq!(
        counters.leaf.load(Ordering::SeqCst),
        3,
        "three scope sets, three runs"
    );
}

#[tokio::test]
async fn cached_once_per_scope_set() {
    let counters = Counters::default();
    let (_, body, _) = call(&app(counters.clone()), "/twice", None).await;
    assert_eq!(body, "items me|items me");
    assert_eq!(counters.leaf.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn use_cache_false_runs_again() {
    let counters = Counters::default();
    let (_, body, _) = call(&app(counters.clone()), "/uncached", None).await;
    assert_eq!(body, "|");
    assert_eq!(counters.leaf.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unscoped_dependency_runs_once_across_scoped_branches() {
    let counters = Counters::default();
    let (_, body, _) = call(&app(counters.clone()), "/database", None).await;
    assert_eq!(body, "7|7");
    assert_eq!(counters.database.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cache_lives_for_one_request() {
    let counters = Counters::default();
    call(&app(counters.clone()), "/twice", None).await;
    call(&app(counters.clone()), "/twice", None).await;
    assert_eq!(counters.leaf.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn optional_bearer() {
    let counters = Counters::default();
    let (_, body, _) = call(&app(counters.clone()), "/optional", None).await;
    assert_eq!(body, "anonymous");
    let basic = Request::get("/optional").header("authorization", "Basic abc");
    let body = send(&app(counters.clone()), basic).await.text();
    assert_eq!(body, "anonymous");
    let spaced = Request::get("/optional").header("authorization", "bearer  abc ");
    let body = send(&app(counters), spaced).await.text();
    assert_eq!(body, "abc");
}

#[test]
fn static_tree() {
    use axum_scopes::__private::Param;
    use axum_scopes::dependency::Dependency;
    let info = <middle as Dependency>::INFO;
    assert_eq!(info.name, "middle");
    assert_eq!(info.scopes, ["me"]);
    assert!(info.uses_scopes());
    assert!(!<database as Dependency>::INFO.uses_scopes());
    assert!(matches!(info.params, [Param::Dependency { info, .. }] if info.name == "leaf"));
    let maybe = <maybe_token as Dependency>::INFO;
    assert!(
        matches!(maybe.params, [Param::Credential(scheme)] if scheme.name == "OAuth2PasswordBearer")
    );
}

/// Enforces the whole requirement, `any(..)` included, against the scopes the request names in
/// an `x-scopes` header (space separated), and reports what it sees.
#[dependency]
async fn checker(
    security_scopes: SecurityScopes,
    headers: http::HeaderMap,
) -> Result<String, HttpError> {
    let granted = headers
        .get("x-scopes")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !security_scopes.is_satisfied_by(granted.split(' ')) {
        return Err(
            HttpError::new(StatusCode::FORBIDDEN, "Not enough permissions").with_header(
                http::header::WWW_AUTHENTICATE,
                security_scopes.bearer_challenge(),
            ),
        );
    }
    Ok(security_scopes.scope_str())
}

#[requires_scopes("me", any("items:read", all("admin", "audit")))]
async fn alternatives(seen: Security<checker>) -> String {
    seen.into_inner()
}

#[tokio::test]
async fn any_of_alternatives_is_enforced() {
    let app = Router::new().route("/alternatives", get(alternatives));
    for (granted, status) in [
        ("me items:read", StatusCode::OK),
        ("me admin audit", StatusCode::OK),
        ("me admin", StatusCode::FORBIDDEN),
        ("items:read", StatusCode::FORBIDDEN),
        ("me", StatusCode::FORBIDDEN),
    ] {
        let response = app
            .clone()
            .oneshot(
                Request::get("/alternatives")
                    .header("x-scopes", granted)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), status, "granted: {granted}");
        if status == StatusCode::FORBIDDEN {
            assert_eq!(
                response.headers()["www-authenticate"],
                r#"Bearer scope="me items:read admin audit""#,
                "the challenge lists every scope named"
            );
        }
    }
}

/// The scopes reach the innermost dependency, outer first, whether the handler's type carries
/// them (at most eight, each at most 63 bytes) or a marker type does.
#[tokio::test]
async fn scopes_reach_the_dependency_whatever_carries_them() {
    let app = Router::new()
        .route("/eight", get(eight_scopes))
        .route("/nine", get(nine_scopes))
        .route("/long", get(long_scope))
        .route("/items", get(own_items))
        .with_state(Counters::default());
    for (uri, expected) in [
        (
            "/eight",
            "s1 s2 s3 s4 s5 s6 s7 edges-carry-at-most-sixty-three-bytes-of-a-scope-in-their-types",
        ),
        ("/nine", "s1 s2 s3 s4 s5 s6 s7 s8 s9"),
        (
            "/long",
            "this-scope-is-sixty-four-bytes-long-so-it-has-a-marker-type-okay me",
        ),
        ("/items", "items me"),
    ] {
        let (status, body, _) = call(&app, uri, None).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, expected), "{uri}");
    }
}
