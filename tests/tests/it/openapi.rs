//! OpenAPI documents from the declarations: security requirements in FastAPI's order, the
//! scheme, and the dependencies' failure answers; and the utoipa integration the macros rely on.

use axum::Json;
use axum_scopes::openapi::SchemeAddon;
use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::oauth2_password_bearer! {
    /// The scheme.
    pub(crate) Oauth2 { token_url: "token", scopes: { "me" => "Me.", "items" => "Items." } }
}

/// What `current_user` answers when it fails.
#[derive(utoipa::IntoResponses)]
#[allow(
    dead_code,
    reason = "read for its OpenAPI answers only: `current_user` fails with an `HttpError`"
)]
pub(crate) enum CurrentUserErrors {
    /// No or bad credentials.
    #[response(status = 401, description = "Not authenticated")]
    Unauthorized,
}

#[dependency(responses = CurrentUserErrors)]
async fn current_user(
    scopes: SecurityScopes,
    _token: BearerToken<Oauth2>,
) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[dependency]
#[requires_scopes("me")]
async fn active_user(user: Security<current_user>) -> Result<String, HttpError> {
    Ok(user.into_inner())
}

#[requires_scopes("items")]
#[utoipa::path(get, path = "/items/", responses((status = 200, description = "The items")))]
async fn read_items(user: Security<active_user>) -> Json<String> {
    Json(user.into_inner())
}

#[requires_scopes]
#[utoipa::path(get, path = "/status/")]
async fn status(_user: Security<current_user>) -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[requires_scopes]
#[utoipa::path(get, path = "/two/")]
async fn two_chains(
    #[security(scopes = ["items"])] _a: Security<current_user>,
    _b: Security<active_user>,
) -> Json<Value> {
    Json(json!({}))
}

#[utoipa::path(get, path = "/open/")]
async fn open() -> Json<Value> {
    Json(json!({}))
}

fn document() -> Value {
    let (_router, mut openapi): (axum::Router, _) = OpenApiRouter::new()
        .routes(routes!(read_items))
        .routes(routes!(status))
        .routes(routes!(two_chains))
        .routes(routes!(open))
        .split_for_parts();
    SchemeAddon::<Oauth2>::apply(&mut openapi);
    serde_json::to_value(&openapi).unwrap()
}

#[test]
fn security_in_fastapi_order() {
    let doc = document();
    assert_eq!(
        doc["paths"]["/items/"]["get"]["security"],
        json!([{ "OAuth2PasswordBearer": ["items", "me"] }])
    );
    assert_eq!(
        doc["paths"]["/status/"]["get"]["security"],
        json!([{ "OAuth2PasswordBearer": [] }])
    );
    assert_eq!(
        doc["paths"]["/two/"]["get"]["security"],
        json!([{ "OAuth2PasswordBearer": ["items", "me"] }]),
        "two chains merge per scheme"
    );
    assert!(doc["paths"]["/open/"]["get"].get("security").is_none());
}

#[test]
fn scheme_and_failure_answers() {
    let doc = document();
    assert_eq!(
        doc["components"]["securitySchemes"]["OAuth2PasswordBearer"],
        json!({
            "type": "oauth2",
            "flows": { "password": { "tokenUrl": "token", "scopes": { "items": "Items.", "me": "Me." } } }
        })
    );
    let items = &doc["paths"]["/items/"]["get"]["responses"];
    assert_eq!(items["200"]["description"], "The items");
    assert_eq!(items["401"]["description"], "Not authenticated");
}

#[test]
fn route_table_and_secure_by_default() {
    let (_router, mut openapi): (axum::Router, _) = OpenApiRouter::new()
        .routes(routes!(read_items))
        .routes(routes!(status))
        .routes(routes!(open))
        .split_for_parts();
    SchemeAddon::<Oauth2>::apply(&mut openapi);
    assert_eq!(
        axum_scopes::openapi::route_table(&openapi),
        "GET /items/   OAuth2PasswordBearer: items me\n\
         GET /open/    public\n\
         GET /status/  OAuth2PasswordBearer: authenticated\n"
    );
    let error = axum_scopes::openapi::assert_secure(&openapi, &[]).unwrap_err();
    assert_eq!(error.routes, ["GET /open/"]);
    assert!(axum_scopes::openapi::assert_secure(&openapi, &["GET /open/"]).is_ok());
}
