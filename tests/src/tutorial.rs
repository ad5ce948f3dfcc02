//! The tutorial's behaviour as FastAPI answers it, case by case, and the ways to ask the demo
//! (in process or over HTTP) what it answers.

use axum::Router;
use axum::body::Body;
use axum_scopes::JwtKeys;
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes_demo::{AppState, DEFAULT_SECRET_KEY, app};
use http::{HeaderName, HeaderValue, Method, Request};
use serde_json::{Value, json};

use crate::request::answer;
use crate::token::{mint, mint_with, now, token_for, token_with_crit};

/// What a client sees of an answer, normalised where two correct servers must differ: a token's
/// signature and expiry, and the host in `Location`.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// The status code.
    pub status: u16,
    /// The JSON body (`null` when empty); a `/token` answer's `access_token` is replaced by its
    /// claims without `exp`.
    pub body: Value,
    /// The `WWW-Authenticate` header.
    pub www_authenticate: Option<String>,
    /// The `Location` header without scheme and host.
    pub location: Option<String>,
    /// The `Allow` header.
    pub allow: Option<String>,
}

impl Seen {
    fn new(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        };
        let location = header("location").map(|location| {
            location
                .strip_prefix("http://")
                .and_then(|rest| rest.find('/').map(|slash| rest[slash..].to_owned()))
                .unwrap_or(location)
        });
        let mut body = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
        };
        if let Some(token) = body.get("access_token").and_then(Value::as_str) {
            let mut claims: Value = JwtKeys::hs256(DEFAULT_SECRET_KEY.as_bytes())
                .verify(token)
                .expect("an issued token verifies with the tutorial's secret");
            claims.as_object_mut().map(|claims| claims.remove("exp"));
            body["access_token"] = claims;
        }
        Self {
            status,
            body,
            www_authenticate: header("www-authenticate"),
            location,
            allow: header("allow"),
        }
    }
}

/// One request of the tutorial and what FastAPI answers to it.
#[derive(Debug, Clone)]
pub struct Case {
    /// What the case shows.
    pub name: &'static str,
    /// The method.
    pub method: Method,
    /// The path and query.
    pub path: &'static str,
    /// The `Authorization` header, as bytes (they need not be ASCII).
    pub authorization: Option<Vec<u8>>,
    /// A urlencoded form body.
    pub form: Option<String>,
    /// The expected status.
    pub status: u16,
    /// The expected body.
    pub body: Value,
    /// The expected `WWW-Authenticate`.
    pub www_authenticate: Option<&'static str>,
    /// The expected `Location`, without scheme and host.
    pub location: Option<&'static str>,
    /// The expected `Allow`.
    pub allow: Option<&'static str>,
    /// Why the demo deliberately answers otherwise than FastAPI's tutorial, if it does.
    pub differs_from_fastapi: Option<&'static str>,
}

impl Case {
    fn new(name: &'static str, method: Method, path: &'static str) -> Self {
        Self {
            name,
            method,
            path,
            authorization: None,
            form: None,
            status: 200,
            body: Value::Null,
            www_authenticate: None,
            location: None,
            allow: None,
            differs_from_fastapi: None,
        }
    }

    fn location(mut self, location: &'static str) -> Self {
        self.location = Some(location);
        self
    }

    fn allow(mut self, allow: &'static str) -> Self {
        self.allow = Some(allow);
        self
    }

    fn bearer(mut self, token: &str) -> Self {
        self.authorization = Some(format!("Bearer {token}").into_bytes());
        self
    }

    fn authorization(mut self, value: &[u8]) -> Self {
        self.authorization = Some(value.to_vec());
        self
    }

    fn form(mut self, form: &str) -> Self {
        self.form = Some(form.to_owned());
        self
    }

    fn expect(mut self, status: u16, body: Value, www_authenticate: Option<&'static str>) -> Self {
        self.status = status;
        self.body = body;
        self.www_authenticate = www_authenticate;
        self
    }

    fn differs(mut self, why: &'static str) -> Self {
        self.differs_from_fastapi = Some(why);
        self
    }

    /// The request as an `http::Request`.
    ///
    /// # Panics
    ///
    /// When the case's parts are not a valid request.
    #[must_use]
    pub fn request(&self) -> Request<Body> {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(self.path)
            .header("host", "testserver");
        if let Some(value) = &self.authorization {
            request = request.header(
                "authorization",
                HeaderValue::from_bytes(value).expect("test header values have no CR/LF"),
            );
        }
        match &self.form {
            Some(form) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(form.clone())),
            None => request.body(Body::empty()),
        }
        .expect("test requests are valid")
    }

    /// Asserts that `seen` is what FastAPI answers.
    ///
    /// # Panics
    ///
    /// When it is not.
    pub fn check(&self, seen: &Seen) {
        assert_eq!(seen.status, self.status, "{}: status", self.name);
        assert_eq!(seen.body, self.body, "{}: body", self.name);
        assert_eq!(
            seen.www_authenticate.as_deref(),
            self.www_authenticate,
            "{}: WWW-Authenticate",
            self.name
        );
        assert_eq!(
            seen.location.as_deref(),
            self.location,
            "{}: Location",
            self.name
        );
        assert_eq!(seen.allow.as_deref(), self.allow, "{}: Allow", self.name);
    }
}

/// The tutorial's behaviour, case by case, as FastAPI answers (checked against the tutorial app
/// running under FastAPI 0.165 with `../shared/peers/run-fastapi.sh`).
#[must_use]
#[allow(clippy::too_many_lines, reason = "one entry per case, read as a table")]
pub fn tutorial_cases() -> Vec<Case> {
    let not_authenticated = json!({ "detail": "Not authenticated" });
    let credentials = json!({ "detail": "Could not validate credentials" });
    let permissions = json!({ "detail": "Not enough permissions" });
    let johndoe = json!({
        "username": "johndoe",
        "email": "johndoe@example.com",
        "full_name": "John Doe",
        "disabled": false,
    });
    let items = json!([{ "item_id": "Foo", "owner": "johndoe" }]);
    let exp = now() + 600;
    let me_items = Some(r#"Bearer scope="items me""#);
    let me = Some(r#"Bearer scope="me""#);
    let get = Method::GET;
    let post = Method::POST;
    let form = |body: &str| body.to_owned();
    vec![
        Case::new("status without a token", get.clone(), "/status/").expect(
            401,
            not_authenticated.clone(),
            Some("Bearer"),
        ),
        Case::new("status with a scope-less token", get.clone(), "/status/")
            .bearer(&token_for("johndoe", &[]))
            .expect(200, json!({ "status": "ok" }), None),
        Case::new("me with `me`", get.clone(), "/users/me/")
            .bearer(&token_for("johndoe", &["me"]))
            .expect(200, johndoe.clone(), None),
        Case::new("me without `me`", get.clone(), "/users/me/")
            .bearer(&token_for("johndoe", &[]))
            .expect(401, permissions.clone(), me),
        Case::new("items with both scopes", get.clone(), "/users/me/items/")
            .bearer(&token_for("johndoe", &["me", "items"]))
            .expect(200, items.clone(), None),
        Case::new("items with `me` only", get.clone(), "/users/me/items/")
            .bearer(&token_for("johndoe", &["me"]))
            .expect(401, permissions.clone(), me_items),
        Case::new("items with `items` only", get.clone(), "/users/me/items/")
            .bearer(&token_for("johndoe", &["items"]))
            .expect(401, permissions.clone(), me_items),
        Case::new("items, token without a scopes claim", get.clone(), "/users/me/items/")
            .bearer(&mint(&json!({ "sub": "johndoe", "exp": exp })))
            .expect(401, permissions.clone(), me_items),
        Case::new("items, expired token", get.clone(), "/users/me/items/")
            .bearer(&mint(&json!({ "sub": "johndoe", "scopes": ["me", "items"], "exp": now() - 10 })))
            .expect(401, credentials.clone(), me_items),
        Case::new("items, wrongly signed token", get.clone(), "/users/me/items/")
            .bearer(&mint_with(
                b"another secret of thirty-two bytes!!",
                Algorithm::HS256,
                &json!({ "sub": "johndoe", "scopes": ["me", "items"], "exp": exp }),
            ))
            .expect(401, credentials.clone(), me_items),
        Case::new("items, token without `sub`", get.clone(), "/users/me/items/")
            .bearer(&mint(&json!({ "scopes": ["me", "items"], "exp": exp })))
            .expect(401, credentials.clone(), me_items),
        Case::new("items, unknown user", get.clone(), "/users/me/items/")
            .bearer(&token_for("nobody", &["me", "items"]))
            .expect(401, credentials.clone(), me_items),
        Case::new("items, disabled user with both scopes", get.clone(), "/users/me/items/")
            .bearer(&token_for("alice", &["me", "items"]))
            .expect(400, json!({ "detail": "Inactive user" }), None),
        Case::new("items, disabled user lacking `me`", get.clone(), "/users/me/items/")
            .bearer(&token_for("alice", &["items"]))
            .expect(401, permissions.clone(), me_items),
        Case::new("me, garbage token", get.clone(), "/users/me/")
            .bearer("garbage")
            .expect(401, credentials.clone(), me),
        Case::new("me, Basic credentials", get.clone(), "/users/me/")
            .authorization(b"Basic am9obmRvZTpzZWNyZXQ=")
            .expect(401, not_authenticated.clone(), Some("Bearer")),
        Case::new("me, `Bearer` without a token", get.clone(), "/users/me/")
            .authorization(b"Bearer")
            .expect(401, credentials.clone(), me),
        Case::new("me, lower-case scheme", get.clone(), "/users/me/")
            .authorization(format!("bearer {}", token_for("johndoe", &["me"])).as_bytes())
            .expect(200, johndoe.clone(), None),
        Case::new("me, non-ASCII token bytes", get.clone(), "/users/me/")
            .authorization(b"Bearer \xe9\xff")
            .expect(401, credentials.clone(), me),
        Case::new("me, HS384 token", get.clone(), "/users/me/")
            .bearer(&mint_with(
                DEFAULT_SECRET_KEY.as_bytes(),
                Algorithm::HS384,
                &json!({ "sub": "johndoe", "scopes": ["me"], "exp": exp }),
            ))
            .expect(401, credentials.clone(), me),
        Case::new("me, `scopes` not a list", get.clone(), "/users/me/")
            .bearer(&mint(&json!({ "sub": "johndoe", "scopes": "me", "exp": exp })))
            .expect(401, credentials.clone(), me),
        Case::new("me, `sub` not a string", get.clone(), "/users/me/")
            .bearer(&mint(&json!({ "sub": 123, "scopes": ["me"], "exp": exp })))
            .expect(401, credentials.clone(), me),
        Case::new("me, `crit` header", get.clone(), "/users/me/")
            .bearer(&token_with_crit(&json!({ "sub": "johndoe", "scopes": ["me"], "exp": exp })))
            .expect(401, credentials.clone(), me),
        Case::new("me, token without `exp`", get.clone(), "/users/me/")
            .bearer(&mint(&json!({ "sub": "johndoe", "scopes": ["me"] })))
            .expect(401, credentials.clone(), me)
            .differs("PyJWT accepts a token that never expires; here `exp` is required"),
        Case::new("redirect to the trailing slash", get.clone(), "/users/me")
            .expect(307, Value::Null, None)
            .location("/users/me/"),
        Case::new("redirect keeps the method and query", post.clone(), "/users/me?x=1")
            .expect(307, Value::Null, None)
            .location("/users/me/?x=1"),
        Case::new("redirect away from a trailing slash", get.clone(), "/token/")
            .expect(307, Value::Null, None)
            .location("/token"),
        Case::new("wrong method", get.clone(), "/token")
            .expect(405, json!({ "detail": "Method Not Allowed" }), None)
            .allow("POST"),
        Case::new("DELETE a GET route", Method::DELETE, "/status/")
            .expect(405, json!({ "detail": "Method Not Allowed" }), None)
            .allow("GET"),
        Case::new("HEAD is not GET", Method::HEAD, "/status/")
            .expect(405, Value::Null, None)
            .allow("GET"),
        Case::new("unknown path", get.clone(), "/nope").expect(
            404,
            json!({ "detail": "Not Found" }),
            None,
        ),
        Case::new("root", get.clone(), "/").expect(404, json!({ "detail": "Not Found" }), None),
        Case::new("login, wrong password", post.clone(), "/token")
            .form(&form("username=johndoe&password=wrong"))
            .expect(400, json!({ "detail": "Incorrect username or password" }), None),
        Case::new("login, unknown user", post.clone(), "/token")
            .form(&form("username=nobody&password=secret"))
            .expect(400, json!({ "detail": "Incorrect username or password" }), None),
        Case::new("login, missing password", post.clone(), "/token")
            .form(&form("username=johndoe"))
            .expect(
                422,
                json!({ "detail": [{ "type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": null }] }),
                None,
            ),
        Case::new("login, grant_type not `password`", post.clone(), "/token")
            .form(&form("username=johndoe&password=secret&grant_type=foo"))
            .expect(
                422,
                json!({ "detail": [{
                    "type": "string_pattern_mismatch",
                    "loc": ["body", "grant_type"],
                    "msg": "String should match pattern '^password$'",
                    "input": "foo",
                    "ctx": { "pattern": "^password$" },
                }] }),
                None,
            ),
        Case::new("login with scopes", post.clone(), "/token")
            .form(&form("username=johndoe&password=secret&scope=me items"))
            .expect(
                200,
                json!({ "access_token": { "sub": "johndoe", "scopes": ["me", "items"] }, "token_type": "bearer" }),
                None,
            ),
        Case::new("login of a disabled user", post.clone(), "/token")
            .form(&form("username=alice&password=secretalice&scope=me"))
            .expect(
                200,
                json!({ "access_token": { "sub": "alice", "scopes": ["me"] }, "token_type": "bearer" }),
                None,
            ),
        Case::new("login, password over bcrypt's 72 bytes", post.clone(), "/token")
            .form(&format!("username=johndoe&password={}", "a".repeat(80)))
            .expect(400, json!({ "detail": "Incorrect username or password" }), None)
            .differs("the tutorial answers 500; here it is an ordinary failed login"),
        Case::new("login asking for an undeclared scope", post, "/token")
            .form(&form("username=johndoe&password=secret&scope=me admin"))
            .expect(
                200,
                json!({ "access_token": { "sub": "johndoe", "scopes": ["me"] }, "token_type": "bearer" }),
                None,
            )
            .differs("the tutorial grants any requested scope; its Danger note says not to"),
    ]
}

/// What the demo app answers to `case`, in process.
///
/// # Panics
///
/// When the router fails, which it cannot.
pub async fn via_router(router: Router, case: &Case) -> Seen {
    let answer = answer(router, case.request()).await;
    Seen::new(answer.status.as_u16(), &answer.headers, &answer.body)
}

/// What the server at `base` answers to `case`, over HTTP.
///
/// # Panics
///
/// When the server cannot be reached.
pub async fn via_http(client: &reqwest::Client, base: &str, case: &Case) -> Seen {
    let mut request = client.request(case.method.clone(), format!("{base}{}", case.path));
    if let Some(value) = &case.authorization {
        request = request.header(
            HeaderName::from_static("authorization"),
            HeaderValue::from_bytes(value).expect("test header values have no CR/LF"),
        );
    }
    if let Some(form) = &case.form {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone());
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("the body arrives");
    Seen::new(status, &headers, &body)
}

/// A client that, like FastAPI's test clients, does not follow redirects.
///
/// # Panics
///
/// When the client cannot be built.
#[must_use]
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a plain HTTP client builds")
}

/// Logs in as johndoe at the server `base` with `scope`, returning `/token`'s JSON answer.
pub async fn login(client: &reqwest::Client, base: &str, scope: &str) -> Value {
    client
        .post(format!("{base}/token"))
        .form(&[
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", scope),
        ])
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("`/token` answers JSON")
}

/// The demo app with the tutorial's secret.
pub fn demo() -> Router {
    app(AppState::new(DEFAULT_SECRET_KEY.as_bytes()))
}
