//! Tokens whose use goes on after their request was let in (an open WebSocket, a gRPC
//! stream): [`Watch`] one, and [`ended`] resolves when the verifier's one admission refuses it
//! (its deadline, a revocation event, its key gone).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast;

use crate::jwt::{Accepted, Authenticator, TokenError};
use crate::revocation::{Revocation, Revocations};

/// One accepted token and what can refuse it later.
pub(crate) struct Watch {
    authenticator: Authenticator,
    accepted: Arc<Accepted>,
    /// Subscribed when the token was accepted, so that no revocation after its admission is
    /// missed.
    revocations: Option<broadcast::Receiver<Revocation>>,
}

impl Watch {
    /// Watches `accepted`, accepted by `authenticator` just now: revocations are subscribed to
    /// at once, so that none after its admission is missed.
    pub(crate) fn new(authenticator: &Authenticator, accepted: Arc<Accepted>) -> Self {
        Self {
            authenticator: authenticator.clone(),
            revocations: authenticator.revocations().map(Revocations::subscribe),
            accepted,
        }
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

/// How long until the second after `deadline` (the first the admission refuses) begins;
/// `Duration::MAX` (a sleep Tokio clamps to its far future) for a deadline past what
/// `SystemTime` holds, as a token's `exp` may be.
fn until_after(deadline: u64) -> Duration {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(deadline.saturating_add(1)))
        .map_or(Duration::MAX, |refused_from| {
            refused_from
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_ends_at_the_second_after_the_deadline_and_never_overflows() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert_eq!(until_after(now.saturating_sub(10)), Duration::ZERO);
        let wait = until_after(now + 10);
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(11),
            "{wait:?}"
        );
        // A token's `exp` may be any u64: no panic, a wait Tokio clamps.
        assert_eq!(until_after(u64::MAX), Duration::MAX);
        assert!(until_after(u64::MAX / 2) >= Duration::from_secs(u64::MAX / 4));
    }
}
