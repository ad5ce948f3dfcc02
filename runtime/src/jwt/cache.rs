//! The verified-token cache of the core, used by [`Authenticator`](super::Authenticator) and
//! [`JwtKeys`](super::JwtKeys) alike: a client sends the same access token with every
//! request until it expires, and verifying its signature (ES256, RS256) costs far more than
//! everything else on the request path. An accepted token is remembered with all its bytes,
//! found by a keyed hash of all of them (foldhash, seeded at random per cache, so which tokens
//! share a slot cannot be chosen from outside) and served only to the same bytes, compared in
//! constant time; a later request with the same token skips the header parse, the key choice
//! and the signature, and only clones the claims the guards kept ([`KeepClaims`]) or
//! deserializes the remembered payload into its claims type ([`FromPayload`]). Two
//! tokens with the same hash are both correct: the second is a miss, verified in full, and
//! takes the slot. (A SHA-256 of the token cost 0.27 us of a 0.75 us hit for a 423-byte token;
//! the hash and the comparison cost 0.02 us, `benches/cache.rs`.)
//!
//! Rules, tested in `tests/tests/token_cache.rs` and in this module's unit tests (the exact
//! bytes, the kept claims, the front slots):
//! - a hit is a token with exactly the bytes of one that was accepted;
//! - only accepted tokens are kept; a rejection is never cached, so the cache can only turn
//!   work into less work, never a refusal into an acceptance;
//! - a hit re-checks `exp` (plus the leeway) and `nbf`/`iat` (minus the leeway) against the
//!   clock, and moka drops the entry when its `exp` (plus the leeway) passes, whatever room is
//!   left;
//! - a hit whose key has left its key set (JWKS rotation, withdrawal) is not served, and the
//!   refresh that removes a key drops every entry it verified;
//! - the cache is bounded in entries and in bytes (see [`TokenCacheOptions`]);
//! - each thread keeps its last few hits in front of moka ([`FRONT_SLOTS`], for the client
//!   that sends the same token request after request), each served under every rule above,
//!   exactly as a hit from moka is: a hot token skips moka's read bookkeeping (its read log,
//!   its clock, its housekeeping: 0.18 us of a 0.6 us hit). These slots can keep up to
//!   [`FRONT_SLOTS`] entries per thread alive after moka evicted them; they never serve one past
//!   its `exp` or its key.

use std::sync::Arc;
use std::time::{Duration, Instant};

use std::any::Any;
use std::cell::RefCell;
use std::hash::BuildHasher as _;
use std::sync::atomic::{AtomicU64, Ordering};

use moka::sync::Cache;
use serde::de::DeserializeOwned;

use super::claims::GrantedScopes;
use super::key::KeyId;
use super::verify::{Fresh, Verified};

/// The slot a cached token is found by: the cache's keyed hash of all the token's bytes (see
/// [`TokenCache::digest`]). A slot holds one token, served only to the same bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TokenDigest(u64);

/// A presented token and its slot (see [`TokenCache::slot`]).
#[derive(Clone, Copy)]
pub(crate) struct Slot<'t> {
    digest: TokenDigest,
    token: &'t [u8],
}

/// An entry lives at most this long, even when its `exp` is further away.
const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// What an entry costs besides its token, payload and scopes: the key, the entry's fields, the
/// `Arc`, and moka's own bookkeeping per entry (its node, the key's copy, the access-order
/// links), rounded up.
const ENTRY_OVERHEAD: usize = 256;

/// How big the verified-token cache of an [`Authenticator`](super::Authenticator) may grow.
///
/// On by default, with at most [`TokenCacheOptions::DEFAULT_MAX_ENTRIES`] entries and
/// [`TokenCacheOptions::DEFAULT_MAX_BYTES`] bytes. An entry's size is the token, its decoded
/// payload, its granted scopes and a fixed 256 bytes of bookkeeping; to hold both bounds each entry is
/// weighed at least `max_bytes / max_entries`, so neither limit can be exceeded. When full,
/// the least useful entries (moka's `TinyLFU` policy) make room. Only tokens that verified are
/// stored, so filling the cache takes validly signed tokens. Each thread also keeps its last
/// few hits (at most four) in front of the cache, served under the same checks; they can keep
/// up to four entries per thread alive after the cache evicted them, and never serve one past
/// its `exp` or after its key left the key set.
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
    /// All its bytes: a hit must present exactly these.
    token: Box<[u8]>,
    pub(crate) payload: Box<[u8]>,
    /// The claims as the guards deserialized them when the token was verified (see
    /// [`KeepClaims`]), so their hits clone them instead of parsing the payload again.
    typed: Option<TypedClaims>,
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
        // Typed claims count their inline size and, for what they own on the heap, the
        // payload's size again (what they were deserialized from).
        let typed = self
            .typed
            .as_ref()
            .map_or(0, |typed| typed.size + self.payload.len());
        ENTRY_OVERHEAD
            + self.token.len()
            + self.payload.len()
            + typed
            + scopes
            + self.scopes.len() * 24
    }
}

/// Claims kept deserialized in an entry, of the one type they were verified as.
pub(crate) struct TypedClaims {
    claims: Box<dyn Any + Send + Sync>,
    /// `size_of` of the claims type.
    size: usize,
}

/// How a hit becomes claims of type `C`: parsed from the cached payload ([`FromPayload`], for
/// any `C`), or cloned from the claims kept when the token was verified ([`KeepClaims`], for
/// the guards, whose claims are `Clone`: a clone costs a few allocations at most, parsing the
/// payload of an identity provider's token about 0.3 us).
pub(crate) trait ClaimsOnHit<C> {
    /// What an entry keeps of the claims a verification produced.
    fn keep(claims: &C) -> Option<TypedClaims>;
    /// The claims of a hit.
    fn serve(hit: &CachedToken) -> Option<C>;
}

/// [`ClaimsOnHit`] that deserializes the payload on each hit.
pub(crate) enum FromPayload {}

impl<C: DeserializeOwned> ClaimsOnHit<C> for FromPayload {
    fn keep(_: &C) -> Option<TypedClaims> {
        None
    }

    fn serve(hit: &CachedToken) -> Option<C> {
        serde_json::from_slice::<C>(&hit.payload).ok()
    }
}

/// [`ClaimsOnHit`] that keeps the claims and clones them on a hit (parsing the payload when
/// the entry holds another type's claims).
pub(crate) enum KeepClaims {}

impl<C: DeserializeOwned + Clone + Send + Sync + 'static> ClaimsOnHit<C> for KeepClaims {
    fn keep(claims: &C) -> Option<TypedClaims> {
        Some(TypedClaims {
            claims: Box::new(claims.clone()),
            size: std::mem::size_of::<C>(),
        })
    }

    fn serve(hit: &CachedToken) -> Option<C> {
        match hit.typed.as_ref()?.claims.downcast_ref::<C>() {
            Some(claims) => Some(claims.clone()),
            None => FromPayload::serve(hit),
        }
    }
}

/// The cache itself: moka's concurrent cache, whose reads take no lock, behind a few slots
/// per thread.
#[derive(Clone)]
pub(crate) struct TokenCache {
    entries: Cache<TokenDigest, Arc<CachedToken>, foldhash::fast::RandomState>,
    /// The keyed hash of a token's bytes, seeded at random for this cache.
    hasher: foldhash::quality::RandomState,
    /// Which cache of the process this is, for the per-thread slots; shared by its clones.
    id: u64,
}

/// The next [`TokenCache`]'s `id`.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// How many recent hits each thread keeps in front of moka, per slot of the digest's low bits.
pub(crate) const FRONT_SLOTS: usize = 4;

/// A recent hit of this thread.
struct Front {
    cache: u64,
    digest: TokenDigest,
    entry: Arc<CachedToken>,
}

thread_local! {
    /// This thread's recent hits, of every cache of the process (see [`TokenCache::get`]).
    static FRONT: RefCell<[Option<Front>; FRONT_SLOTS]> =
        const { RefCell::new([const { None }; FRONT_SLOTS]) };
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
        let entries = Cache::builder()
            .max_capacity(options.max_bytes)
            .weigher(move |_: &TokenDigest, token: &Arc<CachedToken>| {
                u32::try_from(token.weight()).unwrap_or(u32::MAX).max(floor)
            })
            .expire_after(UntilDeadline)
            .support_invalidation_closures()
            // The key is already a keyed hash: moka's own hash of it need not be SipHash.
            .build_with_hasher(foldhash::fast::RandomState::default());
        Some(Self {
            entries,
            hasher: foldhash::quality::RandomState::default(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// This thread's recent hit in `digest`'s front slot, if it is of this cache and digest.
    fn front(&self, digest: TokenDigest) -> Option<Arc<CachedToken>> {
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
    fn remember(&self, digest: TokenDigest, entry: &Arc<CachedToken>) {
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

    /// `token` and the slot it is cached under: the keyed hash of all its bytes.
    pub(crate) fn slot<'t>(&self, token: &'t [u8]) -> Slot<'t> {
        Slot {
            digest: TokenDigest(self.hasher.hash_one(token)),
            token,
        }
    }

    /// The cached token in `slot`, if it is the presented token (all its bytes, compared in
    /// constant time) and its time window holds `now` (seconds since 1970).
    pub(crate) fn get(&self, slot: Slot<'_>, now: u64) -> Option<Arc<CachedToken>> {
        let Slot { digest, token } = slot;
        let same = |cached: &CachedToken| constant_time_eq::constant_time_eq(&cached.token, token);
        let cached = match self.front(digest) {
            Some(cached) if same(&cached) => cached,
            _ => {
                let cached = self.entries.get(&digest)?;
                if !same(&cached) {
                    // Another token in the same slot: a miss; the full path verifies this one.
                    return None;
                }
                self.remember(digest, &cached);
                cached
            }
        };
        if now > cached.deadline || now < cached.earliest {
            self.forget(digest);
            return None;
        }
        Some(cached)
    }

    /// The hit for the token of `slot` as a [`Verified<C>`], if its time window holds `now` and
    /// `key_present` says the key that verified it (source index, key) is still trusted; a hit
    /// whose key is gone is forgotten. `None` sends the caller down the full path, also when
    /// the cached payload does not fit `C` (the full path then gives its error).
    pub(crate) fn serve<C, K: ClaimsOnHit<C>>(
        &self,
        slot: Slot<'_>,
        now: u64,
        key_present: impl FnOnce(usize, KeyId) -> bool,
    ) -> Option<Verified<C>> {
        let hit = self.get(slot, now)?;
        if !key_present(hit.source, hit.key) {
            self.forget(slot.digest);
            return None;
        }
        let claims = K::serve(&hit)?;
        Some(Verified {
            claims,
            scopes: hit.scopes.clone(),
        })
    }

    /// Forgets `digest`, such as a hit whose key is gone.
    pub(crate) fn forget(&self, digest: TokenDigest) {
        self.unfront(digest);
        self.entries.invalidate(&digest);
    }

    /// Remembers the token of `slot`, verified at `now` by the key `fresh.key` of source
    /// `source` (replacing whichever token held the slot).
    pub(crate) fn insert(
        &self,
        slot: Slot<'_>,
        fresh: Fresh,
        typed: Option<TypedClaims>,
        scopes: &GrantedScopes,
        source: usize,
        now: u64,
    ) {
        if fresh.deadline <= now || fresh.earliest > now {
            return;
        }
        self.entries.insert(
            slot.digest,
            Arc::new(CachedToken {
                token: slot.token.into(),
                payload: fresh.payload,
                typed,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(payload: &[u8], now: u64) -> Fresh {
        Fresh {
            payload: payload.into(),
            deadline: now + 60,
            earliest: now - 60,
            key: 7,
        }
    }

    fn scopes() -> GrantedScopes {
        ["items"].into_iter().collect()
    }

    #[test]
    fn a_slot_serves_only_the_bytes_it_was_given() {
        let cache = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let now = super::super::verify::now();
        let token = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig".as_slice();
        let slot = cache.slot(token);
        cache.insert(slot, fresh(br#"{"sub":"a"}"#, now), None, &scopes(), 0, now);
        let served = |token: &[u8]| {
            // The presented bytes in the slot of `token`, as a hash collision would put them.
            let presented = Slot { token, ..slot };
            cache
                .serve::<serde_json::Value, FromPayload>(presented, now, |_, _| true)
                .map(|verified| verified.claims)
        };
        assert_eq!(served(token), Some(serde_json::json!({"sub": "a"})));
        // Another token in the same slot (as a hash collision would put it): never served,
        // whether it differs in one byte, is a prefix or is longer.
        let mut other = token.to_vec();
        *other.last_mut().unwrap() ^= 1;
        assert_eq!(served(&other), None);
        assert_eq!(served(&token[..token.len() - 1]), None);
        assert_eq!(served(&[token, b"x"].concat()), None);
        // The slot still serves its own token.
        assert!(served(token).is_some());
    }

    #[test]
    fn kept_claims_are_served_to_their_type_and_parsed_for_others() {
        #[derive(Clone, Debug, PartialEq, serde::Deserialize)]
        struct Sub {
            sub: String,
        }
        let cache = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let now = super::super::verify::now();
        let token = b"header.payload.signature".as_slice();
        let slot = cache.slot(token);
        // Kept claims that differ from the payload show which path served the hit.
        let kept = KeepClaims::keep(&Sub { sub: "kept".into() });
        let payload = br#"{"sub":"parsed"}"#;
        cache.insert(slot, fresh(payload, now), kept, &scopes(), 0, now);
        let serve = |path: fn(&CachedToken) -> Option<Sub>| {
            let hit = cache.get(slot, now).unwrap();
            path(&hit).unwrap().sub
        };
        assert_eq!(serve(<KeepClaims as ClaimsOnHit<Sub>>::serve), "kept");
        assert_eq!(serve(<FromPayload as ClaimsOnHit<Sub>>::serve), "parsed");
        let value = cache
            .serve::<serde_json::Value, KeepClaims>(slot, now, |_, _| true)
            .unwrap();
        assert_eq!(
            value.claims,
            serde_json::json!({"sub": "parsed"}),
            "another type"
        );
        // The kept claims are weighed: their size and the payload's again.
        let hit = cache.get(slot, now).unwrap();
        let plain = clone_entry(&hit);
        assert_eq!(
            hit.weight(),
            plain.weight() + std::mem::size_of::<Sub>() + payload.len()
        );
    }

    /// `entry` without its kept claims.
    fn clone_entry(entry: &CachedToken) -> CachedToken {
        CachedToken {
            token: entry.token.clone(),
            payload: entry.payload.clone(),
            typed: None,
            scopes: entry.scopes.clone(),
            deadline: entry.deadline,
            earliest: entry.earliest,
            key: entry.key,
            source: entry.source,
        }
    }

    #[test]
    fn the_front_slots_serve_under_the_same_rules() {
        let cache = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let other = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let now = super::super::verify::now();
        let token = b"a.front.token".as_slice();
        let slot = cache.slot(token);
        cache.insert(slot, fresh(b"{}", now), None, &scopes(), 0, now);
        // The first hit comes from moka and fills this thread's front slot; the second from it.
        assert!(cache.get(slot, now).is_some());
        assert!(cache.front(slot.digest).is_some());
        assert!(cache.get(slot, now).is_some());
        // Another cache never sees this cache's front slots, even for the same digest.
        assert!(other.front(slot.digest).is_none());
        assert!(other.get(slot, now).is_none());
        // Other bytes in the slot are not served from the front either.
        let presented = Slot {
            token: b"a.front.tokeX",
            ..slot
        };
        assert!(cache.get(presented, now).is_none());
        // Past its deadline (exp plus leeway), the front's copy is refused and both are dropped.
        assert!(cache.get(slot, now + 61).is_none());
        assert!(cache.front(slot.digest).is_none());
        assert!(cache.get(slot, now).is_none(), "gone from moka too");
        // A forgotten entry (its key gone) leaves the front as well.
        cache.insert(slot, fresh(b"{}", now), None, &scopes(), 0, now);
        assert!(cache.get(slot, now).is_some());
        cache.forget(slot.digest);
        assert!(cache.front(slot.digest).is_none());
        assert!(cache.get(slot, now).is_none());
    }

    #[test]
    fn the_hash_is_keyed_per_cache_and_covers_every_byte() {
        let one = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let two = TokenCache::new(TokenCacheOptions::default()).unwrap();
        let token = vec![b'a'; 800];
        let digest = |cache: &TokenCache, token: &[u8]| cache.slot(token).digest;
        assert_ne!(
            digest(&one, &token),
            digest(&two, &token),
            "seeded per cache"
        );
        for at in [0, 399, 799] {
            let mut changed = token.clone();
            changed[at] = b'b';
            assert_ne!(digest(&one, &token), digest(&one, &changed), "byte {at}");
        }
    }
}
