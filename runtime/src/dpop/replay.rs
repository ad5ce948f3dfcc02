//! The replay cache of DPoP proofs (RFC 9449 §11.1): a proof's `jti` is accepted once within
//! the time its `iat` is accepted. In memory for one replica; in Redis for replicas behind one
//! load balancer, where a proof replayed against another replica must fail as well.
//!
//! Each use is one atomic set-if-absent: moka's entry API in memory (its initialisation runs
//! once per key even under concurrent calls), `SET key 1 NX PX <ms>` in Redis. With Redis this
//! is the one network round trip of a request, by design: a proof is single-use, so no copy in
//! memory could decide it. Redis unreachable, or slower than the write timeout, refuses the
//! proof ([`Replay::Unavailable`], answered 503): a proof is never accepted unchecked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;

/// Where the `jti`s of accepted proofs are remembered (`Dpop::replay_cache`).
///
/// Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct ReplayCache {
    store: Arc<Store>,
}

impl std::fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &*self.store {
            Store::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            Store::Redis(_) => "redis",
        };
        f.debug_struct("ReplayCache").field("store", &kind).finish()
    }
}

/// Keys are SHA-256 outputs: foldhash spreads them as well as `SipHash`, for less.
type Hasher = foldhash::fast::RandomState;

enum Store {
    Memory(moka::sync::Cache<[u8; 32], Duration, Hasher>),
    #[cfg(feature = "redis")]
    Redis(Box<redis_store::RedisReplay>),
}

/// What a use of a proof's `jti` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// First use: remembered until its `iat` can no longer pass.
    Fresh,
    /// Seen before.
    Replayed,
    /// The shared store could not answer in time.
    #[cfg_attr(
        not(feature = "redis"),
        expect(dead_code, reason = "only Redis can be unavailable")
    )]
    Unavailable,
}

/// Each entry lives for the duration stored with it.
struct Lifetime;

impl Expiry<[u8; 32], Duration> for Lifetime {
    fn expire_after_create(&self, _: &[u8; 32], ttl: &Duration, _: Instant) -> Option<Duration> {
        Some(*ttl)
    }
}

impl ReplayCache {
    /// A cache in this process's memory: enough for one replica. Entries are never evicted
    /// for room (that would let a proof be replayed); each leaves once its proof's `iat`
    /// would be refused anyway, so it holds the proofs of one acceptance window (about 100
    /// bytes each).
    #[must_use]
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(Store::Memory(
                moka::sync::Cache::builder()
                    .expire_after(Lifetime)
                    .build_with_hasher(Hasher::default()),
            )),
        }
    }

    /// A cache in Redis, shared by every replica configured with the same server and prefix
    /// (keys `<prefix>dpop:<hash>`). Connects on first use and again after an error; each use
    /// waits at most the options' write timeout.
    ///
    /// # Errors
    ///
    /// [`DpopConfigError::RedisUrl`](super::error::DpopConfigError::RedisUrl) for a URL that
    /// is not a Redis URL.
    #[cfg(feature = "redis")]
    pub fn redis(
        options: &crate::revocation::RedisOptions,
    ) -> Result<Self, super::error::DpopConfigError> {
        let replay = redis_store::RedisReplay::new(options)?;
        Ok(Self {
            store: Arc::new(Store::Redis(Box::new(replay))),
        })
    }

    /// Remembers `key` for `ttl`, unless it is already there.
    #[cfg_attr(
        not(feature = "redis"),
        expect(clippy::unused_async, reason = "awaits Redis with the `redis` feature")
    )]
    pub(crate) async fn first_use(&self, key: [u8; 32], ttl: Duration) -> Replay {
        match &*self.store {
            Store::Memory(cache) => {
                if cache.entry(key).or_insert(ttl).is_fresh() {
                    Replay::Fresh
                } else {
                    Replay::Replayed
                }
            }
            #[cfg(feature = "redis")]
            Store::Redis(redis) => redis.first_use(key, ttl).await,
        }
    }
}

#[cfg(feature = "redis")]
mod redis_store {
    use std::time::Duration;

    use arc_swap::ArcSwapOption;
    use redis::aio::MultiplexedConnection;
    use std::sync::Arc;

    use super::Replay;
    use crate::revocation::RedisOptions;

    /// The client and, while there is one, the connection uses share.
    pub(super) struct RedisReplay {
        client: redis::Client,
        prefix: String,
        timeout: Duration,
        connection: ArcSwapOption<MultiplexedConnection>,
        /// Held while connecting, so that a burst of requests opens one connection.
        connecting: tokio::sync::Mutex<()>,
    }

    impl RedisReplay {
        pub(super) fn new(
            options: &RedisOptions,
        ) -> Result<Self, super::super::error::DpopConfigError> {
            let client = options
                .client()
                .ok_or(super::super::error::DpopConfigError::RedisUrl)?;
            Ok(Self {
                client,
                prefix: options.key_prefix().to_owned(),
                timeout: options.write_deadline(),
                connection: ArcSwapOption::empty(),
                connecting: tokio::sync::Mutex::new(()),
            })
        }

        pub(super) async fn first_use(&self, key: [u8; 32], ttl: Duration) -> Replay {
            let attempt = tokio::time::timeout(self.timeout, self.set_if_absent(key, ttl)).await;
            match attempt {
                Ok(Ok(true)) => Replay::Fresh,
                Ok(Ok(false)) => Replay::Replayed,
                Ok(Err(error)) => {
                    self.connection.store(None);
                    tracing::warn!(
                        target: "axum_scopes",
                        error = %error.kind_name(),
                        "the DPoP replay cache in Redis failed: proof refused"
                    );
                    Replay::Unavailable
                }
                Err(_) => {
                    self.connection.store(None);
                    tracing::warn!(
                        target: "axum_scopes",
                        "the DPoP replay cache in Redis did not answer in time: proof refused"
                    );
                    Replay::Unavailable
                }
            }
        }

        /// `SET NX` on the shared connection; once more on a new connection when the shared
        /// one fails (a server restarted since: its first use finds the old socket dead). A
        /// repeat whose first attempt did reach Redis answers "seen": a proof refused, never
        /// one accepted twice.
        async fn set_if_absent(&self, key: [u8; 32], ttl: Duration) -> redis::RedisResult<bool> {
            let (connection, fresh) = self.connection().await?;
            match self.set(connection, key, ttl).await {
                Err(error) if !fresh && (error.is_io_error() || error.is_connection_dropped()) => {
                    self.connection.store(None);
                    let (connection, _) = self.connection().await?;
                    self.set(connection, key, ttl).await
                }
                other => other,
            }
        }

        async fn set(
            &self,
            mut connection: MultiplexedConnection,
            key: [u8; 32],
            ttl: Duration,
        ) -> redis::RedisResult<bool> {
            let mut name = String::with_capacity(self.prefix.len() + 5 + 64);
            name.push_str(&self.prefix);
            name.push_str("dpop:");
            for byte in key {
                use std::fmt::Write as _;
                let _ = write!(name, "{byte:02x}");
            }
            let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let set: Option<String> = redis::cmd("SET")
                .arg(name)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(millis)
                .query_async(&mut connection)
                .await?;
            Ok(set.is_some())
        }

        /// The shared connection, and whether it was opened by this call.
        async fn connection(&self) -> redis::RedisResult<(MultiplexedConnection, bool)> {
            if let Some(connection) = self.connection.load_full() {
                return Ok(((*connection).clone(), false));
            }
            let _connecting = self.connecting.lock().await;
            if let Some(connection) = self.connection.load_full() {
                return Ok(((*connection).clone(), false));
            }
            let connection = self.client.get_multiplexed_async_connection().await?;
            self.connection.store(Some(Arc::new(connection.clone())));
            Ok((connection, true))
        }
    }

    /// The kind of a Redis error, never its text (which may echo a command).
    trait KindName {
        fn kind_name(&self) -> String;
    }

    impl KindName for redis::RedisError {
        fn kind_name(&self) -> String {
            format!("{:?}", self.kind())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_fresh_once_until_it_expires() {
        let cache = ReplayCache::in_memory();
        let ttl = Duration::from_millis(200);
        assert_eq!(cache.first_use([1; 32], ttl).await, Replay::Fresh);
        assert_eq!(cache.first_use([1; 32], ttl).await, Replay::Replayed);
        assert_eq!(cache.first_use([2; 32], ttl).await, Replay::Fresh);
        let clone = cache.clone();
        assert_eq!(clone.first_use([2; 32], ttl).await, Replay::Replayed);
    }
}
