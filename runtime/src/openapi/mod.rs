//! OpenAPI documents from the same static tree the runtime enforces (utoipa).
//!
//! `#[requires_scopes]` above `#[utoipa::path(..)]` documents the operation's security
//! requirement and its dependencies' failure answers; [`SchemeAddon`] adds the schemes to the
//! document's components. Nothing is written by hand: a scope the runtime requires is in the
//! document and the reverse, because both read the dependencies' static tree.
//!
//! - The requirement: for each scheme a dependency chain ends in, the scopes required along it
//!   (`requirements.rs`), written into each operation and, for a router's requirement, in
//!   front of every operation of a document.
//! - The failure answers: each dependency's, added where the operation documents none for
//!   that status (`responses.rs`).
//! - The schemes: [`security_scheme`] and [`SchemeAddon`] (`scheme.rs`).
//! - DPoP: [`document_dpop`] says on the token schemes that they take DPoP-bound tokens
//!   (`dpop.rs` says why a description and an extension, not a scheme of its own).
//! - The audit: [`routes`], [`route_table`] and [`assert_secure`] read a finished document
//!   (`audit.rs`).
//! - Serving: `docs_router` (Swagger UI, feature `swagger-ui`) and [`ProtectedResource`]
//!   (RFC 9728 metadata).

mod audit;
#[cfg(feature = "swagger-ui")]
mod docs;
mod dpop;
pub(crate) mod requirements;
mod resource;
pub(crate) mod responses;
mod scheme;

pub use self::audit::{Route, UnsecuredRoutes, assert_secure, route_table, routes};
#[cfg(feature = "swagger-ui")]
pub use self::docs::{DocsOptions, docs_router, docs_router_with};
pub use self::dpop::document_dpop;
pub use self::requirements::Alternative;
pub use self::resource::ProtectedResource;
pub use self::scheme::{SchemeAddon, security_scheme};
pub use crate::dependency::tree::Responses;

pub(crate) use self::responses::insert_responses;
