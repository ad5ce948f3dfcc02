//! The bearer token extractor.

use std::fmt;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::rejection::HttpError;
use crate::scheme::{Scheme, SchemeInfo};

/// The bearer token of the `Authorization` header, for the scheme `S`: FastAPI's
/// `OAuth2PasswordBearer`.
///
/// Extraction behaves like FastAPI's: the header's first value is split at its first space, the
/// scheme is compared case-insensitively with `Bearer` and the rest is trimmed. A missing header
/// or another scheme is rejected with 401 `{"detail":"Not authenticated"}` and
/// `WWW-Authenticate: Bearer`. As `Option<BearerToken<S>>` (FastAPI's `auto_error=False`) it
/// yields `None` instead.
///
/// The token is not verified here: that is the job of the dependency that takes it. Its bytes
/// are kept as sent, which may not be ASCII; verification then fails like for any bad token.
/// Extraction shares the header's buffer and allocates nothing.
pub struct BearerToken<S> {
    header: HeaderValue,
    start: usize,
    end: usize,
    scheme: PhantomData<fn() -> S>,
}

impl<S> BearerToken<S> {
    /// The token's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.header.as_bytes()[self.start..self.end]
    }

    /// The token as text, or `None` when it is not UTF-8.
    #[must_use]
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }
}

impl<S> AsRef<[u8]> for BearerToken<S> {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl<S> Clone for BearerToken<S> {
    fn clone(&self) -> Self {
        Self {
            header: self.header.clone(),
            start: self.start,
            end: self.end,
            scheme: PhantomData,
        }
    }
}

impl<S> fmt::Debug for BearerToken<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a credential: never print it.
        f.debug_struct("BearerToken")
            .field("token", &"[redacted]")
            .finish()
    }
}

/// Finds the bearer token in `parts`, as FastAPI's `OAuth2PasswordBearer` does.
///
/// Returns the token's byte range within the first `Authorization` value, or `None` when that
/// header is missing or names another scheme. An empty token (`Bearer ` alone) is returned as an
/// empty range, as FastAPI passes it on to the dependency.
#[must_use]
pub fn bearer_token(parts: &Parts) -> Option<(HeaderValue, std::ops::Range<usize>)> {
    let header = parts.headers.get(AUTHORIZATION)?;
    let range = bearer_range(header.as_bytes())?;
    Some((header.clone(), range))
}

/// Where the token is in an `Authorization` value of the `Bearer` scheme (case-insensitive),
/// trimmed as FastAPI trims it; `None` for another scheme.
pub(crate) fn bearer_range(value: &[u8]) -> Option<std::ops::Range<usize>> {
    scheme_range(value, b"bearer")
}

/// Where the token is in an `Authorization` value of the `DPoP` scheme (case-insensitive),
/// trimmed as [`bearer_range`] trims; `None` for another scheme.
pub(crate) fn dpop_range(value: &[u8]) -> Option<std::ops::Range<usize>> {
    scheme_range(value, b"dpop")
}

fn scheme_range(value: &[u8], name: &[u8]) -> Option<std::ops::Range<usize>> {
    let (scheme, rest, rest_start) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..], space + 1),
        None => (value, &[][..], value.len()),
    };
    if !scheme.eq_ignore_ascii_case(name) {
        return None;
    }
    let leading = rest.iter().take_while(|b| is_strip_space(**b)).count();
    let trailing = rest[leading..]
        .iter()
        .rev()
        .take_while(|b| is_strip_space(**b))
        .count();
    Some(rest_start + leading..rest_start + rest.len() - trailing)
}

/// The ASCII characters Python's `str.strip()` removes, as FastAPI trims the token with it.
fn is_strip_space(byte: u8) -> bool {
    matches!(
        byte,
        b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f
    )
}

/// The rejection of [`BearerToken`]: no bearer credentials in the request.
///
/// Renders as 401 `{"detail":"Not authenticated"}` with `WWW-Authenticate: Bearer`, like
/// FastAPI's `OAuth2PasswordBearer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request has no bearer token")]
#[non_exhaustive]
pub struct MissingBearerToken;

impl IntoResponse for MissingBearerToken {
    fn into_response(self) -> Response {
        HttpError::new(StatusCode::UNAUTHORIZED, "Not authenticated")
            .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            .into_response()
    }
}

impl<St, S> FromRequestParts<St> for BearerToken<S>
where
    St: Send + Sync,
    S: Scheme,
{
    type Rejection = MissingBearerToken;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        let (header, range) = bearer_token(parts).ok_or(MissingBearerToken)?;
        Ok(Self {
            header,
            start: range.start,
            end: range.end,
            scheme: PhantomData,
        })
    }
}

impl<St, S> OptionalFromRequestParts<St> for BearerToken<S>
where
    St: Send + Sync,
    S: Scheme,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &St,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Self as FromRequestParts<St>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

/// An extractor that carries a credential of a [`Scheme`].
///
/// The static scope tree records which scheme each dependency chain ends in through this trait,
/// so scopes can be documented and checked against that scheme's catalogue.
pub trait Credential {
    /// The scheme's description.
    const SCHEME: SchemeInfo;
}

impl<S: Scheme> Credential for BearerToken<S> {
    const SCHEME: SchemeInfo = S::INFO;
}

impl<S: Scheme> Credential for Option<BearerToken<S>> {
    const SCHEME: SchemeInfo = S::INFO;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &[u8]) -> Option<Vec<u8>> {
        bearer_range(value).map(|range| value[range].to_vec())
    }

    #[test]
    fn fastapi_parsing() {
        assert_eq!(token(b"Bearer abc"), Some(b"abc".to_vec()));
        assert_eq!(token(b"bEaReR abc"), Some(b"abc".to_vec()));
        assert_eq!(token(b"Bearer   abc  "), Some(b"abc".to_vec()));
        assert_eq!(token(b"Bearer a b"), Some(b"a b".to_vec()));
        assert_eq!(token(b"Bearer "), Some(Vec::new()));
        assert_eq!(token(b"Bearer"), Some(Vec::new()));
        assert_eq!(token(b"Bearer \xe9"), Some(b"\xe9".to_vec()));
        assert_eq!(token(b"Basic abc"), None);
        assert_eq!(token(b"Bearerabc"), None);
        assert_eq!(token(b""), None);
        assert_eq!(token(b" Bearer abc"), None);
    }
}
