//! Rejections and how they are answered: [`HttpError`] (FastAPI's `HTTPException`) and
//! [`AuthError`] (RFC 6750), rendered by one function.

mod auth;
mod challenge;
mod http_error;

use axum::body::Body;
use axum::response::Response;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};

pub use self::auth::{AuthError, AuthErrorKind, CredentialKind, ErrorStyle, InvalidRequest};
pub(crate) use self::challenge::DpopChallenge;
pub use self::challenge::{
    InvalidRealm, InvalidResourceMetadata, Realm, ResourceMetadata, challenge,
};
pub use self::http_error::HttpError;

/// The one rendering of an error answer: `status`, a JSON `body` of `content_type`, and
/// `headers` (which may not override the content type).
pub(crate) fn render(
    status: StatusCode,
    content_type: &'static str,
    body: &serde_json::Value,
    headers: HeaderMap,
) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
