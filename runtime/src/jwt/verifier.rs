//! The one verifier every token goes through, whichever front door it came in by
//! ([`JwtKeys`](super::JwtKeys), [`Authenticator`](super::Authenticator), the guards): key
//! sources, the verified-token cache, and [`Verifier::verify`], which looks the token up, and
//! on a miss verifies it in full ([`super::verify::check`]) and keeps it.
//!
//! Every accepted token, served from any tier of the cache or just verified, passes one
//! function, [`Verifier::admit`]: the exact bytes, the time window (`exp` plus the leeway,
//! `nbf`/`iat` minus it), its key still in its key set, its DPoP binding (a token bound to a
//! key by `cnf.jkt` only with a proof by that key, an unbound one only without: see
//! [`crate::dpop`]), and, when revocation is configured, no revocation naming it
//! ([`crate::revocation`]). A check that must hold on every accepted token goes there and
//! nowhere else.
//!
//! The verifier knows nothing of where keys come from: its owner replaces a key set with
//! [`Verifier::replace_keys`] (the JWKS client does, after a refresh), and a refused token names
//! the key sets a refresh might help ([`Refused::unknown_in`]).

use std::sync::Arc;

use super::accepted::Accepted;
use super::cache::{TokenCache, TokenCacheOptions, TokenCacheStats};
use super::clock;
use super::error::TokenError;
use super::key::INTROSPECTED;
use super::policy::{KeySet, Source};
use super::verify::{self, Refused};
use crate::revocation::{Refusal, Revocations};

/// Key sources, the cache, and the one path of a token.
pub(crate) struct Verifier {
    sources: Box<[Source]>,
    /// Whether some source is picked by its issuer's `iss` (see [`super::verify`]).
    named: bool,
    max_token_len: usize,
    cache: Option<TokenCache>,
    revocations: Option<Revocations>,
}

/// Why [`Verifier::admit`] would not serve an accepted token.
#[derive(Debug, PartialEq, Eq)]
enum Unfit {
    /// Other bytes than the presented token's (a hash collision in the cache).
    OtherToken,
    /// Past `exp` plus the leeway.
    Expired,
    /// Before `nbf`/`iat` minus the leeway.
    NotYetValid,
    /// The key that verified it has left its key set.
    KeyGone,
    /// DPoP-bound, and presented without a proof.
    Bound,
    /// Presented with a proof by another key than the one it is bound to, or not bound.
    Binding,
    /// A revocation names it, it cannot be revoked, or the revocations are not current.
    Revocation(Refusal),
}

impl Unfit {
    /// What the caller is told.
    fn error(self) -> TokenError {
        match self {
            Self::Expired => {
                TokenError::Expired(jsonwebtoken::errors::ErrorKind::ExpiredSignature.into())
            }
            Self::NotYetValid => {
                TokenError::NotYetValid(jsonwebtoken::errors::ErrorKind::ImmatureSignature.into())
            }
            Self::OtherToken | Self::KeyGone => TokenError::UnknownKey,
            Self::Bound => TokenError::DpopBound,
            Self::Binding => TokenError::Dpop(crate::dpop::ProofError::Binding),
            Self::Revocation(Refusal::Revoked) => TokenError::Revoked,
            Self::Revocation(Refusal::Unrevocable) => TokenError::Unrevocable,
            Self::Revocation(Refusal::Unavailable) => TokenError::RevocationsUnavailable,
        }
    }
}

impl Verifier {
    /// A verifier over `sources` keeping tokens up to `max_token_len` bytes in a cache bounded
    /// by `cache`.
    pub(crate) fn new(
        sources: Vec<Source>,
        max_token_len: usize,
        cache: TokenCacheOptions,
        revocations: Option<Revocations>,
    ) -> Self {
        Self {
            named: sources.iter().any(|source| source.rules.name.is_some()),
            sources: sources.into_boxed_slice(),
            max_token_len,
            cache: TokenCache::new(cache),
            revocations,
        }
    }

    /// Verifies `token` (the bytes after the scheme, possibly not even ASCII), presented with
    /// a DPoP proof by the key of thumbprint `binding` or without one (`None`): served from
    /// the cache when an accepted copy of it is there and [admitted](Self::admit), else
    /// verified in full, admitted and kept. Never panics on any input; logs nothing (its
    /// callers log each outcome once).
    pub(crate) fn verify(
        &self,
        token: &[u8],
        binding: Option<&str>,
    ) -> Result<Arc<Accepted>, Refused> {
        let now = clock::now();
        if let Some(served) = self.lookup_at(token, binding, now)? {
            return Ok(served);
        }
        let accepted = verify::check(token, &self.sources, self.named, now)?;
        self.keep_at(token, accepted, binding, now)
    }

    /// The cache's accepted copy of `token`, [admitted](Self::admit): `Ok(None)` on a miss
    /// (counted as one), an error when the entry is refused for a reason a fresh verification
    /// would not change (a revocation), or when `token` is too large. For callers that verify
    /// by other means on a miss (introspection), then [`Verifier::keep`].
    #[cfg_attr(
        not(feature = "jwks"),
        expect(
            dead_code,
            reason = "introspection, of the `jwks` feature, verifies by other means"
        )
    )]
    pub(crate) fn lookup(
        &self,
        token: &[u8],
        binding: Option<&str>,
    ) -> Result<Option<Arc<Accepted>>, Refused> {
        self.lookup_at(token, binding, clock::now())
    }

    fn lookup_at(
        &self,
        token: &[u8],
        binding: Option<&str>,
        now: u64,
    ) -> Result<Option<Arc<Accepted>>, Refused> {
        if token.len() > self.max_token_len {
            return Err(Refused::new(TokenError::TooLarge));
        }
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        let digest = cache.digest(token);
        if let Some(hit) = cache.lookup(digest) {
            match self.admit(&hit, token, binding, now) {
                Ok(()) => {
                    cache.count_hit();
                    return Ok(Some(hit));
                }
                // Another token in the same slot: a miss; this one is verified and takes it.
                Err(Unfit::OtherToken) => {}
                // Verifying it again would change nothing: refused as it is. A revoked
                // token's entry goes; while the revocations are not current, entries stay.
                Err(unfit @ Unfit::Revocation(refusal)) => {
                    if refusal != Refusal::Unavailable {
                        cache.forget(digest);
                    }
                    return Err(Refused::of(&hit, unfit.error()));
                }
                // The entry is sound; the presentation is not.
                Err(unfit @ (Unfit::Bound | Unfit::Binding)) => {
                    return Err(Refused::of(&hit, unfit.error()));
                }
                Err(_) => cache.forget(digest),
            }
        }
        cache.count_miss();
        Ok(None)
    }

    /// Admits a freshly verified (or introspected) `accepted` for `token` and keeps it in the
    /// cache.
    #[cfg_attr(
        not(feature = "jwks"),
        expect(
            dead_code,
            reason = "introspection, of the `jwks` feature, verifies by other means"
        )
    )]
    pub(crate) fn keep(
        &self,
        token: &[u8],
        accepted: Arc<Accepted>,
        binding: Option<&str>,
    ) -> Result<Arc<Accepted>, Refused> {
        self.keep_at(token, accepted, binding, clock::now())
    }

    fn keep_at(
        &self,
        token: &[u8],
        accepted: Arc<Accepted>,
        binding: Option<&str>,
        now: u64,
    ) -> Result<Arc<Accepted>, Refused> {
        // Besides revocation and the binding, only a clock that moved past a second's edge
        // since the check read it, or keys replaced meanwhile, fail here.
        let admitted = self.admit(&accepted, token, binding, now);
        // A token refused only for its presentation is sound: kept, so that its next
        // presentation with the right proof is a hit.
        if matches!(admitted, Ok(()) | Err(Unfit::Bound | Unfit::Binding))
            && let Some(cache) = &self.cache
        {
            cache.insert(cache.digest(token), Arc::clone(&accepted), now);
        }
        admitted.map_err(|unfit| Refused::of(&accepted, unfit.error()))?;
        Ok(accepted)
    }

    /// [`Verifier::admit`] of `accepted` again now, as it was presented (its own bytes and
    /// binding): for a token accepted earlier whose use goes on (an open WebSocket).
    #[cfg(any(feature = "websocket", feature = "grpc"))]
    pub(crate) fn readmit(&self, accepted: &Accepted) -> Result<(), TokenError> {
        self.admit(
            accepted,
            &accepted.token,
            accepted.jkt.as_deref(),
            clock::now(),
        )
        .map_err(Unfit::error)
    }

    /// The revocations of the admission, if configured.
    #[cfg(any(feature = "websocket", feature = "grpc"))]
    pub(crate) fn revocations(&self) -> Option<&Revocations> {
        self.revocations.as_ref()
    }

    /// The checks every accepted token passes before it is served, at `now`, whichever tier of
    /// the cache held it or if it was just verified: `presented` is exactly its bytes (compared
    /// in constant time), its time window holds `now`, the key that verified it is still in
    /// its key set, it is bound to the key of the request's DPoP proof (`binding`) if and
    /// only if there is one, and no revocation names it (while the revocations are current).
    fn admit(
        &self,
        accepted: &Accepted,
        presented: &[u8],
        binding: Option<&str>,
        now: u64,
    ) -> Result<(), Unfit> {
        if !constant_time_eq::constant_time_eq(&accepted.token, presented) {
            return Err(Unfit::OtherToken);
        }
        if now > accepted.deadline {
            return Err(Unfit::Expired);
        }
        if now < accepted.earliest {
            return Err(Unfit::NotYetValid);
        }
        // An introspected token has no key: the provider vouched for it, for at most the
        // introspection's cache lifetime (its deadline).
        let present = accepted.key == INTROSPECTED
            || self
                .sources
                .get(accepted.source)
                .is_some_and(|source| source.keys.load().contains(accepted.key));
        if !present {
            return Err(Unfit::KeyGone);
        }
        match (accepted.jkt.as_deref(), binding) {
            (None, None) => {}
            (Some(bound), Some(proof))
                if !bound.is_empty()
                    && constant_time_eq::constant_time_eq(bound.as_bytes(), proof.as_bytes()) => {}
            (Some(_), None) => return Err(Unfit::Bound),
            _ => return Err(Unfit::Binding),
        }
        if let Some(revocations) = &self.revocations {
            revocations
                .shared
                .mirror
                .admit(&accepted.revocation, accepted.payload())
                .map_err(Unfit::Revocation)?;
        }
        Ok(())
    }

    #[cfg_attr(
        not(feature = "jwks"),
        allow(
            dead_code,
            reason = "only remote key sets are replaced; the unit tests replace keys too"
        )
    )]
    /// The key set of source `source` now.
    pub(crate) fn key_set(&self, source: usize) -> Option<Arc<KeySet>> {
        self.sources
            .get(source)
            .map(|source| source.keys.load_full())
    }

    #[cfg_attr(
        not(feature = "jwks"),
        allow(
            dead_code,
            reason = "only remote key sets are replaced; the unit tests replace keys too"
        )
    )]
    /// Replaces the keys of source `source`; cached tokens verified by keys that left are
    /// dropped (the admission refuses them anyway). Returns how many keys left.
    pub(crate) fn replace_keys(&self, source: usize, keys: KeySet) -> usize {
        let Some(slot) = self.sources.get(source) else {
            return 0;
        };
        let old = slot.keys.swap(Arc::new(keys));
        let removed = old.removed_in(&slot.keys.load());
        let count = removed.len();
        if let Some(cache) = &self.cache {
            cache.drop_keys(source, removed);
        }
        count
    }

    /// The configured `iss` of source `source`'s issuer, for log events.
    pub(crate) fn issuer_of(&self, source: Option<usize>) -> Option<&str> {
        self.sources.get(source?)?.rules.name.as_deref()
    }

    /// How many sources there are.
    pub(crate) fn sources(&self) -> usize {
        self.sources.len()
    }

    /// What the cache did so far; all zero without a cache.
    pub(crate) fn cache_stats(&self) -> TokenCacheStats {
        self.cache
            .as_ref()
            .map(TokenCache::stats)
            .unwrap_or_default()
    }
}

/// The one rejection log of the front doors that return a [`TokenError`]
/// ([`JwtKeys`](super::JwtKeys), [`Authenticator::verify`](super::Authenticator::verify)):
/// debug level, target `axum_scopes`, the reason, the `kid` and the configured issuer of the
/// key set, never the token. (The guards log their own, richer event instead.)
#[cold]
pub(crate) fn log_refused(refused: &Refused, issuer: Option<&str>) {
    tracing::debug!(
        target: "axum_scopes",
        error = %refused.error,
        reason = refused.error.reason(),
        kid = refused.kid.as_deref(),
        issuer,
        "bearer token rejected"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::claims::ScopesClaim;
    use crate::jwt::key::Key;
    use crate::jwt::policy::{Rules, RulesSpec};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;
    use std::time::Duration;

    const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for tests";

    fn verifier(cache: TokenCacheOptions) -> Verifier {
        let rules = Arc::new(Rules::new(RulesSpec {
            issuers: None,
            named: false,
            audiences: None,
            algorithms: None,
            leeway: Duration::ZERO,
            require_at_jwt: false,
            check_iat: true,
            scopes: ScopesClaim::ScopeOrScopes,
        }));
        let keys = rules.key_set(vec![key()]);
        Verifier::new(vec![Source::new(rules, keys)], 8 * 1024, cache, None)
    }

    fn key() -> Key {
        Key::secret(SECRET, &[Algorithm::HS256]).unwrap()
    }

    fn token(exp: u64) -> String {
        let claims = json!({ "exp": exp, "nbf": exp - 120, "scope": "items" });
        jsonwebtoken::encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(SECRET).unwrap(),
        )
        .unwrap()
    }

    /// Puts `token`'s accepted entry in the front slot (`front`) or only in moka.
    fn cached(verifier: &Verifier, token: &str, front: bool) -> Arc<Accepted> {
        let cache = verifier.cache.as_ref().unwrap();
        let digest = cache.digest(token.as_bytes());
        // A miss: verified and put in moka; only lookups fill the front slot.
        let accepted = verifier.verify(token.as_bytes(), None).unwrap();
        assert!(!cache.in_front(digest));
        if front {
            assert!(cache.lookup(digest).is_some());
            assert!(cache.in_front(digest));
        }
        accepted
    }

    /// For each tier, the entry it serves is refused by the one admission when the clock is
    /// past the deadline or before the earliest second, when other bytes are presented, and
    /// when its key has left the key set.
    #[test]
    fn every_tier_is_admitted_by_the_same_checks() {
        for front in [false, true] {
            let verifier = verifier(TokenCacheOptions::default());
            let cache = verifier.cache.as_ref().unwrap();
            let now = clock::now();
            let token = token(now + 60);
            let entry = cached(&verifier, &token, front);
            let digest = cache.digest(token.as_bytes());
            let served = cache.lookup(digest).unwrap();
            assert!(Arc::ptr_eq(&served, &entry), "front {front}");
            let admit = |presented: &[u8], now| verifier.admit(&served, presented, None, now);
            assert_eq!(admit(token.as_bytes(), now), Ok(()));
            assert_eq!(admit(token.as_bytes(), now + 61), Err(Unfit::Expired));
            assert_eq!(admit(token.as_bytes(), now - 121), Err(Unfit::NotYetValid));
            let mut other = token.clone().into_bytes();
            *other.last_mut().unwrap() ^= 1;
            assert_eq!(admit(&other, now), Err(Unfit::OtherToken));
            assert_eq!(admit(&other[..10], now), Err(Unfit::OtherToken));
            // The key rotated out: refused, and dropped from moka.
            let rules = Arc::clone(&verifier.sources[0].rules);
            assert_eq!(verifier.replace_keys(0, rules.key_set(vec![key()])), 1);
            assert_eq!(admit(token.as_bytes(), now), Err(Unfit::KeyGone));
            // Through `verify`: the refused entry is forgotten, and the token verified anew
            // (same secret, new key).
            let again = verifier.verify(token.as_bytes(), None).unwrap();
            assert!(!Arc::ptr_eq(&again, &entry), "front {front}");
        }
    }

    #[test]
    fn hits_and_misses_are_counted() {
        let verifier = verifier(TokenCacheOptions::default());
        let token = token(clock::now() + 60);
        let first = verifier.verify(token.as_bytes(), None).unwrap();
        let hit = verifier.verify(token.as_bytes(), None).unwrap();
        assert!(Arc::ptr_eq(&first, &hit));
        assert!(verifier.verify(b"not.a.token", None).is_err());
        let stats = verifier.cache_stats();
        assert_eq!(
            (stats.hits, stats.misses, stats.entries),
            (1, 2, 1),
            "{stats:?}"
        );
    }

    #[test]
    fn without_a_cache_every_token_is_verified_and_admitted() {
        let verifier = verifier(TokenCacheOptions::disabled());
        let now = clock::now();
        assert!(verifier.verify(token(now + 60).as_bytes(), None).is_ok());
        let expired = verifier
            .verify(token(now - 1).as_bytes(), None)
            .unwrap_err();
        assert!(matches!(expired.error, TokenError::Expired(_)));
        let long = vec![b'a'; 8 * 1024 + 1];
        assert!(matches!(
            verifier.verify(&long, None).unwrap_err().error,
            TokenError::TooLarge
        ));
        assert_eq!(verifier.cache_stats(), TokenCacheStats::default());
    }
}
