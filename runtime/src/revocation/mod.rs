//! Revocation: refusing tokens before their `exp`, on every replica.
//!
//! A token is good until its `exp` unless something says otherwise. [`Revocations`] is that
//! something: revoke one token by its issuer and `jti` ([`Revocation::token`]), or every token
//! of a subject or an OAuth client issued before an instant ([`Revocation::subject`],
//! [`Revocation::client`]: "log out everywhere", a password change). Hand the same
//! `Revocations` to the `Authenticator` (`AuthenticatorBuilder::revocations`) or `JwtKeys`
//! (`JwtKeys::revocations`) and keep a clone for the code that revokes (a logout
//! endpoint, an operator's tool).
//!
//! **Where the check runs.** In the verifier's one admission, which every accepted token
//! passes, served from the token cache or just verified; a revoked token's cache entry is
//! dropped at its next presentation and it is refused from then on (401 `invalid_token`).
//!
//! **Backends.** [`Revocations::in_memory`] holds them in this process (one replica).
//! [`Revocations::redis`] (cargo feature `redis`) shares them through Redis: a revocation is
//! written with an expiry equal to what remains of its tokens' life and published; every
//! replica keeps a local mirror fed by the subscription, so a request reads memory only.
//! A replica that cannot vouch that its mirror is current refuses every token with 503 and
//! `Retry-After` (fail closed); see [`RedisOptions`].
//!
//! **Tokens revocation cannot name.** A token without `jti` cannot be revoked alone, one without
//! `iat` escapes cutoffs. By default such tokens are refused while revocation is configured
//! ([`Unrevocable::Refuse`]); [`RevocationOptions::unrevocable`] accepts them instead.
//!
//! **Events.** [`Revocations::subscribe`] streams every revocation this replica learns of, its
//! own and those of other replicas, once each, for code that must act on one (closing an
//! open WebSocket).

mod error;
mod mirror;
mod record;
#[cfg(feature = "redis")]
mod redis;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

pub use self::error::RevocationError;
pub use self::mirror::Unrevocable;
pub use self::record::{MAX_ID_LEN, Revocation, Target};
#[cfg(feature = "redis")]
pub use self::redis::RedisOptions;

pub(crate) use self::mirror::{Memo, Mirror, Refusal};

/// The most revocations one [`Revocations::revoke_all`] call takes.
pub const MAX_BATCH: usize = 10_000;

/// How revocations are kept: the longest token lifetime accepted, and what to do with tokens
/// that cannot be revoked.
#[derive(Debug, Clone, Copy)]
pub struct RevocationOptions {
    max_token_lifetime: Duration,
    unrevocable: Unrevocable,
}

impl Default for RevocationOptions {
    fn default() -> Self {
        Self {
            max_token_lifetime: Duration::from_secs(24 * 60 * 60),
            unrevocable: Unrevocable::default(),
        }
    }
}

impl RevocationOptions {
    /// The longest lifetime (`exp` − `iat`) of the tokens accepted; a subject's or client's
    /// cutoff is kept this long after the cutoff, after which every token it refuses has
    /// expired anyway. Default: 24 hours. Set it to at least your providers' access-token
    /// lifetime.
    #[must_use]
    pub fn max_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_token_lifetime = lifetime;
        self
    }

    /// What to do with tokens without `jti` or `iat`. Default: [`Unrevocable::Refuse`].
    #[must_use]
    pub fn unrevocable(mut self, policy: Unrevocable) -> Self {
        self.unrevocable = policy;
        self
    }
}

/// The revocations the verifier checks every accepted token against, and the way to add one.
/// Cheap to clone: clones share one mirror (and one Redis connection set).
#[derive(Clone)]
pub struct Revocations {
    pub(crate) shared: Arc<Shared>,
}

/// What clones share.
pub(crate) struct Shared {
    pub(crate) mirror: Mirror,
    max_lifetime: u64,
    events: broadcast::Sender<Revocation>,
    #[cfg(feature = "redis")]
    pub(crate) store: Option<redis::Store>,
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocations")
            .field("held", &self.shared.mirror.len())
            .field("current", &self.shared.mirror.is_current())
            .finish_non_exhaustive()
    }
}

impl Revocations {
    /// Revocations held in this process only: for a single replica (and tests).
    #[must_use]
    pub fn in_memory(options: RevocationOptions) -> Self {
        Self::with_mirror(
            Mirror::in_memory(options.unrevocable),
            options,
            #[cfg(feature = "redis")]
            None,
        )
    }

    fn with_mirror(
        mirror: Mirror,
        options: RevocationOptions,
        #[cfg(feature = "redis")] store: Option<redis::Store>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                mirror,
                max_lifetime: options.max_token_lifetime.as_secs(),
                events: broadcast::channel(1024).0,
                #[cfg(feature = "redis")]
                store,
            }),
        }
    }

    /// Revokes what `revocation` names: this replica refuses its tokens when the call returns,
    /// every replica once the shared store has it.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Invalid`] for an empty identifier or one over [`MAX_ID_LEN`] bytes
    /// (nothing revoked); [`RevocationError::Unavailable`] when the shared store cannot be
    /// written: this replica refuses the tokens anyway and writes the revocation once the
    /// store is back, but other replicas may not know of it yet, so report the failure (a
    /// logout endpoint answers 503) and let the caller retry.
    pub async fn revoke(&self, revocation: Revocation) -> Result<(), RevocationError> {
        self.revoke_all(vec![revocation]).await
    }

    /// Revokes every revocation of `revocations`, at most [`MAX_BATCH`] of them; all are
    /// checked before any is applied.
    ///
    /// # Errors
    ///
    /// As [`Revocations::revoke`]; [`RevocationError::Invalid`] too for more than
    /// [`MAX_BATCH`].
    #[cfg_attr(
        not(feature = "redis"),
        expect(
            clippy::unused_async,
            reason = "awaits the Redis write of the `redis` feature; the signature stays the same without it"
        )
    )]
    pub async fn revoke_all(&self, revocations: Vec<Revocation>) -> Result<(), RevocationError> {
        if revocations.len() > MAX_BATCH {
            return Err(RevocationError::Invalid(
                "more than 10,000 revocations in one call",
            ));
        }
        let settled = revocations
            .into_iter()
            .map(|revocation| revocation.settle(self.shared.max_lifetime))
            .collect::<Result<Vec<_>, _>>()?;
        for revocation in &settled {
            self.shared.learn(revocation);
        }
        #[cfg(feature = "redis")]
        if let Some(store) = &self.shared.store {
            return store.write(settled).await;
        }
        Ok(())
    }

    /// Every revocation this replica learns of from now on, its own and (with Redis) other
    /// replicas', each once. A receiver that falls more than 1,024 behind gets
    /// [`broadcast::error::RecvError::Lagged`]: it should then treat every token it holds as
    /// suspect and verify it again.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Revocation> {
        self.shared.events.subscribe()
    }

    /// Whether this replica can vouch that its revocations are current (always, in memory;
    /// with Redis, synchronised and heard from within the bound). While it cannot, every token
    /// is refused with 503.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.shared.mirror.is_current()
    }

    /// How many revocations this replica holds (expired ones are dropped).
    #[must_use]
    pub fn held(&self) -> u64 {
        self.shared.mirror.len()
    }
}

impl Shared {
    /// Applies `revocation` to the mirror and tells the subscribers when it was news.
    pub(crate) fn learn(&self, revocation: &Revocation) {
        if self.mirror.apply(revocation) {
            // No subscriber is not an error.
            let _ = self.events.send(revocation.clone());
        }
    }
}
