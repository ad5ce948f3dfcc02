//! The Redis backend ([`RedisOptions`], cargo feature `redis`): revocations shared by replicas.
//!
//! **Layout.** Each revocation is a string key `<prefix>rev:<kind><len(iss)>:<iss><id>` holding
//! its JSON, with an expiry (`PX`) equal to what remains of its tokens' life, and is published
//! on the channel `<prefix>revocations` in the same `MULTI` transaction. Heartbeats go on the
//! same channel.
//!
//! **A replica's task.** Subscribe first, then read every key in full (`SCAN` + `MGET`), then
//! apply what the subscription delivers; both are idempotent, so a revocation published during
//! the full read is applied twice at worst and lost never. It publishes a heartbeat every half
//! bound and counts the mirror current for one bound after the last message it received on
//! the subscription (its own heartbeats included), so a connection that looks open but
//! delivers nothing (a half-open socket, a paused server) still fails closed. When the
//! subscription ends, errs, or stays silent past the bound, it reconnects (backing off from
//! 100 ms to 2 s) and reads everything again. Revocations that could not be written are kept
//! and written after the next connection, before the full read, or at the next heartbeat.
//!
//! **Why `redis` (redis-rs).** The Redis client maintained under the Redis organisation's
//! umbrella, the most used of the Rust clients, with Tokio support, pub/sub, `MULTI`
//! pipelines, AUTH from the URL and TLS on rustls (`rediss://`). `fred` is the other
//! maintained async client; its strength is reconnection and pooling managed for you, and here
//! the reconnect is exactly the moment a full resynchronisation must run, so this module owns
//! it, which redis-rs's plainer connections make simple. Its `ConnectionManager` is not used
//! for the same reason.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;

use super::error::RevocationError;
use super::mirror::Mirror;
use super::record::{Revocation, unix_now};
use super::{RevocationOptions, Revocations, Shared};

/// Where the shared revocations live, and how long a replica trusts its mirror without news.
#[derive(Clone)]
pub struct RedisOptions {
    url: String,
    prefix: String,
    bound: Duration,
    write_timeout: Duration,
    fail_open: bool,
}

impl std::fmt::Debug for RedisOptions {
    /// Never the URL, which may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("prefix", &self.prefix)
            .field("bound", &self.bound)
            .field("write_timeout", &self.write_timeout)
            .field("fail_open", &self.fail_open)
            .finish_non_exhaustive()
    }
}

impl RedisOptions {
    /// The server at `url`: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS
    /// (rustls with the operating system's roots; unless the application installed a rustls
    /// `CryptoProvider` as the process default, [`Revocations::redis`] installs `ring`'s). Keys are prefixed `axum-scopes:`, the bound is 5 s and
    /// a write waits at most 2 s.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "axum-scopes:".into(),
            bound: Duration::from_secs(5),
            write_timeout: Duration::from_secs(2),
            fail_open: false,
        }
    }

    /// See `dangerous::fail_open`.
    pub(crate) fn with_fail_open(mut self) -> Self {
        self.fail_open = true;
        self
    }

    /// The prefix of every key and of the channel, to share one Redis between applications.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a replica keeps serving without hearing from Redis (no message nor heartbeat
    /// on its subscription); past it, every token is refused with 503 until the replica has
    /// reconnected and read every revocation again. Default 5 s; heartbeats go every half
    /// bound. At least 100 ms.
    #[must_use]
    pub fn currency_bound(mut self, bound: Duration) -> Self {
        self.bound = bound.max(Duration::from_millis(100));
        self
    }

    /// How long a revocation's write may take before [`Revocations::revoke`] answers
    /// [`RevocationError::Unavailable`]. Default 2 s.
    #[must_use]
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The client of the URL, or `None` when it is not a Redis URL.
    pub(crate) fn client(&self) -> Option<redis::Client> {
        let client = redis::Client::open(self.url.as_str()).ok()?;
        if self.url.starts_with("rediss") {
            // redis-rs builds its TLS configuration on rustls's process-wide provider: install
            // `ring` (the crate's TLS backend elsewhere) unless the application chose one.
            if rustls::crypto::CryptoProvider::get_default().is_none() {
                let _ = rustls::crypto::ring::default_provider().install_default();
            }
        }
        Some(client)
    }

    /// The key prefix.
    pub(crate) fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// How long a write may take.
    pub(crate) fn write_deadline(&self) -> Duration {
        self.write_timeout
    }

    fn channel(&self) -> String {
        format!("{}revocations", self.prefix)
    }

    fn key(&self, revocation: &Revocation) -> String {
        format!("{}rev:{}", self.prefix, revocation.key())
    }

    /// The `SCAN MATCH` pattern of every revocation key, the prefix's glob characters escaped.
    fn pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.prefix.len() + 6);
        for c in self.prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push_str("rev:*");
        pattern
    }
}

/// A heartbeat's payload on the channel.
const HEARTBEAT: &[u8] = b"heartbeat";

/// The Redis side of a [`Revocations`]: the client, the connection writes use while there is
/// one, and the revocations still to write.
pub(crate) struct Store {
    client: redis::Client,
    options: RedisOptions,
    connection: ArcSwapOption<MultiplexedConnection>,
    pending: Mutex<Vec<Revocation>>,
}

impl Revocations {
    /// Revocations shared through Redis (see [`RedisOptions`]). Returns at once: a task on the
    /// current Tokio runtime connects, subscribes and reads every revocation; until it has,
    /// and whenever it cannot vouch for its copy, tokens are refused with 503. The task ends
    /// when the last clone is dropped.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Config`] for a URL that is not a Redis URL, or when called outside a
    /// Tokio runtime.
    pub fn redis(redis: RedisOptions, options: RevocationOptions) -> Result<Self, RevocationError> {
        let client = redis
            .client()
            .ok_or_else(|| RevocationError::Config("the Redis URL is not valid".into()))?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            RevocationError::Config("no Tokio runtime to run the Redis task".into())
        })?;
        let mirror = Mirror::shared(redis.bound, options.unrevocable, redis.fail_open);
        let store = Store {
            client,
            options: redis,
            connection: ArcSwapOption::empty(),
            pending: Mutex::new(Vec::new()),
        };
        let revocations = Self::with_mirror(mirror, options, Some(store));
        runtime.spawn(run(Arc::downgrade(&revocations.shared)));
        Ok(revocations)
    }
}

impl Store {
    /// Writes and publishes `revocations` in one transaction, or keeps them for the next
    /// connection and says the store is unavailable.
    pub(crate) async fn write(&self, revocations: Vec<Revocation>) -> Result<(), RevocationError> {
        let Some(connection) = self.connection.load_full() else {
            self.keep(revocations);
            return Err(RevocationError::Unavailable { source: None });
        };
        let mut connection = (*connection).clone();
        let written = tokio::time::timeout(
            self.options.write_timeout,
            self.send(&mut connection, &revocations),
        )
        .await;
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                self.keep(revocations);
                Err(RevocationError::Unavailable {
                    source: Some(Box::new(error)),
                })
            }
            Err(elapsed) => {
                self.keep(revocations);
                Err(RevocationError::Unavailable {
                    source: Some(Box::new(elapsed)),
                })
            }
        }
    }

    async fn send(
        &self,
        connection: &mut MultiplexedConnection,
        revocations: &[Revocation],
    ) -> redis::RedisResult<()> {
        let channel = self.options.channel();
        let now = unix_now();
        let mut pipe = redis::pipe();
        pipe.atomic();
        for revocation in revocations {
            let Some(left) = revocation.until.checked_sub(now) else {
                continue;
            };
            let json = serde_json::to_string(revocation).expect("plain data serializes");
            pipe.cmd("SET")
                .arg(self.options.key(revocation))
                .arg(&json)
                .arg("PX")
                .arg(left.saturating_add(1).saturating_mul(1000))
                .ignore();
            pipe.cmd("PUBLISH").arg(&channel).arg(&json).ignore();
        }
        pipe.query_async(connection).await
    }

    /// The revocations still to write, taken.
    fn take_pending(&self) -> Vec<Revocation> {
        std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn keep(&self, revocations: Vec<Revocation>) {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(revocations);
    }
}

/// The replica's task: sessions, reconnecting with backoff, until the revocations are dropped.
async fn run(shared: Weak<Shared>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let ended = session(&shared).await;
        let Some(strong) = shared.upgrade() else {
            return;
        };
        if let Some(store) = &strong.store {
            store.connection.store(None);
        }
        drop(strong);
        match ended {
            Ended::Dropped => return,
            Ended::After { served, error } => {
                tracing::warn!(
                    target: "axum_scopes",
                    %error,
                    "revocations: lost the Redis connection; reconnecting (tokens are refused with 503 once the bound has passed)"
                );
                if served {
                    backoff = Duration::from_millis(100);
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// How a session ended.
enum Ended {
    /// The revocations were dropped: the task ends.
    Dropped,
    /// Redis failed; `served` when the session got as far as its full read.
    After { served: bool, error: SessionError },
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    #[error("Redis did not answer within the bound")]
    Timeout,
    #[error("the subscription delivered nothing within the bound")]
    Silent,
    #[error("the subscription ended")]
    Closed,
}

macro_rules! upgrade {
    ($weak:expr) => {
        match $weak.upgrade() {
            Some(strong) => strong,
            None => return Ended::Dropped,
        }
    };
}

/// Within the bound, or [`SessionError::Timeout`].
async fn bounded<T>(
    bound: Duration,
    future: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, SessionError> {
    match tokio::time::timeout(bound, future).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(SessionError::Timeout),
    }
}

/// One connection's life: subscribe, write what is pending, read everything, then follow the
/// subscription and publish heartbeats until something fails.
async fn session(weak: &Weak<Shared>) -> Ended {
    let (client, options) = {
        let shared = upgrade!(weak);
        let store = shared.store.as_ref().expect("a Redis task has a store");
        (store.client.clone(), store.options.clone())
    };
    let fail = |error| Ended::After {
        served: false,
        error,
    };
    let bound = options.bound;
    let pubsub = match bounded(bound, client.get_async_pubsub()).await {
        Ok(pubsub) => pubsub,
        Err(error) => return fail(error),
    };
    let (mut sink, mut messages) = pubsub.split();
    if let Err(error) = bounded(bound, sink.subscribe(options.channel())).await {
        return fail(error);
    }
    let mut connection = match bounded(bound, client.get_multiplexed_async_connection()).await {
        Ok(connection) => connection,
        Err(error) => return fail(error),
    };
    {
        let shared = upgrade!(weak);
        let store = shared.store.as_ref().expect("a Redis task has a store");
        let pending = store.take_pending();
        if !pending.is_empty()
            && let Err(error) = bounded(bound, store.send(&mut connection, &pending)).await
        {
            store.keep(pending);
            return fail(error);
        }
        if let Err(error) = read_all(&shared, &options, &mut connection).await {
            return fail(error);
        }
        store.connection.store(Some(Arc::new(connection.clone())));
        shared.mirror.synced();
    }
    let served = |error| Ended::After {
        served: true,
        error,
    };
    let mut heartbeat = tokio::time::interval(bound / 2);
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else {
                    return served(SessionError::Closed);
                };
                let shared = upgrade!(weak);
                shared.mirror.heard();
                let payload = message.get_payload_bytes();
                if payload != HEARTBEAT {
                    match serde_json::from_slice::<Revocation>(payload) {
                        Ok(revocation) => shared.learn(&revocation),
                        Err(_) => not_ours(payload.len()),
                    }
                }
            }
            _ = heartbeat.tick() => {
                let shared = upgrade!(weak);
                if !shared.mirror.is_current() {
                    return served(SessionError::Silent);
                }
                // Revocations that failed while this session was starting (before its
                // connection was published to writers) are written here.
                let store = shared.store.as_ref().expect("a Redis task has a store");
                let pending = store.take_pending();
                if !pending.is_empty()
                    && let Err(error) = bounded(bound / 2, store.send(&mut connection, &pending)).await
                {
                    store.keep(pending);
                    return served(error);
                }
                drop(shared);
                let mut publish = redis::cmd("PUBLISH");
                publish.arg(options.channel()).arg(HEARTBEAT);
                let published = publish.query_async::<i64>(&mut connection);
                if let Err(error) = bounded(bound / 2, published).await {
                    return served(error);
                }
            }
        }
    }
}

/// Reads every revocation key and applies what it holds.
async fn read_all(
    shared: &Shared,
    options: &RedisOptions,
    connection: &mut MultiplexedConnection,
) -> Result<(), SessionError> {
    let pattern = options.pattern();
    let mut cursor = 0_u64;
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = bounded(
            options.bound,
            redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(connection),
        )
        .await?;
        if !keys.is_empty() {
            let values: Vec<Option<Vec<u8>>> = bounded(
                options.bound,
                redis::cmd("MGET").arg(&keys).query_async(connection),
            )
            .await?;
            for value in values.into_iter().flatten() {
                match serde_json::from_slice::<Revocation>(&value) {
                    Ok(revocation) => shared.learn(&revocation),
                    Err(_) => not_ours(value.len()),
                }
            }
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// Something under our prefix that is not a revocation: skipped, logged without its content.
#[cold]
fn not_ours(len: usize) {
    tracing::warn!(
        target: "axum_scopes",
        len,
        "revocations: skipped a Redis value or message that is not a revocation"
    );
}
