//! Refusals as gRPC answers: the crate's one HTTP refusal ([`AuthError`]'s response), carried
//! over into a [`Status`] with its challenge in the metadata.

use axum::response::IntoResponse as _;
use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, StatusCode};
use tonic::metadata::MetadataMap;
use tonic::{Code, Status};

use crate::credential::AuthConfig;
use crate::jwt::TokenError;
use crate::rejection::AuthError;

/// `error` as a gRPC status: 401 → `UNAUTHENTICATED`, 403 → `PERMISSION_DENIED`, 400 →
/// `INVALID_ARGUMENT`, 503 → `UNAVAILABLE`, with the `WWW-Authenticate` challenges (and
/// `Retry-After`) of the HTTP answer as metadata. The message is fixed per code: no token, no
/// library error.
pub(crate) fn refusal(error: AuthError, config: &AuthConfig) -> Status {
    let response = error.with_config(config).into_response();
    let (code, message) = match response.status() {
        StatusCode::UNAUTHORIZED => (
            Code::Unauthenticated,
            "the call's credentials are missing or not accepted",
        ),
        StatusCode::FORBIDDEN => (
            Code::PermissionDenied,
            "the token does not grant the scopes this method requires",
        ),
        StatusCode::BAD_REQUEST => (
            Code::InvalidArgument,
            "the call's credentials are malformed",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            Code::Unavailable,
            "tokens cannot be checked now; retry later",
        ),
        _ => (Code::Internal, "the call could not be authorized"),
    };
    let mut metadata = HeaderMap::new();
    for name in [WWW_AUTHENTICATE, RETRY_AFTER] {
        for value in response.headers().get_all(&name) {
            metadata.append(name.clone(), value.clone());
        }
    }
    Status::with_metadata(code, message, MetadataMap::from_headers(metadata))
}

/// The status that ends a call whose token is no longer accepted: `UNAUTHENTICATED` with the
/// token error's reason (`expired`, `revoked`), or `UNAVAILABLE` while revocations cannot be
/// vouched for.
pub(crate) fn ended(error: &TokenError) -> Status {
    let code = match error {
        TokenError::RevocationsUnavailable => Code::Unavailable,
        _ => Code::Unauthenticated,
    };
    Status::new(
        code,
        format!("the call's token is no longer accepted: {}", error.reason()),
    )
}

/// The status of a call to a method that declares no requirement.
pub(crate) fn undeclared() -> Status {
    Status::permission_denied("this method declares no requirement and is refused")
}
