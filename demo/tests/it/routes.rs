//! `axum-scopes-demo --routes`: the route table, read from the OpenAPI document that
//! `#[requires_scopes]` writes from the same tree the runtime enforces.

use std::process::Command;

#[test]
fn routes_flag_prints_the_table() {
    let output = Command::new(env!("CARGO_BIN_EXE_axum-scopes-demo"))
        .arg("--routes")
        .output()
        .expect("the demo runs");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "GET /status/          OAuth2PasswordBearer: authenticated\n\
         POST /token           public\n\
         GET /users/me/        OAuth2PasswordBearer: me\n\
         GET /users/me/items/  OAuth2PasswordBearer: items me\n"
    );
}

#[test]
fn every_route_is_secured_or_public_on_purpose() {
    let openapi = axum_scopes_demo::openapi();
    axum_scopes::openapi::assert_secure(&openapi, axum_scopes_demo::PUBLIC_ROUTES)
        .expect("the demo is secure by default");
    let error = axum_scopes::openapi::assert_secure(&openapi, &[]).unwrap_err();
    assert_eq!(error.routes, ["POST /token"]);
}
