//! The runtime's examples (`runtime/examples/`), compiled in as modules so that the tests serve
//! the very routers and documents the examples do.

#[path = "../../../runtime/examples/auth_code_docs.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` and printing are not used here, its app and document are"
)]
pub(crate) mod auth_code_docs;

#[path = "../../../runtime/examples/client_credentials_service.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` is not called here, its document is"
)]
pub(crate) mod client_credentials_service;

#[path = "../../../runtime/examples/idp_resource_server.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` is not called here, its document is"
)]
pub(crate) mod idp_resource_server;

#[path = "../../../runtime/examples/api_keys_and_cookies.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` is not called here, its app is"
)]
pub(crate) mod api_keys_and_cookies;

#[path = "../../../runtime/examples/logout_replicas.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` is not called here, its app is"
)]
pub(crate) mod logout_replicas;

#[path = "../../../runtime/examples/transports.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` is not called here, its app is"
)]
pub(crate) mod transports;
