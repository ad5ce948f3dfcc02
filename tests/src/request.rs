//! Requests through a router in process (`oneshot`), and what a test reads of the answer.

use axum::Router;
use axum::body::{Body, Bytes};
use http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// An answer as a test reads it: status, headers and the whole body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Answer {
    /// The header `name` as text, if present.
    ///
    /// # Panics
    ///
    /// When the value is not visible ASCII.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("a visible ASCII header").to_owned())
    }

    /// The body as JSON, `null` when it is not JSON.
    #[must_use]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What `router` answers to `request`, in process: the one way the tests call a router.
///
/// # Panics
///
/// When the router fails (axum routers cannot) or the body exceeds 4 MiB.
pub async fn answer(router: Router, request: Request<Body>) -> Answer {
    let response = router
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 4 << 20)
        .await
        .expect("test bodies are small");
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// What `router` answers to `request` sent without a body: a request built header by header
/// (`Request::get(path).header(..)`).
///
/// # Panics
///
/// When the builder holds an invalid part.
pub async fn send(router: &Router, request: http::request::Builder) -> Answer {
    let request = request.body(Body::empty()).expect("a valid request");
    answer(router.clone(), request).await
}

/// What `router` answers to `GET path`, with `token` as a bearer token when given: the status,
/// the body as text and the `WWW-Authenticate` challenge (empty when there is none), what a test
/// of a guarded route compares.
///
/// # Panics
///
/// When `path` or `token` cannot be part of a request.
pub async fn call(
    router: &Router,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String, String) {
    let authorization = token.map(|token| format!("Bearer {token}"));
    let answer = answer(router.clone(), get(path, authorization.as_deref())).await;
    let challenge = answer.header("www-authenticate").unwrap_or_default();
    (answer.status, answer.text(), challenge)
}

/// A `GET path` request, with an `Authorization` header when given.
///
/// # Panics
///
/// When `authorization` cannot be a header value.
#[must_use]
pub fn get(path: &str, authorization: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.body(Body::empty()).expect("a valid request")
}
