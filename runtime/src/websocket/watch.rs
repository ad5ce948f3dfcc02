//! The tokens that authenticated an upgrade request ([`Watched`]), recorded by the guards that
//! accepted them, and the future that resolves when one of them is no longer accepted
//! ([`ended`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::SEC_WEBSOCKET_VERSION;
use http::request::Parts;
use tokio::sync::broadcast;

use crate::jwt::{Accepted, Authenticator, TokenError};
use crate::revocation::{Revocation, Revocations};

/// The tokens accepted for one upgrade request, shared (through the request's extensions)
/// between the guards that accept them and the [`WebSocketUpgrade`](super::WebSocketUpgrade)
/// that watches them, whichever is extracted first.
#[derive(Clone, Default)]
pub(crate) struct Watched(Arc<Mutex<Vec<Watch>>>);

/// One accepted token and what can refuse it later.
pub(crate) struct Watch {
    authenticator: Authenticator,
    accepted: Arc<Accepted>,
    /// Subscribed when the token was accepted, so that no revocation after its admission is
    /// missed.
    revocations: Option<broadcast::Receiver<Revocation>>,
}

/// Records `accepted`, just accepted by `authenticator`, when `parts` is a WebSocket upgrade
/// request (HTTP/1.1 `GET` with `Upgrade`, or HTTP/2 extended `CONNECT`: both carry
/// `Sec-WebSocket-Version`); any other request is left as it is, at the cost of one header
/// lookup.
pub(crate) fn record(parts: &mut Parts, authenticator: &Authenticator, accepted: Arc<Accepted>) {
    if !parts.headers.contains_key(SEC_WEBSOCKET_VERSION) {
        return;
    }
    let watch = Watch {
        authenticator: authenticator.clone(),
        revocations: authenticator.revocations().map(Revocations::subscribe),
        accepted,
    };
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

/// Resolves with the refusal of the first of `watches` the verifier's admission refuses:
/// checked at once, at the earliest deadline, and at every revocation event. Never resolves
/// without watches.
pub(crate) async fn ended(mut watches: Vec<Watch>) -> TokenError {
    if watches.is_empty() {
        return std::future::pending().await;
    }
    loop {
        for watch in &watches {
            if let Err(error) = watch.authenticator.readmit(&watch.accepted) {
                return error;
            }
        }
        let deadline = watches
            .iter()
            .map(|watch| watch.accepted.deadline)
            .min()
            .unwrap_or(u64::MAX);
        tokio::select! {
            () = tokio::time::sleep(until_after(deadline)) => {}
            () = revocation_event(&mut watches) => {}
        }
    }
}

/// How long until the second after `deadline` (the first the admission refuses) begins.
fn until_after(deadline: u64) -> Duration {
    let refused_from = UNIX_EPOCH + Duration::from_secs(deadline.saturating_add(1));
    refused_from
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO)
}

/// Resolves at the next revocation event (or lag) of any of `watches`; a receiver whose
/// sender is gone is dropped. Never resolves without receivers.
async fn revocation_event(watches: &mut [Watch]) {
    loop {
        let receivers: Vec<_> = watches
            .iter_mut()
            .filter_map(|watch| watch.revocations.as_mut().map(|held| Box::pin(held.recv())))
            .collect();
        if receivers.is_empty() {
            return std::future::pending().await;
        }
        let (received, index, _) = futures_util::future::select_all(receivers).await;
        if !matches!(received, Err(broadcast::error::RecvError::Closed)) {
            return;
        }
        // `index` counts the receivers left; drop the closed one.
        if let Some(watch) = watches
            .iter_mut()
            .filter(|watch| watch.revocations.is_some())
            .nth(index)
        {
            watch.revocations = None;
        }
    }
}
