//! The answers the password forms reject with: `FastAPI`'s 422 `RequestValidationError`, or
//! axum's own answer when the body cannot be read.

use std::fmt;

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

/// Why [`OAuth2PasswordRequestForm`](super::OAuth2PasswordRequestForm) or
/// [`OAuth2PasswordRequestFormStrict`](super::OAuth2PasswordRequestFormStrict) rejected a request.
///
/// Its response is the one of the error it wraps.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuth2FormRejection {
    /// The form was read but some fields are missing or invalid: 422.
    #[error(transparent)]
    Invalid(#[from] RequestValidationError),
    /// The body could not be read: axum's own answer, e.g. 413 when it exceeds the body limit.
    #[error(transparent)]
    Body(#[from] BytesRejection),
}

impl IntoResponse for OAuth2FormRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Invalid(error) => error.into_response(),
            Self::Body(error) => error.into_response(),
        }
    }
}

/// A request failed validation, like `FastAPI`'s `RequestValidationError`.
///
/// Responds with `422 Unprocessable Entity` and `FastAPI`'s JSON body, each issue serialized as
/// [`ValidationIssue`] documents:
///
/// ```json
/// {"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null}]}
/// ```
///
/// `Display` lists each issue's location and message, never its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("request validation failed: {}", IssueList(.errors))]
#[non_exhaustive]
pub struct RequestValidationError {
    errors: Vec<ValidationIssue>,
}

impl RequestValidationError {
    pub(crate) fn new(errors: Vec<ValidationIssue>) -> Self {
        Self { errors }
    }

    /// Every issue found, in the order `FastAPI` reports them (the order fields are declared).
    #[must_use]
    pub fn errors(&self) -> &[ValidationIssue] {
        &self.errors
    }
}

impl IntoResponse for RequestValidationError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            detail: Vec<ValidationIssue>,
        }
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(Body {
                detail: self.errors,
            }),
        )
            .into_response()
    }
}

/// `Display` helper: `body.username: Field required; body.password: Field required`.
struct IssueList<'a>(&'a [ValidationIssue]);

impl fmt::Display for IssueList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", issue.loc.join("."), issue.msg)?;
        }
        Ok(())
    }
}

/// One entry of a [`RequestValidationError`], shaped like a pydantic v2 error as `FastAPI` sends it.
///
/// Serializes with the keys in `FastAPI`'s order: `type`, `loc`, `msg`, `input`, then `ctx` only
/// when there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ValidationIssue {
    /// pydantic's error type, e.g. `"missing"` or `"string_pattern_mismatch"`; sent as `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where the problem is, e.g. `["body", "username"]`.
    pub loc: Vec<String>,
    /// Human-readable message, e.g. `"Field required"`.
    pub msg: String,
    /// The offending value as received; `null` for a missing field.
    pub input: Value,
    /// Extra values the message refers to, e.g. `{"pattern": "^password$"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Map<String, Value>>,
}

impl ValidationIssue {
    /// pydantic's `missing`; its `input` is always `null` in `FastAPI`, even when other fields came.
    pub(crate) fn missing(loc: &[&str]) -> Self {
        Self {
            kind: "missing".to_owned(),
            loc: loc.iter().map(|&part| part.to_owned()).collect(),
            msg: "Field required".to_owned(),
            input: Value::Null,
            ctx: None,
        }
    }

    /// pydantic's `string_pattern_mismatch`.
    pub(crate) fn pattern_mismatch(loc: &[&str], pattern: &str, input: String) -> Self {
        let mut ctx = Map::new();
        ctx.insert("pattern".to_owned(), Value::from(pattern));
        Self {
            kind: "string_pattern_mismatch".to_owned(),
            loc: loc.iter().map(|&part| part.to_owned()).collect(),
            msg: format!("String should match pattern '{pattern}'"),
            input: Value::String(input),
            ctx: Some(ctx),
        }
    }
}
