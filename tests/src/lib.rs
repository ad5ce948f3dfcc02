//! Support code of the axum-scopes tests, written once for every test module: tokens, requests
//! through a router, the tutorial's cases, servers, OpenAPI validation, the providers and the browser harness.

#![allow(
    clippy::missing_panics_doc,
    reason = "test support: a panic is the test failing, with its message"
)]

pub mod browser;
pub mod dpop;
pub mod grpc;
pub mod oidc;
pub mod openapi;
pub mod provider;
pub mod redis;
pub mod request;
pub mod server;
pub mod token;
pub mod tutorial;
