//! The tokens that authenticated an upgrade request ([`Watched`]), recorded by the guards that
//! accepted them for the upgrade to watch ([`crate::watch`]).

use std::sync::{Arc, Mutex, PoisonError};

use http::header::SEC_WEBSOCKET_VERSION;
use http::request::Parts;

use crate::jwt::{Accepted, Authenticator};
use crate::watch::Watch;

/// The tokens accepted for one upgrade request, shared (through the request's extensions)
/// between the guards that accept them and the [`WebSocketUpgrade`](super::WebSocketUpgrade)
/// that watches them, whichever is extracted first.
#[derive(Clone, Default)]
pub(crate) struct Watched(Arc<Mutex<Vec<Watch>>>);

/// Records `accepted`, just accepted by `authenticator`, when `parts` is a WebSocket upgrade
/// request (HTTP/1.1 `GET` with `Upgrade`, or HTTP/2 extended `CONNECT`: both carry
/// `Sec-WebSocket-Version`); any other request is left as it is, at the cost of one header
/// lookup.
pub(crate) fn record(parts: &mut Parts, authenticator: &Authenticator, accepted: Arc<Accepted>) {
    if !parts.headers.contains_key(SEC_WEBSOCKET_VERSION) {
        return;
    }
    let watch = Watch::new(authenticator, accepted);
    watched(parts)
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(watch);
}

/// The request's [`Watched`], inserted by the first to ask.
pub(crate) fn watched(parts: &mut Parts) -> Watched {
    parts.extensions.get_or_insert_default::<Watched>().clone()
}

impl Watched {
    /// The tokens recorded so far, taken.
    pub(crate) fn take(&self) -> Vec<Watch> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}
