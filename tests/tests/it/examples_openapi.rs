//! The OpenAPI document of each example in `runtime/examples/` (each included here as a module,
//! so the test sees the very router the example serves): valid per openapi-spec-validator, with
//! the example's security scheme and its per-operation requirement. `api_keys_and_cookies` is
//! also called in process, for its CSRF rule.

use axum_scopes_tests::openapi::validate_openapi;
use axum_scopes_tests::request::answer;
use http::Request;
use serde_json::{Value, json};

use crate::examples::{
    api_keys_and_cookies, auth_code_docs, client_credentials_service, idp_resource_server,
};

fn json_of(openapi: &utoipa::openapi::OpenApi) -> Value {
    serde_json::to_value(openapi).unwrap()
}

#[test]
fn auth_code_docs_documents_the_providers_flow() {
    let doc = json_of(&auth_code_docs::document("http://127.0.0.1:4999"));
    validate_openapi("example-auth_code_docs", &doc);
    let scheme = &doc["components"]["securitySchemes"]["OAuth2AuthorizationCodeBearer"];
    assert_eq!(scheme["type"], "oauth2");
    let flow = &scheme["flows"]["authorizationCode"];
    assert_eq!(flow["authorizationUrl"], "http://127.0.0.1:4999/auth");
    assert_eq!(flow["tokenUrl"], "http://127.0.0.1:4999/token");
    assert_eq!(
        flow["scopes"],
        json!({ "items": "Read items.", "me": "Read yourself." })
    );
    assert_eq!(
        doc["paths"]["/items"]["get"]["security"],
        json!([{ "OAuth2AuthorizationCodeBearer": ["items"] }])
    );
}

#[test]
fn client_credentials_service_documents_its_flow() {
    let doc = json_of(&client_credentials_service::router().1);
    validate_openapi("example-client_credentials_service", &doc);
    let scheme = &doc["components"]["securitySchemes"]["OAuth2"];
    assert_eq!(
        scheme["flows"]["clientCredentials"]["tokenUrl"],
        "http://127.0.0.1:4000/token"
    );
    assert_eq!(
        doc["paths"]["/reports"]["post"]["security"],
        json!([{ "OAuth2": ["reports:write"] }])
    );
}

#[test]
fn idp_resource_server_documents_a_bearer_jwt() {
    let doc = json_of(&idp_resource_server::router().1);
    validate_openapi("example-idp_resource_server", &doc);
    let scheme = &doc["components"]["securitySchemes"]["HTTPBearer"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"], &scheme["bearerFormat"]),
        (&json!("http"), &json!("bearer"), &json!("JWT"))
    );
    assert_eq!(
        doc["paths"]["/items"]["get"]["security"],
        json!([{ "HTTPBearer": ["items"] }])
    );
}

#[tokio::test]
async fn api_keys_and_cookies_documents_both_and_checks_the_origin() {
    let (router, openapi) = api_keys_and_cookies::router();
    let doc = json_of(&openapi);
    validate_openapi("example-api_keys_and_cookies", &doc);
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["APIKeyHeader"]["in"], "header");
    assert_eq!(schemes["APIKeyHeader"]["name"], "X-API-Key");
    assert_eq!(schemes["TokenCookie"]["in"], "cookie");
    assert_eq!(schemes["TokenCookie"]["name"], "access_token");

    let app = router.with_state(api_keys_and_cookies::state().await.unwrap());
    let key = Request::get("/reports")
        .header("x-api-key", "reports-key-0123456789abcdef")
        .body(axum::body::Body::empty())
        .unwrap();
    let seen = answer(app.clone(), key).await;
    assert_eq!(
        (seen.status.as_u16(), seen.json()),
        (200, json!("reports for reporting"))
    );

    let login = answer(
        app.clone(),
        Request::post("/login")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    let cookie = login.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let write = |origin: Option<&str>| {
        let mut request = Request::post("/items").header("cookie", &cookie);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.body(axum::body::Body::empty()).unwrap()
    };
    assert_eq!(answer(app.clone(), write(None)).await.status, 403);
    assert_eq!(
        answer(app.clone(), write(Some("https://evil.example")))
            .await
            .status,
        403
    );
    let allowed = answer(app.clone(), write(Some("http://127.0.0.1:8083"))).await;
    assert_eq!(
        (allowed.status.as_u16(), allowed.json()),
        (200, json!("stored for ann"))
    );
}
