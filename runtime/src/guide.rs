//! The user guide, in chapters. Every example compiles as a doctest.

#[doc = include_str!("../docs/guide/from_fastapi.md")]
pub mod from_fastapi {}

#[doc = include_str!("../docs/guide/dependencies.md")]
pub mod dependencies {}

#[doc = include_str!("../docs/guide/identity_providers.md")]
pub mod identity_providers {}

#[doc = include_str!("../docs/guide/real_provider.md")]
pub mod real_provider {}

#[doc = include_str!("../docs/guide/credentials.md")]
pub mod credentials {}

#[doc = include_str!("../docs/guide/openapi.md")]
pub mod openapi {}

#[doc = include_str!("../docs/guide/compile_checks.md")]
pub mod compile_checks {}

#[cfg(feature = "test-util")]
#[doc = include_str!("../docs/guide/testing.md")]
pub mod testing {}

#[doc = include_str!("../docs/guide/revocation.md")]
pub mod revocation {}

#[doc = include_str!("../docs/guide/dpop.md")]
pub mod dpop {}

#[cfg(feature = "websocket")]
#[doc = include_str!("../docs/guide/websockets.md")]
pub mod websockets {}

#[cfg(feature = "grpc")]
#[doc = include_str!("../docs/guide/grpc.md")]
pub mod grpc {}
