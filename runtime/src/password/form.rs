//! `FastAPI`'s `OAuth2PasswordRequestForm` as an axum extractor: reading the form and
//! validating it. Its 422 answer is in `rejection.rs`, its OpenAPI schemas in `schema.rs`.
//!
//! The goal is wire compatibility with `FastAPI`: a client written against `FastAPI`'s OAuth 2.0
//! tutorial must get the same status and the same JSON body from axum. Every quirk reproduced
//! here was observed on the real `FastAPI` app; the table at the top of
//! `tests/tests/it/password_form.rs` lists them.

use std::fmt;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use http::HeaderMap;
use http::header::CONTENT_TYPE;

use super::rejection::{OAuth2FormRejection, RequestValidationError, ValidationIssue};

/// The only value OAuth 2.0's password flow allows for `grant_type`, as `FastAPI`'s regex states it.
pub(super) const GRANT_TYPE_PATTERN: &str = "^password$";

/// What [`Debug`](fmt::Debug) prints instead of a secret.
const REDACTED: &str = "[redacted]";

/// The OAuth 2.0 password-flow form (RFC 6749 §4.3.2), like `FastAPI`'s `OAuth2PasswordRequestForm`.
///
/// Use it as the last argument of the handler behind your token URL. It reads an
/// `application/x-www-form-urlencoded` body with these fields:
///
/// | form field      | becomes          | when absent or empty                 |
/// |-----------------|------------------|--------------------------------------|
/// | `grant_type`    | `grant_type`     | `None`; when present it must be exactly `password` |
/// | `username`      | `username`       | rejected: `missing`                  |
/// | `password`      | `password`       | rejected: `missing`                  |
/// | `scope`         | `scopes`         | empty `Vec`                          |
/// | `client_id`     | `client_id`      | `None`                               |
/// | `client_secret` | `client_secret`  | `None`                               |
///
/// As in `FastAPI`, a field sent empty (`username=`) counts as absent, a field sent twice keeps its
/// last value, unknown fields are ignored, and `scope` is split on any whitespace with empty
/// pieces dropped, so `scope=me%20%20items` gives `["me", "items"]`.
///
/// A request whose `Content-Type` is not `application/x-www-form-urlencoded` (parameters such as
/// `charset` are allowed) is treated as an empty form, which `FastAPI` does too: it gets a 422
/// naming the missing fields, not a 415. Unlike `FastAPI`, `multipart/form-data` is not parsed
/// either. Values are decoded as UTF-8, invalid sequences becoming U+FFFD, and malformed `%`
/// escapes are kept as they are.
///
/// # Rejections
///
/// [`OAuth2FormRejection`]: a 422 [`RequestValidationError`] listing every invalid field in field
/// order, or the body error axum gives for an unreadable body (413 beyond the
/// [`DefaultBodyLimit`](axum::extract::DefaultBodyLimit), 2 MB unless configured).
///
/// # Example
///
/// ```ignore
/// async fn token(form: OAuth2PasswordRequestForm) -> String {
///     format!("{} asks for {:?}", form.username, form.scopes)
/// }
/// let app: axum::Router = axum::Router::new().route("/token", axum::routing::post(token));
/// ```
///
/// `Debug` prints `password` and `client_secret` as `"[redacted]"`.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuth2PasswordRequestForm {
    /// `grant_type`: `None` when absent or empty, otherwise always `"password"`.
    pub grant_type: Option<String>,
    /// `username`, never empty.
    pub username: String,
    /// `password`, never empty.
    pub password: String,
    /// The `scope` field split on whitespace; empty when the field is absent.
    pub scopes: Vec<String>,
    /// `client_id`: `None` when absent or empty.
    pub client_id: Option<String>,
    /// `client_secret`: `None` when absent or empty.
    pub client_secret: Option<String>,
}

/// [`OAuth2PasswordRequestForm`] with `grant_type` required, like `FastAPI`'s
/// `OAuth2PasswordRequestFormStrict`.
///
/// Everything else behaves as in [`OAuth2PasswordRequestForm`]; a request without
/// `grant_type=password` is rejected with a 422 (`missing` when absent or empty,
/// `string_pattern_mismatch` for any other value).
///
/// `Debug` prints `password` and `client_secret` as `"[redacted]"`.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuth2PasswordRequestFormStrict {
    /// `grant_type`, always `"password"`.
    pub grant_type: String,
    /// `username`, never empty.
    pub username: String,
    /// `password`, never empty.
    pub password: String,
    /// The `scope` field split on whitespace; empty when the field is absent.
    pub scopes: Vec<String>,
    /// `client_id`: `None` when absent or empty.
    pub client_id: Option<String>,
    /// `client_secret`: `None` when absent or empty.
    pub client_secret: Option<String>,
}

impl fmt::Debug for OAuth2PasswordRequestForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2PasswordRequestForm")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("scopes", &self.scopes)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

impl fmt::Debug for OAuth2PasswordRequestFormStrict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2PasswordRequestFormStrict")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("password", &REDACTED)
            .field("scopes", &self.scopes)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

impl<S> FromRequest<S> for OAuth2PasswordRequestForm
where
    S: Send + Sync,
{
    type Rejection = OAuth2FormRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawForm::from_request(req, state).await?;
        Ok(Self::validate(raw)?)
    }
}

impl<S> FromRequest<S> for OAuth2PasswordRequestFormStrict
where
    S: Send + Sync,
{
    type Rejection = OAuth2FormRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawForm::from_request(req, state).await?;
        Ok(Self::validate(raw)?)
    }
}

impl OAuth2PasswordRequestForm {
    fn validate(raw: RawForm) -> Result<Self, RequestValidationError> {
        let mut errors = Vec::new();
        // Checked first because FastAPI reports fields in declaration order.
        let grant_type = match raw.grant_type {
            None => Some(None),
            Some(value) => check_grant_type(value, &mut errors).map(Some),
        };
        let common = Common::validate(raw.common, &mut errors);
        match (grant_type, common) {
            (Some(grant_type), Some(common)) => Ok(Self {
                grant_type,
                username: common.username,
                password: common.password,
                scopes: common.scopes,
                client_id: common.client_id,
                client_secret: common.client_secret,
            }),
            _ => Err(RequestValidationError::new(errors)),
        }
    }
}

impl OAuth2PasswordRequestFormStrict {
    fn validate(raw: RawForm) -> Result<Self, RequestValidationError> {
        let mut errors = Vec::new();
        let grant_type = required("grant_type", raw.grant_type, &mut errors)
            .and_then(|value| check_grant_type(value, &mut errors));
        let common = Common::validate(raw.common, &mut errors);
        match (grant_type, common) {
            (Some(grant_type), Some(common)) => Ok(Self {
                grant_type,
                username: common.username,
                password: common.password,
                scopes: common.scopes,
                client_id: common.client_id,
                client_secret: common.client_secret,
            }),
            _ => Err(RequestValidationError::new(errors)),
        }
    }
}

/// The fields both forms validate the same way, in `FastAPI`'s declaration order after `grant_type`.
struct Common {
    username: String,
    password: String,
    scopes: Vec<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl Common {
    /// `None` when an issue was pushed onto `errors`.
    fn validate(raw: RawCommon, errors: &mut Vec<ValidationIssue>) -> Option<Self> {
        let username = required("username", raw.username, errors);
        let password = required("password", raw.password, errors);
        Some(Self {
            username: username?,
            password: password?,
            scopes: raw.scope.as_deref().map(split_scopes).unwrap_or_default(),
            client_id: raw.client_id,
            client_secret: raw.client_secret,
        })
    }
}

/// The form as sent, before validation: the last non-empty value of each known field.
#[derive(Debug, Default, PartialEq, Eq)]
struct RawForm {
    grant_type: Option<String>,
    common: RawCommon,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct RawCommon {
    username: Option<String>,
    password: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl RawForm {
    async fn from_request<S>(req: Request, state: &S) -> Result<Self, BytesRejection>
    where
        S: Send + Sync,
    {
        if !has_form_content_type(req.headers()) {
            // FastAPI does not read such a body at all, so neither do we: the caller gets a 422
            // naming the missing fields, even when the body is larger than the body limit.
            tracing::debug!(
                "OAuth2 password form: Content-Type is not a urlencoded form, body ignored"
            );
            return Ok(Self::default());
        }
        let body = Bytes::from_request(req, state).await?;
        Ok(Self::parse(&body))
    }

    /// Decodes an `application/x-www-form-urlencoded` body.
    ///
    /// Never fails, as in `FastAPI`: malformed escapes stay literal and invalid UTF-8 becomes
    /// U+FFFD. Pairs rather than a derived struct because serde rejects duplicate fields, and
    /// `FastAPI` lets the last occurrence win.
    fn parse(body: &[u8]) -> Self {
        let mut raw = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let slot = match &*key {
                "grant_type" => &mut raw.grant_type,
                "username" => &mut raw.common.username,
                "password" => &mut raw.common.password,
                "scope" => &mut raw.common.scope,
                "client_id" => &mut raw.common.client_id,
                "client_secret" => &mut raw.common.client_secret,
                _ => continue,
            };
            // FastAPI turns an empty form value into "absent", after picking the last one.
            *slot = Some(value.into_owned()).filter(|value| !value.is_empty());
        }
        raw
    }
}

/// Whether `FastAPI` would parse this body as a urlencoded form.
fn has_form_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Pushes a `missing` issue when the field is absent.
fn required(
    field: &str,
    value: Option<String>,
    errors: &mut Vec<ValidationIssue>,
) -> Option<String> {
    if value.is_none() {
        errors.push(ValidationIssue::missing(&["body", field]));
    }
    value
}

/// Pushes a `string_pattern_mismatch` issue unless `value` is exactly `password`.
fn check_grant_type(value: String, errors: &mut Vec<ValidationIssue>) -> Option<String> {
    if value == "password" {
        Some(value)
    } else {
        errors.push(ValidationIssue::pattern_mismatch(
            &["body", "grant_type"],
            GRANT_TYPE_PATTERN,
            value,
        ));
        None
    }
}

/// Python's `str.split()`: split on runs of whitespace, dropping empty pieces.
fn split_scopes(scope: &str) -> Vec<String> {
    scope
        .split(is_python_whitespace)
        .filter(|piece| !piece.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Python's `str.isspace()`: Unicode `White_Space` plus the four ASCII information separators.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = "application/x-www-form-urlencoded";

    #[test]
    fn debug_redacts_secrets() {
        let form = OAuth2PasswordRequestForm {
            grant_type: None,
            username: "johndoe".to_owned(),
            password: "hunter2".to_owned(),
            scopes: vec!["me".to_owned()],
            client_id: Some("app".to_owned()),
            client_secret: Some("s3cret".to_owned()),
        };
        let printed = format!("{form:?}");
        assert_eq!(
            printed,
            r#"OAuth2PasswordRequestForm { grant_type: None, username: "johndoe", password: "[redacted]", scopes: ["me"], client_id: Some("app"), client_secret: Some("[redacted]") }"#
        );
        let strict = OAuth2PasswordRequestFormStrict {
            grant_type: "password".to_owned(),
            username: form.username,
            password: form.password,
            scopes: Vec::new(),
            client_id: None,
            client_secret: None,
        };
        let printed = format!("{strict:#?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains(r#"password: "[redacted]""#), "{printed}");
        assert!(printed.contains("client_secret: None"), "{printed}");
    }

    #[test]
    fn validation_error_is_inspectable_and_displays_without_input() {
        let raw = RawForm::parse(b"grant_type=s3cret-typo&password=x");
        let error = OAuth2PasswordRequestForm::validate(raw).unwrap_err();
        let kinds: Vec<&str> = error
            .errors()
            .iter()
            .map(|issue| issue.kind.as_str())
            .collect();
        assert_eq!(kinds, ["string_pattern_mismatch", "missing"]);
        assert_eq!(error.errors()[1].loc, ["body", "username"]);
        assert_eq!(error.errors()[0].input, "s3cret-typo");
        assert_eq!(
            error.to_string(),
            "request validation failed: body.grant_type: String should match pattern '^password$'; \
             body.username: Field required"
        );
    }

    #[test]
    fn parse_keeps_last_non_empty_value_of_known_fields() {
        let raw =
            RawForm::parse(b"username=a&username=b&scope=&client_id=c&client_id=&other=x&password");
        assert_eq!(
            raw,
            RawForm {
                grant_type: None,
                common: RawCommon {
                    username: Some("b".to_owned()),
                    password: None,
                    scope: None,
                    client_id: None,
                    client_secret: None,
                },
            }
        );
    }

    #[test]
    fn split_scopes_matches_python_str_split() {
        assert_eq!(
            split_scopes("  me\titems\n\u{3000}x "),
            ["me", "items", "x"]
        );
        assert!(split_scopes(" \t ").is_empty());
        // Every character Python 3.11's `str.isspace()` accepts, and nothing else below U+3001.
        let python: Vec<u32> = [
            0x9..=0xd,
            0x1c..=0x20,
            0x85..=0x85,
            0xa0..=0xa0,
            0x1680..=0x1680,
        ]
        .into_iter()
        .chain([
            0x2000..=0x200a,
            0x2028..=0x2029,
            0x202f..=0x202f,
            0x205f..=0x205f,
            0x3000..=0x3000,
        ])
        .flatten()
        .collect();
        let ours: Vec<u32> = (0..=0x3000)
            .filter_map(char::from_u32)
            .filter(|&c| is_python_whitespace(c))
            .map(u32::from)
            .collect();
        assert_eq!(ours, python);
    }

    #[test]
    fn form_content_type_detection() {
        let mut headers = HeaderMap::new();
        assert!(!has_form_content_type(&headers));
        for (value, expected) in [
            (FORM, true),
            ("APPLICATION/X-WWW-FORM-URLENCODED;charset=utf-8", true),
            (" application/x-www-form-urlencoded ", true),
            ("multipart/form-data; boundary=x", false),
            ("application/x-www-form-urlencoded+json", false),
            ("", false),
        ] {
            headers.insert(CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(has_form_content_type(&headers), expected, "{value}");
        }
    }
}
