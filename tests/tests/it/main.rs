//! The behaviour tests of axum-scopes, as one binary with a module per topic: every test file
//! would be another link step on every change. Three files stay apart in `tests/tests/`, each
//! saying why: `compiletest.rs` (trybuild), `lints.rs` (crate-level strict lints) and
//! `jwks_alloc.rs` (a counting global allocator).
//!
//! The modules' tests run as threads of one process, so none of them changes what the process
//! shares: no environment variable is set, every server listens on a port the system chose (none
//! is fixed), and tracing events are captured per thread: the one global subscriber, set by
//! `observability` (which says why), keeps nothing.

mod advisories;
mod authenticated;
mod browser;
mod claims;
mod credentials;
mod dpop;
mod examples;
mod examples_openapi;
mod grpc;
mod idioms;
mod implication;
mod introspection;
mod jwks;
mod mcp;
mod observability;
mod oidc_browser;
mod oidc_client_credentials;
mod oidc_rotation;
mod openapi;
mod openapi_demo;
mod parity;
mod password_form;
mod resource_metadata;
mod revocation;
mod router_security;
mod schemes;
mod scopes;
mod test_kit;
mod token_cache;
mod tutorial;
mod two_issuers;
mod websocket;
