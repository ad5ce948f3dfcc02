//! The replica's in-memory copy of the revocations ([`Mirror`]) and the check the verifier's one
//! admission runs against it ([`Mirror::admit`]).
//!
//! A request reads memory only. The check is skipped while nothing was revoked since a cache
//! entry was last checked: every change bumps a generation counter, and each accepted token
//! remembers the generation it was last found clean at ([`Memo`]), so a cache hit costs one
//! atomic load and a comparison until the next revocation arrives, then one lookup per kind.
//! The revocations themselves live in a moka map (lock-free reads), each until its `until`.
//! Nothing is evicted for room: a revocation forgotten early would let its token back in.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::Expiry;
use serde::Deserialize;

use super::record::{Revocation, key, unix_now};

/// What the mirror holds per revocation: the cutoff (`u64::MAX` for one token) and the second
/// it may be forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    issued_before: u64,
    until: u64,
}

/// Each revocation lives until its `until`.
struct UntilExpiry;

impl UntilExpiry {
    fn remaining(held: &Held) -> Duration {
        Duration::from_secs(held.until.saturating_sub(unix_now()).saturating_add(1))
    }
}

impl Expiry<Box<str>, Held> for UntilExpiry {
    fn expire_after_create(&self, _: &Box<str>, held: &Held, _: Instant) -> Option<Duration> {
        Some(Self::remaining(held))
    }

    fn expire_after_update(
        &self,
        _: &Box<str>,
        held: &Held,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(Self::remaining(held))
    }
}

/// A generation no mirror reaches: "never checked".
const NEVER: u64 = u64::MAX;

/// What an accepted token carries for the revocation check: the generation it was last found
/// clean at, and the claims the check reads, parsed from the payload once.
#[derive(Debug)]
pub(crate) struct Memo {
    checked: AtomicU64,
    identity: OnceLock<Identity>,
}

impl Default for Memo {
    fn default() -> Self {
        Self {
            checked: AtomicU64::new(NEVER),
            identity: OnceLock::new(),
        }
    }
}

impl Memo {
    /// The token's `iss` (`""` without one) and `jti`, read from its verified `payload` once, as
    /// the revocation check reads them.
    pub(crate) fn token_id(&self, payload: &[u8]) -> (&str, Option<&str>) {
        let identity = self.identity.get_or_init(|| Identity::read(payload));
        (&identity.iss, identity.jti.as_deref())
    }
}

/// The claims revocation is keyed by. A claim of another JSON type than the one RFC 7519 and
/// RFC 9068 give it counts as missing.
#[derive(Debug, Default)]
struct Identity {
    iss: Box<str>,
    jti: Option<Box<str>>,
    sub: Option<Box<str>>,
    client_id: Option<Box<str>>,
    iat: Option<u64>,
}

impl Identity {
    /// Reads the claims from a verified token's payload (members named twice were refused by
    /// the verification).
    fn read(payload: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Claims {
            #[serde(default)]
            iss: Option<serde_json::Value>,
            #[serde(default)]
            jti: Option<serde_json::Value>,
            #[serde(default)]
            sub: Option<serde_json::Value>,
            #[serde(default)]
            client_id: Option<serde_json::Value>,
            #[serde(default)]
            iat: Option<serde_json::Value>,
        }
        let Ok(claims) = serde_json::from_slice::<Claims>(payload) else {
            return Self::default();
        };
        let text = |value: Option<serde_json::Value>| match value {
            Some(serde_json::Value::String(text)) => Some(text.into_boxed_str()),
            _ => None,
        };
        Self {
            iss: text(claims.iss).unwrap_or_default(),
            jti: text(claims.jti),
            sub: text(claims.sub),
            client_id: text(claims.client_id),
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a NumericDate, checked as a number by the verification; floored"
            )]
            iat: claims
                .iat
                .and_then(|iat| iat.as_f64())
                .filter(|iat| iat.is_finite() && *iat >= 0.0)
                .map(|iat| iat as u64),
        }
    }
}

/// Why [`Mirror::admit`] refuses a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A revocation names it.
    Revoked,
    /// It lacks the `jti` or `iat` revocation needs, and the policy refuses such tokens.
    Unrevocable,
    /// The mirror cannot vouch that it is current.
    Unavailable,
}

/// What to do with tokens that revocation cannot name: no `jti` (cannot be revoked alone) or
/// no `iat` (a subject's or client's cutoff cannot be applied). Set with
/// [`RevocationOptions::unrevocable`](super::RevocationOptions::unrevocable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unrevocable {
    /// Refuse them (401 `invalid_token`), the default: a token that cannot be revoked would
    /// outlive a logout.
    #[default]
    Refuse,
    /// Accept them: a missing `jti` only escapes single-token revocation, a missing `iat` only
    /// cutoffs. For issuers known to leave them out, and only after weighing that.
    Accept,
}

/// The in-memory copy.
pub(crate) struct Mirror {
    entries: moka::sync::Cache<Box<str>, Held>,
    /// Bumped after every change; odd values never mean anything special.
    generation: AtomicU64,
    /// Set once the first full read of the shared store is done (always, in memory).
    synced: AtomicBool,
    /// Milliseconds since [`Mirror::epoch`] when the subscription last delivered anything.
    heard: AtomicU64,
    epoch: Instant,
    /// How long the mirror stays current without hearing from the store; `None`: always
    /// current (the in-memory backend).
    bound: Option<u64>,
    /// `dangerous::fail_open`: serve from the mirror as it is when it is not current.
    fail_open: bool,
    pub(crate) unrevocable: Unrevocable,
}

impl Mirror {
    /// A mirror that is its own source of truth (the in-memory backend): always current.
    pub(crate) fn in_memory(unrevocable: Unrevocable) -> Self {
        Self::new(None, unrevocable, false)
    }

    /// A mirror of a shared store, current while it heard from the store within `bound`, and
    /// not before its first full read.
    #[cfg_attr(
        not(any(feature = "redis", test)),
        expect(dead_code, reason = "only shared stores set it")
    )]
    pub(crate) fn shared(bound: Duration, unrevocable: Unrevocable, fail_open: bool) -> Self {
        Self::new(
            Some(u64::try_from(bound.as_millis()).unwrap_or(u64::MAX)),
            unrevocable,
            fail_open,
        )
    }

    fn new(bound: Option<u64>, unrevocable: Unrevocable, fail_open: bool) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .expire_after(UntilExpiry)
                .build(),
            generation: AtomicU64::new(0),
            synced: AtomicBool::new(bound.is_none()),
            heard: AtomicU64::new(0),
            epoch: Instant::now(),
            bound,
            fail_open,
            unrevocable,
        }
    }

    /// Applies `revocation` (idempotent: a copy of one held changes nothing; a later cutoff
    /// for the same subject replaces an earlier one). Returns whether anything changed.
    pub(crate) fn apply(&self, revocation: &Revocation) -> bool {
        if revocation.until < unix_now() {
            return false;
        }
        let new = Held {
            issued_before: revocation.issued_before(),
            until: revocation.until,
        };
        let mut changed = true;
        self.entries.entry(revocation.key()).and_upsert_with(|old| {
            match old.map(moka::Entry::into_value) {
                Some(old) => {
                    let merged = Held {
                        issued_before: old.issued_before.max(new.issued_before),
                        until: old.until.max(new.until),
                    };
                    changed = merged != old;
                    merged
                }
                None => new,
            }
        });
        if changed {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        changed
    }

    /// Whether the mirror can vouch for itself now: synchronised, and heard from the store
    /// within the bound.
    pub(crate) fn is_current(&self) -> bool {
        let Some(bound) = self.bound else {
            return true;
        };
        self.synced.load(Ordering::Acquire)
            && self
                .millis()
                .saturating_sub(self.heard.load(Ordering::Acquire))
                <= bound
    }

    /// Records that the store was heard from now.
    pub(crate) fn heard(&self) {
        self.heard.store(self.millis(), Ordering::Release);
    }

    /// Records the end of a full read of the store (and that it was heard from).
    #[cfg_attr(
        not(any(feature = "redis", test)),
        expect(dead_code, reason = "only shared stores set it")
    )]
    pub(crate) fn synced(&self) {
        self.heard();
        self.synced.store(true, Ordering::Release);
    }

    fn millis(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// How many revocations are held.
    pub(crate) fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    /// The check every accepted token passes, in the verifier's one admission: the mirror is
    /// current, and no revocation names the token (by `jti`, or its `sub` or `client_id` with
    /// a cutoff after its `iat`). `payload` is the token's verified payload, read once per
    /// token into `memo`.
    pub(crate) fn admit(&self, memo: &Memo, payload: &[u8]) -> Result<(), Refusal> {
        if !self.is_current() {
            if !self.fail_open {
                return Err(Refusal::Unavailable);
            }
            stale();
        }
        let generation = self.generation.load(Ordering::Acquire);
        if memo.checked.load(Ordering::Acquire) == generation {
            return Ok(());
        }
        let identity = memo.identity.get_or_init(|| Identity::read(payload));
        if self.unrevocable == Unrevocable::Refuse
            && (identity.jti.is_none() || identity.iat.is_none())
        {
            return Err(Refusal::Unrevocable);
        }
        if self.revoked(identity) {
            return Err(Refusal::Revoked);
        }
        memo.checked.store(generation, Ordering::Release);
        Ok(())
    }

    /// Checks `identity` against the mirror as it is.
    fn revoked(&self, identity: &Identity) -> bool {
        let iss = &*identity.iss;
        if let Some(jti) = &identity.jti
            && self.entries.contains_key(&key('t', iss, jti))
        {
            return true;
        }
        let Some(iat) = identity.iat else {
            return false;
        };
        let cut = |kind, id: &Option<Box<str>>| {
            id.as_deref().is_some_and(|id| {
                self.entries
                    .get(&key(kind, iss, id))
                    .is_some_and(|held| iat < held.issued_before)
            })
        };
        cut('s', &identity.sub) || cut('c', &identity.client_id)
    }
}

/// A token accepted by a mirror that is not current (`dangerous::fail_open`).
#[cold]
fn stale() {
    tracing::warn!(
        target: "axum_scopes",
        "revocations are not current: a token is accepted against the last known revocations (dangerous::fail_open)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn payload(json: &serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(json).unwrap()
    }

    #[test]
    fn a_revoked_jti_subject_or_client_is_refused_and_others_are_not() {
        let mirror = Mirror::in_memory(Unrevocable::Refuse);
        let now = unix_now();
        let token = |jti: &str, sub: &str, iat: u64| {
            payload(&serde_json::json!({
                "iss": "https://idp", "jti": jti, "sub": sub, "client_id": "app", "iat": iat
            }))
        };
        let (a, b, old) = (
            token("a", "alice", now),
            token("b", "bob", now),
            token("c", "carol", now - 100),
        );
        let (ma, mb, mold) = (Memo::default(), Memo::default(), Memo::default());
        for (memo, payload) in [(&ma, &a), (&mb, &b), (&mold, &old)] {
            assert_eq!(mirror.admit(memo, payload), Ok(()));
        }
        assert!(mirror.apply(&Revocation::token("https://idp", "a", now + 60)));
        assert!(
            !mirror.apply(&Revocation::token("https://idp", "a", now + 60)),
            "idempotent"
        );
        assert_eq!(mirror.admit(&ma, &a), Err(Refusal::Revoked));
        assert_eq!(mirror.admit(&mb, &b), Ok(()));
        // Same jti, other issuer: not this one.
        let other = Memo::default();
        let elsewhere =
            payload(&serde_json::json!({"iss": "https://other", "jti": "a", "iat": now}));
        assert_eq!(mirror.admit(&other, &elsewhere), Ok(()));
        // A cutoff 50 s ago: carol's older token goes, not bob's.
        let cutoff = SystemTime::now() - Duration::from_secs(50);
        let carol = Revocation::subject("https://idp", "carol", cutoff)
            .settle(3600)
            .unwrap();
        assert!(mirror.apply(&carol));
        assert_eq!(mirror.admit(&mold, &old), Err(Refusal::Revoked));
        let bob = Revocation::subject("https://idp", "bob", cutoff)
            .settle(3600)
            .unwrap();
        assert!(mirror.apply(&bob));
        assert_eq!(mirror.admit(&mb, &b), Ok(()));
        let client = Revocation::client("https://idp", "app", SystemTime::now())
            .settle(3600)
            .unwrap();
        assert!(mirror.apply(&client));
        assert_eq!(mirror.admit(&mb, &b), Err(Refusal::Revoked));
    }

    #[test]
    fn tokens_without_jti_or_iat_follow_the_policy() {
        let bare = payload(&serde_json::json!({"sub": "alice", "iat": 1}));
        let odd = payload(&serde_json::json!({"jti": 7, "iat": 1}));
        let refuse = Mirror::in_memory(Unrevocable::Refuse);
        assert_eq!(
            refuse.admit(&Memo::default(), &bare),
            Err(Refusal::Unrevocable)
        );
        assert_eq!(
            refuse.admit(&Memo::default(), &odd),
            Err(Refusal::Unrevocable)
        );
        let accept = Mirror::in_memory(Unrevocable::Accept);
        assert_eq!(accept.admit(&Memo::default(), &bare), Ok(()));
    }

    #[test]
    fn a_shared_mirror_is_current_only_after_its_first_read_and_within_the_bound() {
        let mirror = Mirror::shared(Duration::from_millis(50), Unrevocable::Accept, false);
        let memo = Memo::default();
        assert_eq!(mirror.admit(&memo, b"{}"), Err(Refusal::Unavailable));
        mirror.synced();
        assert_eq!(mirror.admit(&memo, b"{}"), Ok(()));
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(mirror.admit(&memo, b"{}"), Err(Refusal::Unavailable));
        mirror.heard();
        assert_eq!(mirror.admit(&memo, b"{}"), Ok(()));
    }

    #[test]
    fn failing_open_serves_the_last_known_revocations() {
        let mirror = Mirror::shared(Duration::from_millis(50), Unrevocable::Accept, true);
        let (clean, revoked) = (Memo::default(), Memo::default());
        let payload = |jti: &str| payload(&serde_json::json!({"iss": "i", "jti": jti, "iat": 1}));
        assert!(mirror.apply(&Revocation::token("i", "gone", unix_now() + 60)));
        // Never synchronised and silent: accepted all the same, revocations still applied.
        assert_eq!(mirror.admit(&clean, &payload("kept")), Ok(()));
        assert_eq!(
            mirror.admit(&revoked, &payload("gone")),
            Err(Refusal::Revoked)
        );
    }

    #[test]
    fn expired_revocations_are_not_held() {
        let mirror = Mirror::in_memory(Unrevocable::Refuse);
        assert!(!mirror.apply(&Revocation::token("", "gone", unix_now() - 1)));
        assert_eq!(mirror.len(), 0);
    }
}
