//! What one issuer's tokens must satisfy ([`Rules`]) and the keys that may vouch for them
//! ([`KeySet`]), as the request path reads them ([`Source`]).
//!
//! Every setting that differs between identity providers lives here, per issuer: the `iss`
//! that picks the issuer, audiences, algorithms, leeway, where the scopes are, whether the
//! RFC 9068 `typ` is required. This is the single place a `jsonwebtoken`
//! [`Validation`] is built.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::claims::ScopesClaim;
use super::error::MAX_LEEWAY;
use super::key::{Key, KeyId};

/// The settings one issuer's [`Rules`] are built from.
#[derive(Debug, Clone)]
pub(crate) struct RulesSpec<'a> {
    /// The `iss` a token must carry exactly, if any.
    pub(crate) issuers: Option<&'a [String]>,
    /// Whether a token's (unverified) `iss` equal to `issuers[0]` picks this issuer's keys
    /// before any other's. Only for the issuers of an [`Authenticator`](super::Authenticator).
    pub(crate) named: bool,
    pub(crate) audiences: Option<&'a [String]>,
    /// Narrows every key's own list of algorithms.
    pub(crate) algorithms: Option<Vec<Algorithm>>,
    pub(crate) leeway: Duration,
    pub(crate) require_at_jwt: bool,
    pub(crate) check_iat: bool,
    pub(crate) scopes: ScopesClaim,
}

/// The claim rules of one issuer, shared by all its keys.
pub(crate) struct Rules {
    /// The `iss` that picks this issuer (see [`RulesSpec::named`]).
    pub(crate) name: Option<Arc<str>>,
    base: Validation,
    algorithms: Option<Vec<Algorithm>>,
    /// Whole seconds, clamped to [`MAX_LEEWAY`].
    pub(crate) leeway: u64,
    pub(crate) require_at_jwt: bool,
    pub(crate) check_iat: bool,
    pub(crate) scopes: ScopesClaim,
}

impl Rules {
    /// `exp` required; `exp` and `nbf` checked with the leeway (clamped to [`MAX_LEEWAY`],
    /// whole seconds); `iss` required and equal to one of `issuers` when given (and, in the
    /// core, a single string); `aud` required and naming one of `audiences` when given; no
    /// early-expiry margin.
    pub(crate) fn new(spec: RulesSpec<'_>) -> Self {
        let leeway = clamp_leeway(spec.leeway);
        let mut required = HashSet::from(["exp".to_owned()]);
        let mut base = Validation::new(Algorithm::HS256);
        base.leeway = leeway;
        base.reject_tokens_expiring_in_less_than = 0;
        base.validate_exp = true;
        base.validate_nbf = true;
        base.validate_aud = spec.audiences.is_some();
        base.aud = None;
        base.iss = None;
        base.sub = None;
        if let Some(audiences) = spec.audiences {
            base.set_audience(audiences);
            required.insert("aud".to_owned());
        }
        if let Some(issuers) = spec.issuers {
            base.set_issuer(issuers);
            required.insert("iss".to_owned());
        }
        base.required_spec_claims = required;
        let name = spec
            .issuers
            .filter(|_| spec.named)
            .and_then(|issuers| issuers.first())
            .map(|iss| Arc::from(iss.as_str()));
        Self {
            name,
            base,
            algorithms: spec.algorithms,
            leeway,
            require_at_jwt: spec.require_at_jwt,
            check_iat: spec.check_iat,
            scopes: spec.scopes,
        }
    }

    /// The lookup table for `keys`; keys the rules leave no algorithm are dropped.
    /// Whether an introspection answer's `iss` fits: equal to one of the issuers when some are
    /// set; an answer without `iss` comes from the issuer's own endpoint and fits.
    #[cfg(feature = "jwks")]
    pub(crate) fn accepts_issuer(&self, iss: Option<&str>) -> bool {
        match (&self.base.iss, iss) {
            (Some(issuers), Some(iss)) => issuers.contains(iss),
            _ => true,
        }
    }

    /// Whether an introspection answer's audiences fit: one of them is configured, when
    /// audiences are set.
    #[cfg(feature = "jwks")]
    pub(crate) fn accepts_audiences(&self, audiences: &[&str]) -> bool {
        self.base
            .aud
            .as_ref()
            .is_none_or(|wanted| audiences.iter().any(|aud| wanted.contains(*aud)))
    }

    pub(crate) fn key_set(&self, keys: Vec<Key>) -> KeySet {
        KeySet {
            entries: keys.into_iter().filter_map(|key| self.entry(key)).collect(),
        }
    }

    fn entry(&self, key: Key) -> Option<KeyEntry> {
        let (kid, decoding, mut algorithms, id) = key.into_parts();
        if let Some(allowed) = &self.algorithms {
            algorithms.retain(|alg| allowed.contains(alg));
        }
        if algorithms.is_empty() {
            return None;
        }
        let mut validation = self.base.clone();
        validation.algorithms = algorithms;
        Some(KeyEntry {
            kid,
            key: decoding,
            validation,
            id,
        })
    }
}

/// Whole seconds, at most [`MAX_LEEWAY`]: `jsonwebtoken` adds and subtracts the leeway in
/// unchecked `u64` arithmetic.
pub(crate) fn clamp_leeway(leeway: Duration) -> u64 {
    leeway.min(MAX_LEEWAY).as_secs()
}

/// The keys of one source, as the request path reads them.
pub(crate) struct KeySet {
    pub(crate) entries: Vec<KeyEntry>,
}

impl KeySet {
    /// Whether the key `id` is in this set.
    pub(crate) fn contains(&self, id: KeyId) -> bool {
        self.entries.iter().any(|entry| entry.id == id)
    }

    #[cfg_attr(
        not(feature = "jwks"),
        allow(
            dead_code,
            reason = "only remote key sets are replaced; the unit tests replace keys too"
        )
    )]
    /// The ids of this set's keys that `newer` lacks.
    pub(crate) fn removed_in(&self, newer: &KeySet) -> Vec<KeyId> {
        self.entries
            .iter()
            .map(|entry| entry.id)
            .filter(|&id| !newer.contains(id))
            .collect()
    }
}

/// One key with the validation prepared for it.
pub(crate) struct KeyEntry {
    pub(crate) kid: Option<String>,
    pub(crate) key: DecodingKey,
    /// Algorithms, leeway, `iss` and `aud` for this key, built once.
    pub(crate) validation: Validation,
    /// Which key this is, for the verified-token cache.
    pub(crate) id: KeyId,
}

/// One set of keys of one issuer: fixed, or replaced when a remote key set is refreshed.
/// Read without a lock (`arc-swap`).
pub(crate) struct Source {
    pub(crate) rules: Arc<Rules>,
    pub(crate) keys: ArcSwap<KeySet>,
}

impl Source {
    pub(crate) fn new(rules: Arc<Rules>, keys: KeySet) -> Self {
        Self {
            rules,
            keys: ArcSwap::from_pointee(keys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeway_is_clamped() {
        assert_eq!(clamp_leeway(Duration::MAX), MAX_LEEWAY.as_secs());
        assert_eq!(clamp_leeway(Duration::from_millis(1500)), 1);
    }
}
