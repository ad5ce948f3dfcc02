//! The JWKS client: fetches remote key sets ([`http`]), keeps them fresh and survives a
//! misbehaving provider ([`remote`]). It sits above the verifier and calls down into it: it
//! replaces a source's keys; the verifier never calls it.

mod error;
pub(super) mod http;
mod options;
mod remote;

pub use self::error::JwksError;
pub use self::options::JwksOptions;
pub(crate) use self::remote::{JwksUrl, Remote};
