//! `FastAPI`'s `OAuth2PasswordRequestForm` as an axum extractor, and the 422 answer it rejects with.
//!
//! The goal is wire compatibility with `FastAPI`: a client written against `FastAPI`'s OAuth 2.0
//! tutorial must get the same status and the same JSON body from axum. Every quirk reproduced
//! here was observed on the real `FastAPI` app; the table at the top of the test module lists them.

use std::borrow::Cow;
use std::fmt;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// The only value OAuth 2.0's password flow allows for `grant_type`, as `FastAPI`'s regex states it.
const GRANT_TYPE_PATTERN: &str = "^password$";

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
        // Decoding into string pairs cannot fail (every key and value is a valid string after
        // lossy decoding); an empty form is the answer that would be least surprising if it did.
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
        let mut raw = Self::default();
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "grant_type" => &mut raw.grant_type,
                "username" => &mut raw.common.username,
                "password" => &mut raw.common.password,
                "scope" => &mut raw.common.scope,
                "client_id" => &mut raw.common.client_id,
                "client_secret" => &mut raw.common.client_secret,
                _ => continue,
            };
            // FastAPI turns an empty form value into "absent", after picking the last one.
            *slot = Some(value).filter(|value| !value.is_empty());
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

/// Why [`OAuth2PasswordRequestForm`] or [`OAuth2PasswordRequestFormStrict`] rejected a request.
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

// The OpenAPI documentation of the form and of its 422 answer: the schemas `FastAPI` generates for
// `OAuth2PasswordRequestForm` and `RequestValidationError`, field for field and title for title.
// Written with utoipa's builders because a derive would document the parsed fields (`scopes`, a
// list) rather than the form as sent (`scope`, one string), and cannot say `format: password`.

/// A form field: a string with `FastAPI`'s title, nullable when `FastAPI` makes it optional.
fn form_field(title: &str, nullable: bool) -> ObjectBuilder {
    let schema_type = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .title(Some(title))
}

/// The form's schema; `strict` makes `grant_type` required and not nullable.
fn password_form_schema(strict: bool) -> ObjectBuilder {
    let password = Some(SchemaFormat::KnownFormat(KnownFormat::Password));
    let mut form = ObjectBuilder::new()
        .property(
            "grant_type",
            form_field("Grant Type", !strict).pattern(Some(GRANT_TYPE_PATTERN)),
        )
        .property("username", form_field("Username", false))
        .property(
            "password",
            form_field("Password", false).format(password.clone()),
        )
        .property(
            "scope",
            form_field("Scope", false).default(Some(Value::from(""))),
        )
        .property("client_id", form_field("Client Id", true))
        .property(
            "client_secret",
            form_field("Client Secret", true).format(password),
        );
    if strict {
        form = form.required("grant_type");
    }
    form.required("username").required("password")
}

/// Documents the form as sent (`application/x-www-form-urlencoded`), as `FastAPI` does: `scope` is
/// one space-separated string, `password` and `client_secret` have `format: password`.
impl PartialSchema for OAuth2PasswordRequestForm {
    fn schema() -> RefOr<Schema> {
        password_form_schema(false)
            .title(Some("OAuth2PasswordRequestForm"))
            .into()
    }
}

impl ToSchema for OAuth2PasswordRequestForm {}

/// Documents the form as sent, with `grant_type` required.
impl PartialSchema for OAuth2PasswordRequestFormStrict {
    fn schema() -> RefOr<Schema> {
        password_form_schema(true)
            .title(Some("OAuth2PasswordRequestFormStrict"))
            .into()
    }
}

impl ToSchema for OAuth2PasswordRequestFormStrict {}

/// `FastAPI`'s `HTTPValidationError`: `{"detail": [ValidationError, ..]}`.
impl PartialSchema for RequestValidationError {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property(
                "detail",
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(ValidationIssue::name()))
                    .title(Some("Detail")),
            )
            .title(Some("HTTPValidationError"))
            .into()
    }
}

impl ToSchema for RequestValidationError {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("HTTPValidationError")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            ValidationIssue::name().into_owned(),
            ValidationIssue::schema(),
        ));
    }
}

/// `FastAPI`'s `ValidationError`: `type`, `loc`, `msg`, `input` and `ctx`.
impl PartialSchema for ValidationIssue {
    fn schema() -> RefOr<Schema> {
        let location = AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Integer));
        ObjectBuilder::new()
            .property(
                "loc",
                ArrayBuilder::new().items(location).title(Some("Location")),
            )
            .property("msg", form_field("Message", false))
            .property("type", form_field("Error Type", false))
            .property(
                "input",
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .title(Some("Input")),
            )
            .property(
                "ctx",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .title(Some("Context")),
            )
            .required("loc")
            .required("msg")
            .required("type")
            .title(Some("ValidationError"))
            .into()
    }
}

impl ToSchema for ValidationIssue {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ValidationError")
    }
}

#[cfg(test)]
mod tests {
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

    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::routing::post;
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;

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
        let response = app()
            .oneshot(request.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
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
        format!(
            r#"{{"type":"missing","loc":["body","{field}"],"msg":"Field required","input":null}}"#
        )
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
            post_form("username=u&password=p&scope=a%C2%A0b%E3%80%80c%0Bd%1Ce%C2%85f%E2%80%A8g")
                .await,
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
