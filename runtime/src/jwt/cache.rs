//! The verified-token cache of the core, used by [`Authenticator`](super::Authenticator) and
//! [`JwtKeys`](super::JwtKeys) alike: a client sends the same access token with every
//! request until it expires, and verifying its signature (ES256, RS256) costs far more than
//! everything else on the request path. An accepted token is remembered by the SHA-256 of all
//! its bytes; a later request with the same bytes skips the header parse, the key choice and
//! the signature, and only deserializes the remembered payload into its claims type.
//!
//! Rules, each tested in `tests/tests/token_cache.rs`:
//! - only accepted tokens are kept; a rejection is never cached, so the cache can only turn
//!   work into less work, never a refusal into an acceptance;
//! - a hit re-checks `exp` (plus the leeway) and `nbf`/`iat` (minus the leeway) against the
//!   clock, and moka drops the entry when its `exp` (plus the leeway) passes, whatever room is
//!   left;
//! - a hit whose key has left its key set (JWKS rotation, withdrawal) is not served, and the
//!   refresh that removes a key drops every entry it verified;
//! - the cache is bounded in entries and in bytes (see [`TokenCacheOptions`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::sync::Cache;
use serde::de::DeserializeOwned;
use sha2::Digest as _;

use super::claims::GrantedScopes;
use super::key::KeyId;
use super::verify::{Fresh, Verified};

/// The digest a cached token is found by: SHA-256 of the whole token.
pub(crate) type TokenDigest = [u8; 32];

/// An entry lives at most this long, even when its `exp` is further away.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// What an entry costs besides its payload and scopes: the digest, the entry's fields, the
/// `Arc`, and moka's own bookkeeping per entry (its node, the key's copy, the access-order
/// links), rounded up.
const ENTRY_OVERHEAD: usize = 256;

/// How big the verified-token cache of an [`Authenticator`](super::Authenticator) may grow.
///
/// On by default, with at most [`TokenCacheOptions::DEFAULT_MAX_ENTRIES`] entries and
/// [`TokenCacheOptions::DEFAULT_MAX_BYTES`] bytes. An entry's size is its decoded payload, its
/// granted scopes and a fixed 256 bytes of bookkeeping; to hold both bounds each entry is
/// weighed at least `max_bytes / max_entries`, so neither limit can be exceeded. When full,
/// the least useful entries (moka's `TinyLFU` policy) make room. Only tokens that verified are
/// stored, so filling the cache takes validly signed tokens.
///
/// ```
/// use axum_scopes::jwt::TokenCacheOptions;
///
/// let roomy = TokenCacheOptions::default().max_entries(100_000).max_bytes(64 << 20);
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
    /// The default bound on the number of cached tokens.
    pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
    /// The default bound on the bytes cached tokens take, 16 MiB.
    pub const DEFAULT_MAX_BYTES: u64 = 16 << 20;

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

/// One accepted token.
pub(crate) struct CachedToken {
    pub(crate) payload: Box<[u8]>,
    pub(crate) scopes: GrantedScopes,
    /// See [`Fresh::deadline`] and [`Fresh::earliest`].
    deadline: u64,
    earliest: u64,
    /// The key that verified it, and the index of its source in the authenticator.
    pub(crate) key: KeyId,
    pub(crate) source: usize,
}

impl CachedToken {
    fn weight(&self) -> usize {
        let scopes: usize = self.scopes.iter().map(str::len).sum();
        ENTRY_OVERHEAD + self.payload.len() + scopes + self.scopes.len() * 24
    }
}

/// The cache itself: moka's concurrent cache, whose reads take no lock.
#[derive(Clone)]
pub(crate) struct TokenCache {
    entries: Cache<TokenDigest, Arc<CachedToken>>,
}

impl TokenCache {
    /// The cache `options` ask for, or `None` when they turn it off.
    pub(crate) fn new(options: TokenCacheOptions) -> Option<Self> {
        if !options.is_enabled() {
            return None;
        }
        let floor = options.max_bytes.div_ceil(options.max_entries);
        let floor = u32::try_from(floor).unwrap_or(u32::MAX);
        let entries = Cache::builder()
            .max_capacity(options.max_bytes)
            .weigher(move |_: &TokenDigest, token: &Arc<CachedToken>| {
                u32::try_from(token.weight()).unwrap_or(u32::MAX).max(floor)
            })
            .expire_after(UntilDeadline)
            .support_invalidation_closures()
            .build();
        Some(Self { entries })
    }

    /// The digest `token` is cached under.
    pub(crate) fn digest(token: &[u8]) -> TokenDigest {
        sha2::Sha256::digest(token).into()
    }

    /// The cached token for `digest`, if its time window holds `now` (seconds since 1970).
    pub(crate) fn get(&self, digest: &TokenDigest, now: u64) -> Option<Arc<CachedToken>> {
        let token = self.entries.get(digest)?;
        if now > token.deadline || now < token.earliest {
            self.entries.invalidate(digest);
            return None;
        }
        Some(token)
    }

    /// The hit for `digest` as a [`Verified<C>`], if its time window holds `now` and
    /// `key_present` says the key that verified it (source index, key) is still trusted; a hit
    /// whose key is gone is forgotten. `None` sends the caller down the full path, also when
    /// the cached payload does not fit `C` (the full path then gives its error).
    pub(crate) fn serve<C: DeserializeOwned>(
        &self,
        digest: &TokenDigest,
        now: u64,
        key_present: impl FnOnce(usize, KeyId) -> bool,
    ) -> Option<Verified<C>> {
        let hit = self.get(digest, now)?;
        if !key_present(hit.source, hit.key) {
            self.forget(digest);
            return None;
        }
        let claims = serde_json::from_slice::<C>(&hit.payload).ok()?;
        Some(Verified {
            claims,
            scopes: hit.scopes.clone(),
        })
    }

    /// Forgets `digest`, such as a hit whose key is gone.
    pub(crate) fn forget(&self, digest: &TokenDigest) {
        self.entries.invalidate(digest);
    }

    /// Remembers a token verified at `now` by the key `fresh.key` of source `source`.
    pub(crate) fn insert(
        &self,
        digest: TokenDigest,
        fresh: Fresh,
        scopes: &GrantedScopes,
        source: usize,
        now: u64,
    ) {
        if fresh.deadline <= now || fresh.earliest > now {
            return;
        }
        self.entries.insert(
            digest,
            Arc::new(CachedToken {
                payload: fresh.payload,
                scopes: scopes.clone(),
                deadline: fresh.deadline,
                earliest: fresh.earliest,
                key: fresh.key,
                source,
            }),
        );
    }

    /// Drops every entry verified by one of `removed`, keys that left source `source`.
    #[cfg(feature = "jwks")]
    pub(crate) fn drop_keys(&self, source: usize, removed: Vec<KeyId>) {
        if removed.is_empty() {
            return;
        }
        let dropped = self.entries.invalidate_entries_if(move |_, token| {
            token.source == source && removed.contains(&token.key)
        });
        if dropped.is_err() {
            // Only possible without `support_invalidation_closures`, which `new` sets; a hit
            // still re-checks that its key is present.
            tracing::warn!(target: "axum_scopes", "token cache: could not drop entries of removed keys");
        }
    }

    /// The number of entries, after pending evictions are applied (for tests and stats).
    pub(crate) fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

/// Expires an entry when its deadline passes (at most [`MAX_TTL`] after insertion).
struct UntilDeadline;

impl moka::Expiry<TokenDigest, Arc<CachedToken>> for UntilDeadline {
    fn expire_after_create(
        &self,
        _: &TokenDigest,
        token: &Arc<CachedToken>,
        _: Instant,
    ) -> Option<Duration> {
        let left = token
            .deadline
            .saturating_sub(super::verify::now())
            .saturating_add(1);
        Some(Duration::from_secs(left).min(MAX_TTL))
    }
}
