//! `HttpError`: FastAPI's `HTTPException`.

use std::borrow::Cow;
use std::fmt;

use axum::response::{IntoResponse, Response};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use crate::scope::SecurityScopes;

/// An HTTP error answer: FastAPI's `HTTPException`.
///
/// Renders as its status with the JSON body `{"detail": <detail>}` and its extra headers.
/// Dependencies return it to stop a request, as the tutorial's `get_current_user` does:
///
/// ```
/// use axum_scopes::HttpError;
/// use http::{header::WWW_AUTHENTICATE, HeaderValue, StatusCode};
///
/// let error = HttpError::new(StatusCode::UNAUTHORIZED, "Could not validate credentials")
///     .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
/// assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
/// ```
#[derive(Clone)]
pub struct HttpError {
    status: StatusCode,
    detail: Detail,
    headers: HeaderMap,
}

#[derive(Clone)]
enum Detail {
    Text(Cow<'static, str>),
    Json(serde_json::Value),
}

impl HttpError {
    /// An error with a text `detail`.
    #[must_use]
    pub fn new(status: StatusCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            detail: Detail::Text(detail.into()),
            headers: HeaderMap::new(),
        }
    }

    /// An error whose `detail` is any JSON value, as FastAPI allows.
    #[must_use]
    pub fn with_json_detail(status: StatusCode, detail: serde_json::Value) -> Self {
        Self {
            status,
            detail: Detail::Json(detail),
            headers: HeaderMap::new(),
        }
    }

    /// 401 with `detail` and the challenge the tutorial's `get_current_user` answers with:
    /// `WWW-Authenticate: Bearer scope="<the scopes required>"` (bare `Bearer` when none are).
    ///
    /// ```
    /// use axum_scopes::{HttpError, Scope, SecurityScopes};
    ///
    /// let required = SecurityScopes::new([Scope::new("items"), Scope::new("me")]);
    /// let error = HttpError::unauthorized("Not enough permissions", &required);
    /// assert_eq!(error.headers()["www-authenticate"], "Bearer scope=\"items me\"");
    /// ```
    #[must_use]
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>, required: &SecurityScopes) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
            .with_header(http::header::WWW_AUTHENTICATE, required.bearer_challenge())
    }

    /// Adds a header to the answer, replacing any earlier value of the same name.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// The status code.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The extra headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpError")
            .field("status", &self.status)
            .field("detail", &self.to_string())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Detail::Text(text) => write!(f, "{}: {text}", self.status),
            Detail::Json(value) => write!(f, "{}: {value}", self.status),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for Response {
    fn from(error: HttpError) -> Self {
        error.into_response()
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let body = match self.detail {
            Detail::Text(text) => serde_json::json!({ "detail": text }),
            Detail::Json(value) => serde_json::json!({ "detail": value }),
        };
        super::render(self.status, "application/json", &body, self.headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn renders_detail_and_headers() {
        let response = HttpError::new(StatusCode::BAD_REQUEST, "Inactive user")
            .with_header(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            )
            .into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], br#"{"detail":"Inactive user"}"#);
    }
}
