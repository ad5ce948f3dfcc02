//! The OpenAPI documentation of the password forms and of their 422 answer: the schemas
//! `FastAPI` generates for `OAuth2PasswordRequestForm` and `RequestValidationError`, field for
//! field and title for title.
//!
//! Written with utoipa's builders because a derive would document the parsed fields (`scopes`, a
//! list) rather than the form as sent (`scope`, one string), and cannot say `format: password`.

use std::borrow::Cow;

use serde_json::Value;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::form::{GRANT_TYPE_PATTERN, OAuth2PasswordRequestForm, OAuth2PasswordRequestFormStrict};
use super::rejection::{RequestValidationError, ValidationIssue};

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
