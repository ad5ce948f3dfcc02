//! `OAuth2PasswordRequestForm` and `OAuth2PasswordRequestFormStrict` over HTTP: the status and
//! the exact body `FastAPI` answers with, for every quirk of its form parsing.

// Compared with the real thing: FastAPI 0.165.0 (starlette 1.10.0, pydantic 2.14.3,
// python-multipart 0.0.34) running the OAuth2-scopes tutorial (`/work/shared/peers`), plus a
// two-route app echoing `OAuth2PasswordRequestForm` / `OAuth2PasswordRequestFormStrict` as
// JSON, probed with curl. `M(f)` is `{"type":"missing","loc":["body","f"],"msg":"Field
// required","input":null}`; `P(x)` is `{"type":"string_pattern_mismatch","loc":["body",
// "grant_type"],"msg":"String should match pattern '^password$'","input":x,"ctx":{"pattern":
// "^password$"}}`; a 422 body is `{"detail":[...]}`. Content-Type is urlencoded unless said.
//
// | case (body)                                              | FastAPI answer                                  |
// |----------------------------------------------------------|-------------------------------------------------|
// | all six fields, `scope=me%20items`                       | 200, scopes `["me","items"]`                     |
// | `password=secret` (no username)                          | 422 `[M(username)]`, input `null` not the form   |
// | `username=johndoe` (no password)                         | 422 `[M(password)]`                              |
// | `scope=me` / empty body / no body and no Content-Type    | 422 `[M(username), M(password)]`                 |
// | `username=&password=secret`                              | 422 `[M(username)]`: empty counts as absent      |
// | `username=johndoe&password=`                             | 422 `[M(password)]`                              |
// | `username=%20&password=%20`                              | 200, both `" "` (no trimming)                    |
// | `grant_type=password`                                    | 200                                              |
// | `grant_type=` / absent                                   | 200, `grant_type` null                           |
// | `grant_type=foo`                                         | 422 `[P("foo")]`                                 |
// | `grant_type=PASSWORD` / `password%0A`                    | 422 `[P("PASSWORD")]` / `[P("password\n")]`      |
// | `grant_type=foo&password=secret`                         | 422 `[P("foo"), M(username)]`: field order       |
// | `grant_type=foo&grant_type=password` / `=foo&grant_type=`| 200: last wins, then empty counts as absent      |
// | `scope=%20me%20%20%20items%09%0A`                        | 200, scopes `["me","items"]`                     |
// | `scope` with U+00A0, U+3000, `\v`, `\x1c`, U+0085, U+2028| 200, split on each (Python `str.split()`)        |
// | `username=alice&username=johndoe`                        | 200 as johndoe: last wins                        |
// | JSON Content-Type, JSON body or form body                | 422 `[M(username), M(password)]`                 |
// | `text/plain` / empty Content-Type / `…urlencodedx`       | 422 `[M(username), M(password)]`                 |
// | `…urlencoded; charset=utf-8`, upper case, padded spaces  | 200                                              |
// | `username=%FF%FE&password=%E2%82x`                       | 200, `"\u{fffd}\u{fffd}"`, `"\u{fffd}x"`         |
// | `grant_type=%FF%FEa`                                     | 422 `[P("\u{fffd}\u{fffd}a")]`                   |
// | `username=jo%zzhn%2&…&%zz=1&&=`                          | 200, username `"jo%zzhn%2"`, junk ignored        |
// | `username&password=secret`                               | 422 `[M(username)]`                              |
// | `username=johndoe;password=secret&password=x`            | 200, username `"johndoe;password=secret"`        |
// | `user%6Eame=john+doe&pass+word=x&password=a%2Bb`         | 200, `"john doe"`, `"a+b"`                       |
// | `client_id=&client_secret=&scope=`                       | 200, null, null, `[]`                            |
// | strict: empty body                                       | 422 `[M(grant_type), M(username), M(password)]`  |
// | strict: no `grant_type` / `grant_type=`                  | 422 `[M(grant_type)]`                            |
// | strict: `grant_type=foo&password=b`                      | 422 `[P("foo"), M(username)]`                    |
// | strict: all fields                                       | 200                                              |
//
// Deliberate differences, not tested as FastAPI answers:
// - a urlencoded body over the body limit: axum's 413; FastAPI has no limit.
// - raw (not percent-encoded) non-ASCII bytes: starlette decodes them as Latin-1 (`jos\xc3\xa9`
//   gives `"josÃ©"`, `\xff` gives `"ÿ"`); we decode UTF-8 as browsers encode it (`"josé"`,
//   `"\u{fffd}"`).
// - `multipart/form-data`: FastAPI parses it (200); here it is an empty form (422 missing).

use axum::body::Body;
use axum::routing::post;
use axum::{Json, Router};
use axum_scopes::OAuth2PasswordRequestForm;
use axum_scopes::password::OAuth2PasswordRequestFormStrict;
use axum_scopes_tests::request::answer;
use http::header::CONTENT_TYPE;
use http::{Request, StatusCode};
use serde_json::{Value, json};

const FORM: &str = "application/x-www-form-urlencoded";

fn echo(
    grant_type: Option<&String>,
    username: &str,
    password: &str,
    scopes: &[String],
    client_id: Option<&String>,
    client_secret: Option<&String>,
) -> Json<Value> {
    Json(json!({
        "grant_type": grant_type,
        "username": username,
        "password": password,
        "scopes": scopes,
        "client_id": client_id,
        "client_secret": client_secret,
    }))
}

fn app() -> Router {
    Router::new()
        .route(
            "/token",
            post(|form: OAuth2PasswordRequestForm| async move {
                echo(
                    form.grant_type.as_ref(),
                    &form.username,
                    &form.password,
                    &form.scopes,
                    form.client_id.as_ref(),
                    form.client_secret.as_ref(),
                )
            }),
        )
        .route(
            "/strict",
            post(|form: OAuth2PasswordRequestFormStrict| async move {
                echo(
                    Some(&form.grant_type),
                    &form.username,
                    &form.password,
                    &form.scopes,
                    form.client_id.as_ref(),
                    form.client_secret.as_ref(),
                )
            }),
        )
}

async fn send(
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, String) {
    let mut request = Request::post(path);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    let seen = answer(app(), request.body(body.into()).unwrap()).await;
    (seen.status, seen.text())
}

async fn post_form(body: impl Into<Body>) -> (StatusCode, String) {
    send("/token", Some(FORM), body).await
}

/// Asserts a 422 whose body is byte for byte `{"detail":[<issues>]}`.
#[track_caller]
fn assert_422(answer: (StatusCode, String), issues: &[&str]) {
    let (status, body) = answer;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "body: {body}");
    assert_eq!(body, format!(r#"{{"detail":[{}]}}"#, issues.join(",")));
}

/// Asserts a 200 whose echoed form equals `expected`.
#[track_caller]
fn assert_200(answer: (StatusCode, String), expected: &Value) {
    let (status, body) = answer;
    assert_eq!(status, StatusCode::OK, "body: {body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), *expected);
}

fn form(username: &str, password: &str) -> Value {
    json!({
        "grant_type": null, "username": username, "password": password,
        "scopes": [], "client_id": null, "client_secret": null,
    })
}

fn with(mut value: Value, key: &str, field: Value) -> Value {
    value[key] = field;
    value
}

fn missing(field: &str) -> String {
    format!(r#"{{"type":"missing","loc":["body","{field}"],"msg":"Field required","input":null}}"#)
}

fn mismatch(input: &str) -> String {
    format!(
        r#"{{"type":"string_pattern_mismatch","loc":["body","grant_type"],"msg":"String should match pattern '^password$'","input":{},"ctx":{{"pattern":"^password$"}}}}"#,
        serde_json::to_string(input).unwrap()
    )
}

#[tokio::test]
async fn all_fields() {
    let answer = post_form(
        "grant_type=password&username=johndoe&password=secret&scope=me%20items&client_id=c&client_secret=s",
    )
    .await;
    assert_200(
        answer,
        &json!({
            "grant_type": "password", "username": "johndoe", "password": "secret",
            "scopes": ["me", "items"], "client_id": "c", "client_secret": "s",
        }),
    );
}

#[tokio::test]
async fn missing_fields_are_reported_with_null_input() {
    assert_422(post_form("password=secret").await, &[&missing("username")]);
    assert_422(post_form("username=johndoe").await, &[&missing("password")]);
    let both = [missing("username"), missing("password")];
    let both: Vec<&str> = both.iter().map(String::as_str).collect();
    assert_422(post_form("scope=me").await, &both);
    assert_422(post_form("").await, &both);
    assert_422(send("/token", None, Body::empty()).await, &both);
}

#[tokio::test]
async fn empty_values_count_as_absent() {
    assert_422(
        post_form("username=&password=secret").await,
        &[&missing("username")],
    );
    assert_422(
        post_form("username=johndoe&password=").await,
        &[&missing("password")],
    );
    assert_200(
        post_form("username=%20&password=%20").await,
        &form(" ", " "),
    );
    assert_200(
        post_form("username=u&password=p&client_id=&client_secret=&scope=&grant_type=").await,
        &form("u", "p"),
    );
}

#[tokio::test]
async fn grant_type_must_be_password_when_present() {
    let ok = form("johndoe", "secret");
    assert_200(post_form("username=johndoe&password=secret").await, &ok);
    assert_200(
        post_form("grant_type=password&username=johndoe&password=secret").await,
        &with(ok.clone(), "grant_type", json!("password")),
    );
    assert_200(
        post_form("grant_type=&username=johndoe&password=secret").await,
        &ok,
    );
    for (sent, input) in [
        ("foo", "foo"),
        ("PASSWORD", "PASSWORD"),
        ("password%0A", "password\n"),
    ] {
        let answer = post_form(format!(
            "grant_type={sent}&username=johndoe&password=secret"
        ))
        .await;
        assert_422(answer, &[&mismatch(input)]);
    }
}

#[tokio::test]
async fn all_errors_are_reported_in_field_order() {
    assert_422(
        post_form("grant_type=foo&password=secret").await,
        &[&mismatch("foo"), &missing("username")],
    );
    assert_422(
        post_form("password=secret&grant_type=foo").await,
        &[&mismatch("foo"), &missing("username")],
    );
}

#[tokio::test]
async fn repeated_fields_keep_the_last_value() {
    assert_200(
        post_form("username=alice&username=johndoe&password=secret").await,
        &form("johndoe", "secret"),
    );
    let ok = with(form("johndoe", "secret"), "grant_type", json!("password"));
    assert_200(
        post_form("grant_type=foo&grant_type=password&username=johndoe&password=secret").await,
        &ok,
    );
    assert_200(
        post_form("grant_type=foo&grant_type=&username=johndoe&password=secret").await,
        &form("johndoe", "secret"),
    );
    assert_422(
        post_form("grant_type=password&grant_type=foo&username=johndoe&password=secret").await,
        &[&mismatch("foo")],
    );
}

#[tokio::test]
async fn scope_is_split_on_any_whitespace() {
    assert_200(
        post_form("username=johndoe&password=secret&scope=%20me%20%20%20items%09%0A").await,
        &with(form("johndoe", "secret"), "scopes", json!(["me", "items"])),
    );
    assert_200(
        post_form("username=u&password=p&scope=a%C2%A0b%E3%80%80c%0Bd%1Ce%C2%85f%E2%80%A8g").await,
        &with(
            form("u", "p"),
            "scopes",
            json!(["a", "b", "c", "d", "e", "f", "g"]),
        ),
    );
}

#[tokio::test]
async fn other_content_types_are_an_empty_form() {
    let both = [missing("username"), missing("password")];
    let both: Vec<&str> = both.iter().map(String::as_str).collect();
    let credentials = "username=johndoe&password=secret";
    assert_422(
        send(
            "/token",
            Some("application/json"),
            r#"{"username":"johndoe","password":"secret"}"#,
        )
        .await,
        &both,
    );
    assert_422(
        send("/token", Some("application/json"), credentials).await,
        &both,
    );
    assert_422(send("/token", Some("text/plain"), credentials).await, &both);
    assert_422(send("/token", Some(""), credentials).await, &both);
    assert_422(
        send(
            "/token",
            Some("application/x-www-form-urlencodedx"),
            credentials,
        )
        .await,
        &both,
    );
    assert_422(
        send(
            "/token",
            Some("application/x-www-form-urlencoded charset=utf-8"),
            credentials,
        )
        .await,
        &both,
    );
    assert_422(post_form(r#"{"username":"johndoe"}"#).await, &both);
}

#[tokio::test]
async fn content_type_is_matched_like_starlette() {
    for content_type in [
        "application/x-www-form-urlencoded; charset=utf-8",
        "Application/X-WWW-Form-URLencoded",
        "  application/x-www-form-urlencoded  ;charset=utf-8",
    ] {
        let answer = send(
            "/token",
            Some(content_type),
            "username=johndoe&password=secret",
        )
        .await;
        assert_200(answer, &form("johndoe", "secret"));
    }
}

#[tokio::test]
async fn invalid_utf8_becomes_replacement_characters() {
    assert_200(
        post_form("username=%FF%FE&password=%E2%82x").await,
        &form("\u{fffd}\u{fffd}", "\u{fffd}x"),
    );
    assert_422(
        post_form("grant_type=%FF%FEa&username=johndoe&password=secret").await,
        &[&mismatch("\u{fffd}\u{fffd}a")],
    );
}

#[tokio::test]
async fn malformed_urlencoding_is_taken_literally() {
    assert_200(
        post_form("username=jo%zzhn%2&password=secret&%zz=1&&=").await,
        &form("jo%zzhn%2", "secret"),
    );
    assert_422(
        post_form("username&password=secret").await,
        &[&missing("username")],
    );
    assert_200(
        post_form("username=johndoe;password=secret&password=x").await,
        &form("johndoe;password=secret", "x"),
    );
    assert_200(
        post_form("user%6Eame=john+doe&pass+word=x&password=a%2Bb").await,
        &form("john doe", "a+b"),
    );
}

#[tokio::test]
async fn strict_form_requires_grant_type() {
    assert_422(
        send("/strict", Some(FORM), "").await,
        &[
            &missing("grant_type"),
            &missing("username"),
            &missing("password"),
        ],
    );
    assert_422(
        send("/strict", Some(FORM), "username=a&password=b").await,
        &[&missing("grant_type")],
    );
    assert_422(
        send("/strict", Some(FORM), "grant_type=&username=a&password=b").await,
        &[&missing("grant_type")],
    );
    assert_422(
        send("/strict", Some(FORM), "grant_type=foo&password=b").await,
        &[&mismatch("foo"), &missing("username")],
    );
    assert_200(
        send(
            "/strict",
            Some(FORM),
            "grant_type=password&username=a&password=b&scope=+x++y%09z+&client_id=&client_secret=s",
        )
        .await,
        &json!({
            "grant_type": "password", "username": "a", "password": "b",
            "scopes": ["x", "y", "z"], "client_id": null, "client_secret": "s",
        }),
    );
}

#[tokio::test]
async fn body_limit_applies_only_to_forms() {
    let limit = 2 * 1024 * 1024; // axum's default
    let prefix = "username=u&password=p&x=";
    let oversized = format!("{prefix}{}", "a".repeat(limit + 1 - prefix.len()));
    let fits = &oversized[..limit];
    assert_eq!(post_form(fits.to_owned()).await.0, StatusCode::OK);
    assert_eq!(
        post_form(oversized.clone()).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // FastAPI never reads a body it will not parse, so neither does the extractor.
    let answer = send("/token", Some("application/json"), oversized).await;
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn raw_utf8_is_decoded_as_utf8() {
    // Deliberately unlike starlette, which would give "josÃ©" and "ÿ" (see the table).
    assert_200(
        post_form(&b"username=jos\xc3\xa9&password=\xff"[..]).await,
        &form("jos\u{e9}", "\u{fffd}"),
    );
}
