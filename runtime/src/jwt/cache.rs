//! The verified-token cache: a client sends the same access token with every request until it
//! expires, and verifying its signature (ES256, RS256) costs far more than everything else on
//! the request path.
//!
//! This module only stores and finds: [`TokenCache::lookup`] returns the [`Accepted`] token kept
//! under a token's digest, from whichever tier holds it, and checks nothing. Every check of a
//! hit (the exact bytes, the time window, the key still present) runs in one function after the
//! lookup, the verifier's admission, for every tier alike and for freshly verified tokens too.
//!
//! - **Slots.** An accepted token is found by a keyed hash of all its bytes (foldhash, seeded
//!   at random per cache, so which tokens share a slot cannot be chosen from outside); the
//!   admission serves it only to the same bytes. Two tokens with the same hash are both
//!   correct: the second is a miss, verified in full, and takes the slot. A keyed 64-bit hash
//!   rather than SHA-256: the target "ES256 cache on" of benchmarks/README.md.
//! - **Tiers.** moka's concurrent cache (reads take no lock; `TinyLFU` admission and eviction;
//!   bounded in entries and bytes, see [`TokenCacheOptions`]; an entry expires at its token's
//!   `exp` plus the leeway), and in front of it each thread's last few hits ([`FRONT_SLOTS`]),
//!   which skip moka's read bookkeeping for the client that sends the same token request after
//!   request (the same target). The front slots can keep up to [`FRONT_SLOTS`] entries per
//!   thread alive after moka evicted them; the admission never serves one past its `exp` or its
//!   key.
//! - **Only accepted tokens are kept**; a rejection never is, so the cache can only turn work
//!   into less work, never a refusal into an acceptance.
//! - **Counters** of hits, misses and evictions ([`TokenCacheStats`]), so an operator can size
//!   the cache; they are spread over cache lines so that threads counting do not contend.

use std::cell::RefCell;
use std::hash::BuildHasher as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::notification::RemovalCause;
use moka::sync::Cache;

use super::accepted::Accepted;
use super::clock;
use super::key::KeyId;

/// The slot a cached token is found by: the cache's keyed hash of all the token's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TokenDigest(u64);

/// An entry lives at most this long, even when its `exp` is further away.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How big the verified-token cache may grow.
///
/// On by default, with at most [`TokenCacheOptions::DEFAULT_MAX_ENTRIES`] entries and
/// [`TokenCacheOptions::DEFAULT_MAX_BYTES`] bytes: room for 20,000 identity-provider tokens
/// (an ES256 access token of a real provider weighs about 2 KB as an entry). An entry's
/// weight is the token, twice its decoded payload (once for the claims a guard keeps), its
/// granted scopes and a fixed 384 bytes of bookkeeping; to hold both bounds each entry is
/// weighed at least `max_bytes / max_entries`, so neither limit can be exceeded. When full,
/// the least useful entries (moka's `TinyLFU` policy) make room; [`TokenCacheStats`] says how
/// often that happens. Only tokens that verified are stored, so filling the cache takes
/// validly signed tokens. Each thread also keeps its last few hits (at most four) in front of
/// the cache, served under the same checks; they can keep up to four entries per thread alive
/// after the cache evicted them, and are never served past their `exp` or after their key left
/// the key set.
///
/// ```
/// use axum_scopes::jwt::TokenCacheOptions;
///
/// let roomy = TokenCacheOptions::default().max_entries(100_000).max_bytes(256 << 20);
/// let off = TokenCacheOptions::disabled();
/// # let _ = (roomy, off);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct TokenCacheOptions {
    max_entries: u64,
    max_bytes: u64,
}

impl TokenCacheOptions {
    /// The default bound on the number of cached tokens, 50,000.
    pub const DEFAULT_MAX_ENTRIES: u64 = 50_000;
    /// The default bound on the bytes cached tokens take, 64 MiB.
    pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;

    /// No cache: every request verifies its token's signature.
    pub const fn disabled() -> Self {
        Self {
            max_entries: 0,
            max_bytes: 0,
        }
    }

    /// At most `entries` cached tokens; 0 turns the cache off.
    pub const fn max_entries(mut self, entries: u64) -> Self {
        self.max_entries = entries;
        self
    }

    /// At most `bytes` bytes of cached tokens (as weighed above); 0 turns the cache off.
    pub const fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Whether these options keep a cache at all.
    #[must_use]
    pub const fn is_enabled(&self) -> bool {
        self.max_entries > 0 && self.max_bytes > 0
    }
}

impl Default for TokenCacheOptions {
    fn default() -> Self {
        Self {
            max_entries: Self::DEFAULT_MAX_ENTRIES,
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }
}

/// What the verified-token cache did since it was built, for metrics and sizing: from
/// [`Authenticator::token_cache_stats`](super::Authenticator::token_cache_stats) or
/// [`JwtKeys::token_cache_stats`](super::JwtKeys::token_cache_stats).
///
/// A cache that is too small shows as `evictions` growing with `misses`: each eviction of a
/// token still in use costs one full verification when it comes back. All zero when the cache
/// is [disabled](TokenCacheOptions::disabled).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// Tokens served from the cache.
    pub hits: u64,
    /// Tokens verified in full, accepted or not (the cache had no usable entry for them).
    pub misses: u64,
    /// Entries removed to make room (not those that expired or whose key left its key set).
    pub evictions: u64,
    /// Entries held now.
    pub entries: u64,
    /// Their weight in bytes, as [`TokenCacheOptions::max_bytes`] counts it.
    pub bytes: u64,
}

/// The cache itself: moka's concurrent cache, whose reads take no lock, behind a few slots
/// per thread.
#[derive(Clone)]
pub(crate) struct TokenCache {
    entries: Cache<TokenDigest, Arc<Accepted>, foldhash::fast::RandomState>,
    /// The keyed hash of a token's bytes, seeded at random for this cache.
    hasher: foldhash::quality::RandomState,
    /// Which cache of the process this is, for the per-thread slots; shared by its clones.
    id: u64,
    counters: Arc<Counters>,
}

/// The next [`TokenCache`]'s `id`.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// How many recent hits each thread keeps in front of moka, per slot of the digest's low bits.
pub(crate) const FRONT_SLOTS: usize = 4;

/// A recent hit of this thread.
struct Front {
    cache: u64,
    digest: TokenDigest,
    entry: Arc<Accepted>,
}

thread_local! {
    /// This thread's recent hits, of every cache of the process (see [`TokenCache::lookup`]).
    static FRONT: RefCell<[Option<Front>; FRONT_SLOTS]> =
        const { RefCell::new([const { None }; FRONT_SLOTS]) };
    /// This thread's counter shard (see [`Counters`]).
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

/// The next thread's counter shard.
static NEXT_SHARD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counter shards: threads count in different cache lines.
const SHARDS: usize = 16;

/// One shard's counters, alone in its cache line (128 bytes: two lines on x86-64, which
/// prefetches in pairs).
#[derive(Default)]
#[repr(align(128))]
struct Shard {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Hits and misses, sharded by thread; evictions, counted by moka's listener.
#[derive(Default)]
struct Counters {
    shards: [Shard; SHARDS],
    evictions: AtomicU64,
}

impl Counters {
    fn count(&self, which: fn(&Shard) -> &AtomicU64) {
        let shard = SHARD.try_with(|shard| *shard).unwrap_or(0);
        which(&self.shards[shard]).fetch_add(1, Ordering::Relaxed);
    }

    fn sum(&self, which: fn(&Shard) -> &AtomicU64) -> u64 {
        self.shards
            .iter()
            .map(|shard| which(shard).load(Ordering::Relaxed))
            .sum()
    }
}

/// The front slot of `digest`.
fn front_index(digest: TokenDigest) -> usize {
    // Only the low bits: the result is below `FRONT_SLOTS`.
    usize::try_from(digest.0 % FRONT_SLOTS as u64).unwrap_or(0)
}

impl TokenCache {
    /// The cache `options` ask for, or `None` when they turn it off.
    pub(crate) fn new(options: TokenCacheOptions) -> Option<Self> {
        if !options.is_enabled() {
            return None;
        }
        let floor = options.max_bytes.div_ceil(options.max_entries);
        let floor = u32::try_from(floor).unwrap_or(u32::MAX);
        let counters = Arc::new(Counters::default());
        let evictions = Arc::clone(&counters);
        let entries = Cache::builder()
            .max_capacity(options.max_bytes)
            .weigher(move |_: &TokenDigest, token: &Arc<Accepted>| {
                u32::try_from(token.weight()).unwrap_or(u32::MAX).max(floor)
            })
            .expire_after(UntilDeadline)
            .eviction_listener(move |_, _, cause| {
                if cause == RemovalCause::Size {
                    evictions.evictions.fetch_add(1, Ordering::Relaxed);
                }
            })
            .support_invalidation_closures()
            // The key is already a keyed hash: moka's own hash of it need not be SipHash.
            .build_with_hasher(foldhash::fast::RandomState::default());
        Some(Self {
            entries,
            hasher: foldhash::quality::RandomState::default(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            counters,
        })
    }

    /// The slot `token` is cached under: the keyed hash of all its bytes.
    pub(crate) fn digest(&self, token: &[u8]) -> TokenDigest {
        TokenDigest(self.hasher.hash_one(token))
    }

    /// The entry kept under `digest`, from this thread's front slot or from moka (which then
    /// fills the front slot). Checks nothing: the caller admits or refuses what it gets.
    pub(crate) fn lookup(&self, digest: TokenDigest) -> Option<Arc<Accepted>> {
        if let Some(entry) = self.front(digest) {
            return Some(entry);
        }
        let entry = self.entries.get(&digest)?;
        self.remember(digest, &entry);
        Some(entry)
    }

    /// Keeps `entry` under `digest` (replacing whichever token held the slot), unless its
    /// time window has closed at `now`.
    pub(crate) fn insert(&self, digest: TokenDigest, entry: Arc<Accepted>, now: u64) {
        if entry.deadline <= now || entry.earliest > now {
            return;
        }
        self.entries.insert(digest, entry);
    }

    /// Forgets `digest`, in every tier this thread can reach.
    pub(crate) fn forget(&self, digest: TokenDigest) {
        self.unfront(digest);
        self.entries.invalidate(&digest);
    }

    /// Counts a token served from the cache.
    pub(crate) fn count_hit(&self) {
        self.counters.count(|shard| &shard.hits);
    }

    /// Counts a token verified in full.
    pub(crate) fn count_miss(&self) {
        self.counters.count(|shard| &shard.misses);
    }

    #[cfg_attr(
        not(feature = "jwks"),
        allow(
            dead_code,
            reason = "only remote key sets are replaced; the unit tests replace keys too"
        )
    )]
    /// Drops every entry verified by one of `removed`, keys that left source `source`. (The
    /// admission refuses such entries anyway; this frees their room at once.)
    pub(crate) fn drop_keys(&self, source: usize, removed: Vec<KeyId>) {
        if removed.is_empty() {
            return;
        }
        let dropped = self.entries.invalidate_entries_if(move |_, token| {
            token.source == source && removed.contains(&token.key)
        });
        if dropped.is_err() {
            // Only possible without `support_invalidation_closures`, which `new` sets; the
            // admission still refuses an entry whose key is gone.
            tracing::warn!(target: "axum_scopes", "token cache: could not drop entries of removed keys");
        }
    }

    /// The counters and sizes, after pending evictions are applied.
    pub(crate) fn stats(&self) -> TokenCacheStats {
        self.entries.run_pending_tasks();
        TokenCacheStats {
            hits: self.counters.sum(|shard| &shard.hits),
            misses: self.counters.sum(|shard| &shard.misses),
            evictions: self.counters.evictions.load(Ordering::Relaxed),
            entries: self.entries.entry_count(),
            bytes: self.entries.weighted_size(),
        }
    }

    /// Whether this thread's front slot holds `digest`'s entry of this cache.
    #[cfg(test)]
    pub(crate) fn in_front(&self, digest: TokenDigest) -> bool {
        self.front(digest).is_some()
    }

    /// This thread's recent hit in `digest`'s front slot, if it is of this cache and digest.
    fn front(&self, digest: TokenDigest) -> Option<Arc<Accepted>> {
        FRONT
            .try_with(|front| {
                let front = front.try_borrow().ok()?;
                let hit = front[front_index(digest)].as_ref()?;
                (hit.cache == self.id && hit.digest == digest).then(|| Arc::clone(&hit.entry))
            })
            .ok()
            .flatten()
    }

    /// Puts `entry`, a hit from moka, in this thread's front slot for `digest`.
    fn remember(&self, digest: TokenDigest, entry: &Arc<Accepted>) {
        let _ = FRONT.try_with(|front| {
            if let Ok(mut front) = front.try_borrow_mut() {
                front[front_index(digest)] = Some(Front {
                    cache: self.id,
                    digest,
                    entry: Arc::clone(entry),
                });
            }
        });
    }

    /// Empties this thread's front slot for `digest` if it holds this cache's entry.
    fn unfront(&self, digest: TokenDigest) {
        let _ = FRONT.try_with(|front| {
            if let Ok(mut front) = front.try_borrow_mut() {
                let slot = &mut front[front_index(digest)];
                if slot
                    .as_ref()
                    .is_some_and(|hit| hit.cache == self.id && hit.digest == digest)
                {
                    *slot = None;
                }
            }
        });
    }
}

/// Expires an entry when its deadline passes (at most [`MAX_TTL`] after insertion).
struct UntilDeadline;

impl moka::Expiry<TokenDigest, Arc<Accepted>> for UntilDeadline {
    fn expire_after_create(
        &self,
        _: &TokenDigest,
        token: &Arc<Accepted>,
        _: Instant,
    ) -> Option<Duration> {
        let left = token
            .deadline
            .saturating_sub(clock::now())
            .saturating_add(1);
        Some(Duration::from_secs(left).min(MAX_TTL))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::accepted::Fresh;

    fn entry(token: &[u8], now: u64) -> Arc<Accepted> {
        Accepted::new(Fresh {
            token,
            payload: b"{}",
            scopes: ["items"].into_iter().collect(),
            deadline: now + 60,
            earliest: now - 60,
            key: 7,
            source: 0,
            kid: None,
            jkt: None,
        })
    }

    #[test]
    fn lookup_finds_what_was_inserted_in_both_tiers() {
        let cache = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let other = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let now = clock::now();
        let digest = cache.digest(b"a.front.token");
        assert!(cache.lookup(digest).is_none());
        cache.insert(digest, entry(b"a.front.token", now), now);
        // The first lookup comes from moka and fills this thread's front slot.
        assert!(cache.front(digest).is_none());
        assert!(cache.lookup(digest).is_some());
        assert!(cache.front(digest).is_some());
        // Another cache never sees this cache's front slots, even for the same digest.
        assert!(other.front(digest).is_none());
        assert!(other.lookup(digest).is_none());
        // Forgetting clears both tiers.
        cache.forget(digest);
        assert!(cache.front(digest).is_none());
        assert!(cache.lookup(digest).is_none());
    }

    #[test]
    fn a_closed_window_is_not_kept() {
        let cache = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let now = clock::now();
        let digest = cache.digest(b"t");
        cache.insert(digest, entry(b"t", now), now + 60);
        assert!(cache.lookup(digest).is_none());
        cache.insert(digest, entry(b"t", now), now - 61);
        assert!(cache.lookup(digest).is_none());
    }

    #[test]
    fn the_hash_is_keyed_per_cache_and_covers_every_byte() {
        let one = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let two = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let token = vec![b'a'; 800];
        assert_ne!(one.digest(&token), two.digest(&token), "seeded per cache");
        for at in [0, 399, 799] {
            let mut changed = token.clone();
            changed[at] = b'b';
            assert_ne!(one.digest(&token), one.digest(&changed), "byte {at}");
        }
    }

    #[test]
    fn stats_count_hits_misses_and_evictions() {
        // Room for about two entries: the third evicts one.
        let options = TokenCacheOptions::default()
            .max_entries(2)
            .max_bytes(2 * 1024);
        let cache = TokenCache::new(options).unwrap();
        let now = clock::now();
        for token in [&b"one"[..], b"two", b"three", b"four"] {
            cache.count_miss();
            cache.insert(cache.digest(token), entry(token, now), now);
        }
        cache.count_hit();
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (1, 4));
        assert!(stats.entries <= 2, "{stats:?}");
        assert!(stats.evictions >= 1, "{stats:?}");
        assert!(stats.bytes <= 2 * 1024, "{stats:?}");
        assert_eq!(
            TokenCache::new(TokenCacheOptions::disabled()).map(|c| c.stats()),
            None
        );
    }
}
