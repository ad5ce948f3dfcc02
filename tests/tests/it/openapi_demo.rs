//! The demo's OpenAPI document: FastAPI's entries for the tutorial, valid for an independent
//! validator, and in agreement with what the routes enforce, probed scope subset by scope subset.
//!
//! utoipa 6 emits OpenAPI 3.1.0 (as FastAPI does): nullable fields are `"type": [.., "null"]`.
//! The validator is `openapi-spec-validator` from `PyPI`, installed into `target/venv` by
//! `tests/run-all.sh` (`OPENAPI_SPEC_VALIDATOR` names another executable).

use axum::body::Body;
use axum_scopes_tests::openapi::validate_openapi;
use axum_scopes_tests::request::answer;
use axum_scopes_tests::token::token_for;
use axum_scopes_tests::tutorial::demo;
use http::{Method, Request};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The document as the demo serves it at `/openapi.json`.
async fn served_document() -> Value {
    let reply = answer(
        demo(),
        Request::get("/openapi.json").body(Body::empty()).unwrap(),
    )
    .await;
    let (status, body) = (reply.status.as_u16(), reply.json());
    assert_eq!(status, 200, "/openapi.json: {body}");
    body
}

#[tokio::test]
async fn served_document_is_the_library_document() {
    let served = served_document().await;
    assert_eq!(
        served,
        serde_json::to_value(axum_scopes_demo::openapi()).unwrap()
    );
    assert_eq!(served["openapi"], "3.1.0");
}

#[tokio::test]
async fn security_entries_are_fastapis() {
    let doc = served_document().await;
    let paths = &doc["paths"];
    assert_eq!(
        paths["/users/me/"]["get"]["security"],
        json!([{ "OAuth2PasswordBearer": ["me"] }])
    );
    assert_eq!(
        paths["/users/me/items/"]["get"]["security"],
        json!([{ "OAuth2PasswordBearer": ["items", "me"] }])
    );
    assert_eq!(
        paths["/status/"]["get"]["security"],
        json!([{ "OAuth2PasswordBearer": [] }])
    );
    assert!(paths["/token"]["post"].get("security").is_none());
    assert!(doc.get("security").is_none(), "no global requirement");
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({ "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": { "password": {
                "scopes": {
                    "me": "Read information about the current user.",
                    "items": "Read items.",
                },
                "tokenUrl": "token",
            } },
        } })
    );
}

#[tokio::test]
async fn operations_are_named_as_in_fastapi() {
    let doc = served_document().await;
    let mut seen = Vec::new();
    for (path, method, operation_id, summary) in [
        (
            "/token",
            "post",
            "login_for_access_token_token_post",
            "Login For Access Token",
        ),
        (
            "/users/me/",
            "get",
            "read_users_me_users_me__get",
            "Read Users Me",
        ),
        (
            "/users/me/items/",
            "get",
            "read_own_items_users_me_items__get",
            "Read Own Items",
        ),
        (
            "/status/",
            "get",
            "read_system_status_status__get",
            "Read System Status",
        ),
    ] {
        let operation = &doc["paths"][path][method];
        assert_eq!(operation["operationId"], operation_id, "{path}");
        assert_eq!(operation["summary"], summary, "{path}");
        assert_eq!(
            operation["responses"]["200"]["description"], "Successful Response",
            "{path}"
        );
        seen.push(path);
    }
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    seen.sort_unstable();
    assert_eq!(paths, seen, "the document has exactly the tutorial's paths");
}

#[tokio::test]
async fn token_operation_documents_the_password_form() {
    let doc = served_document().await;
    let token = &doc["paths"]["/token"]["post"];
    let body = &token["requestBody"];
    assert_eq!(body["required"], true);
    let content = body["content"].as_object().unwrap();
    assert_eq!(
        content.keys().collect::<Vec<_>>(),
        ["application/x-www-form-urlencoded"]
    );
    let reference = content["application/x-www-form-urlencoded"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let name = reference.strip_prefix("#/components/schemas/").unwrap();
    let form = &doc["components"]["schemas"][name];
    // FastAPI's `Body_login_for_access_token_token_post`, with 3.1's `type: [.., "null"]` where
    // FastAPI writes `anyOf: [.., {"type": "null"}]`.
    assert_eq!(
        form["properties"],
        json!({
            "grant_type": { "type": ["string", "null"], "pattern": "^password$", "title": "Grant Type" },
            "username": { "type": "string", "title": "Username" },
            "password": { "type": "string", "format": "password", "title": "Password" },
            "scope": { "type": "string", "default": "", "title": "Scope" },
            "client_id": { "type": ["string", "null"], "title": "Client Id" },
            "client_secret": { "type": ["string", "null"], "format": "password", "title": "Client Secret" },
        })
    );
    assert_eq!(form["required"], json!(["username", "password"]));
    assert_eq!(form["type"], "object");

    let responses = &token["responses"];
    assert_eq!(
        responses["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Token"
    );
    assert_eq!(responses["422"]["description"], "Validation Error");
    assert_eq!(
        responses["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPValidationError"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["HTTPValidationError"],
        json!({
            "type": "object",
            "title": "HTTPValidationError",
            "properties": { "detail": {
                "type": "array",
                "title": "Detail",
                "items": { "$ref": "#/components/schemas/ValidationError" },
            } },
        })
    );
    assert_eq!(
        schemas["ValidationError"],
        json!({
            "type": "object",
            "title": "ValidationError",
            "properties": {
                "loc": {
                    "type": "array",
                    "title": "Location",
                    "items": { "anyOf": [{ "type": "string" }, { "type": "integer" }] },
                },
                "msg": { "type": "string", "title": "Message" },
                "type": { "type": "string", "title": "Error Type" },
                "input": { "title": "Input" },
                "ctx": { "type": "object", "title": "Context" },
            },
            "required": ["loc", "msg", "type"],
        })
    );
    assert_eq!(
        schemas["Token"],
        json!({
            "type": "object",
            "title": "Token",
            "description": "The answer of `/token`.",
            "properties": {
                "access_token": { "type": "string", "description": "The signed JWT." },
                "token_type": { "type": "string", "description": "Always `bearer`." },
            },
            "required": ["access_token", "token_type"],
        })
    );
    let user = &schemas["User"];
    assert_eq!(user["required"], json!(["username"]));
    assert_eq!(
        user["properties"]["email"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(
        user["properties"]["disabled"]["type"],
        json!(["boolean", "null"])
    );
}

#[tokio::test]
async fn secured_operations_document_their_failure_answers() {
    let doc = served_document().await;
    for path in ["/users/me/", "/users/me/items/", "/status/"] {
        let responses = &doc["paths"][path]["get"]["responses"];
        let unauthorized = &responses["401"];
        assert!(
            unauthorized["headers"].get("WWW-Authenticate").is_some(),
            "{path}: {unauthorized}"
        );
        assert_eq!(
            unauthorized["content"]["application/json"]["schema"]["properties"]["detail"]["type"],
            "string",
            "{path}"
        );
        let inactive = responses.get("400").map(|answer| &answer["description"]);
        if path == "/status/" {
            // `/status/` takes `get_current_user` directly: an inactive user gets through.
            assert_eq!(inactive, None);
        } else {
            assert_eq!(inactive, Some(&json!("Inactive user")), "{path}");
        }
    }
}

#[tokio::test]
async fn document_is_valid_for_openapi_spec_validator() {
    validate_openapi("demo", &served_document().await);
}

/// Every subset of `catalogue`, the empty one first.
fn subsets(catalogue: &[String]) -> Vec<Vec<&str>> {
    (0..1_u32 << catalogue.len())
        .map(|mask| {
            catalogue
                .iter()
                .enumerate()
                .filter(|(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, scope)| scope.as_str())
                .collect()
        })
        .collect()
}

/// A request for `operation` with a bearer token (when given) and, for a form body, the
/// tutorial's valid login.
fn request(method: &str, path: &str, operation: &Value, token: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
        .uri(path)
        .header("host", "testserver");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = &operation["requestBody"]["content"];
    if body.get("application/x-www-form-urlencoded").is_some() {
        request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("username=johndoe&password=secret"))
    } else {
        assert!(body.is_null(), "{path}: no probe for the body {body}");
        request.body(Body::empty())
    }
    .unwrap()
}

/// For every operation of the served document and every subset of the scheme's catalogue, a
/// johndoe token granting exactly that subset gets 200 exactly when it holds the documented
/// scopes, and 401 `Not enough permissions` otherwise; an operation without `security` answers
/// without a token. A scope enforced but not documented, or documented but not enforced, fails.
#[tokio::test]
async fn documented_requirements_are_the_enforced_ones() {
    let doc = served_document().await;
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes.len(), 1, "the probe mints tokens for one scheme");
    let (scheme, definition) = schemes.iter().next().unwrap();
    let catalogue: Vec<String> = definition["flows"]["password"]["scopes"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(!catalogue.is_empty());
    let mut probes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(security) = operation.get("security") else {
                let reply = answer(demo(), request(method, path, operation, None)).await;
                let (status, body) = (reply.status.as_u16(), reply.json());
                assert_eq!(
                    status, 200,
                    "{method} {path} documents no security but answers {body}"
                );
                probes += 1;
                continue;
            };
            let required: Vec<&str> = security[0][scheme]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path}: one requirement on {scheme}"))
                .iter()
                .map(|scope| scope.as_str().unwrap())
                .collect();
            assert_eq!(security.as_array().unwrap().len(), 1, "{method} {path}");
            let reply = answer(demo(), request(method, path, operation, None)).await;
            let (status, body) = (reply.status.as_u16(), reply.json());
            assert_eq!(
                (status, &body),
                (401, &json!({ "detail": "Not authenticated" })),
                "{method} {path} without a token"
            );
            for granted in subsets(&catalogue) {
                let token = token_for("johndoe", &granted);
                let reply = answer(demo(), request(method, path, operation, Some(&token))).await;
                let (status, body) = (reply.status.as_u16(), reply.json());
                let satisfied = required.iter().all(|scope| granted.contains(scope));
                if satisfied {
                    assert_eq!(
                        status, 200,
                        "{method} {path} documents {required:?}; a token granting {granted:?} \
                         should pass, got {body}"
                    );
                } else {
                    assert_eq!(
                        (status, &body),
                        (401, &json!({ "detail": "Not enough permissions" })),
                        "{method} {path} documents {required:?}; a token granting {granted:?} \
                         should be refused"
                    );
                }
                probes += 1;
            }
        }
    }
    assert_eq!(
        probes,
        1 + 3 * 4,
        "every operation probed with every subset"
    );
}

/// The documentation routes sit beside the tutorial's without changing its 404/405/redirects.
#[tokio::test]
async fn docs_routes_leave_the_tutorial_routes_alone() {
    let get = |path: &str| Request::get(path).header("host", "testserver");
    let raw = |request: Request<Body>| async move {
        let response = demo().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    };
    // FastAPI's paths: the page at `/docs`, its assets below, the redirect page.
    let (status, headers, html) = raw(get("/docs").body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains("url: '/openapi.json'"), "{html}");
    assert!(html.contains("'/docs/oauth2-redirect'"), "{html}");
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        let (status, _, body) = raw(get(asset).body(Body::empty()).unwrap()).await;
        assert_eq!(status, 200, "{asset}");
        assert!(body.len() > 1000, "{asset}");
    }
    let (status, headers, html) =
        raw(get("/docs/oauth2-redirect").body(Body::empty()).unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains("oauth2"), "{html}");

    for (method, path, status, location) in [
        (
            Method::GET,
            "/users/me",
            307,
            Some("http://testserver/users/me/"),
        ),
        (Method::GET, "/docs/", 307, Some("http://testserver/docs")),
        (
            Method::GET,
            "/openapi.json/",
            307,
            Some("http://testserver/openapi.json"),
        ),
        (Method::GET, "/docs/nope.js", 404, None),
        (Method::POST, "/openapi.json", 405, None),
        (Method::GET, "/token/", 307, Some("http://testserver/token")),
        (Method::GET, "/nope", 404, None),
        (Method::GET, "/", 404, None),
        (Method::GET, "/token", 405, None),
        (Method::HEAD, "/status/", 405, None),
        (Method::DELETE, "/users/me/items/", 405, None),
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header("host", "testserver")
            .body(Body::empty())
            .unwrap();
        let (got, headers, _) = raw(request).await;
        assert_eq!(got, status, "{method} {path}");
        assert_eq!(
            headers.get("location").map(|value| value.to_str().unwrap()),
            location,
            "{method} {path}"
        );
    }
}
