//! One revocation ([`Revocation`]): what it refuses and until when, as the API takes it, the
//! mirror holds it and the Redis backend stores and publishes it (JSON).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::error::RevocationError;

/// The longest `iss`, `jti`, `sub` or `client_id` a revocation takes, in bytes. Longer values
/// are refused with [`RevocationError::Invalid`] (no provider issues such identifiers).
pub const MAX_ID_LEN: usize = 1024;

/// What a revocation refuses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Target {
    /// The one token of this issuer with this `jti`.
    Token {
        /// The token's `jti` claim.
        jti: String,
    },
    /// Every token of this issuer with this `sub` issued (`iat`) before `issued_before`.
    Subject {
        /// The tokens' `sub` claim.
        sub: String,
        /// Seconds since 1970: tokens with an `iat` below it are refused.
        issued_before: u64,
    },
    /// Every token of this issuer with this `client_id` (RFC 9068 §2.2) issued before
    /// `issued_before`.
    Client {
        /// The tokens' `client_id` claim.
        client_id: String,
        /// Seconds since 1970: tokens with an `iat` below it are refused.
        issued_before: u64,
    },
}

/// A revocation: the tokens of one issuer it refuses ([`Target`]) and the second (since 1970)
/// after which it is forgotten, because every token it refuses has expired by then.
///
/// Build one with [`Revocation::token`], [`Revocation::subject`] or [`Revocation::client`]
/// and hand it to [`Revocations::revoke`](super::Revocations::revoke).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Revocation {
    /// The tokens' `iss` claim, exactly; `""` for tokens without one (the tutorial's).
    pub(crate) iss: String,
    #[serde(flatten)]
    pub(crate) target: Target,
    /// Seconds since 1970 after which the revocation is dropped; for a cutoff, filled in by
    /// [`Revocations::revoke`](super::Revocations::revoke) from the longest token lifetime.
    pub(crate) until: u64,
}

/// Seconds since 1970, now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// `instant` in seconds since 1970, rounded up (a cutoff at 12:00:00.3 refuses tokens issued
/// at 12:00:00).
fn unix_seconds_up(instant: SystemTime) -> u64 {
    instant.duration_since(UNIX_EPOCH).map_or(0, |since| {
        since.as_secs() + u64::from(since.subsec_nanos() > 0)
    })
}

impl Revocation {
    /// Revokes the one token of issuer `iss` whose `jti` is `jti` until its `exp` (seconds
    /// since 1970). `Authenticator::revoke_token`
    /// reads all three from a token.
    #[must_use]
    pub fn token(iss: impl Into<String>, jti: impl Into<String>, exp: u64) -> Self {
        Self {
            iss: iss.into(),
            target: Target::Token { jti: jti.into() },
            until: exp,
        }
    }

    /// Revokes every token of issuer `iss` for subject `sub` issued before `issued_before`
    /// ("log out everywhere", a password change): tokens whose `iat` is earlier are refused,
    /// those issued later are not. `iat` counts whole seconds, so the cutoff is rounded up:
    /// with [`SystemTime::now`], every token issued so far is refused, and so is one issued
    /// later within the same second (a new sign-in then has to wait for the next second).
    #[must_use]
    pub fn subject(
        iss: impl Into<String>,
        sub: impl Into<String>,
        issued_before: SystemTime,
    ) -> Self {
        Self {
            iss: iss.into(),
            target: Target::Subject {
                sub: sub.into(),
                issued_before: unix_seconds_up(issued_before),
            },
            until: 0,
        }
    }

    /// Revokes every token of issuer `iss` issued to OAuth client `client_id` (its
    /// `client_id` claim) before `issued_before`, as [`Revocation::subject`] does for a
    /// subject.
    #[must_use]
    pub fn client(
        iss: impl Into<String>,
        client_id: impl Into<String>,
        issued_before: SystemTime,
    ) -> Self {
        Self {
            iss: iss.into(),
            target: Target::Client {
                client_id: client_id.into(),
                issued_before: unix_seconds_up(issued_before),
            },
            until: 0,
        }
    }

    /// The issuer whose tokens it refuses.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.iss
    }

    /// What it refuses.
    #[must_use]
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The second (since 1970) after which it is dropped.
    #[must_use]
    pub fn until(&self) -> u64 {
        self.until
    }

    /// Checks the identifiers' sizes, and for a cutoff sets `until` to the cutoff plus
    /// `max_lifetime` seconds.
    pub(crate) fn settle(mut self, max_lifetime: u64) -> Result<Self, RevocationError> {
        let id = match &self.target {
            Target::Token { jti } => jti,
            Target::Subject { sub: id, .. } | Target::Client { client_id: id, .. } => id,
        };
        if id.is_empty() {
            return Err(RevocationError::Invalid("an empty identifier"));
        }
        if id.len() > MAX_ID_LEN || self.iss.len() > MAX_ID_LEN {
            return Err(RevocationError::Invalid("an identifier over 1024 bytes"));
        }
        if let Target::Subject { issued_before, .. } | Target::Client { issued_before, .. } =
            self.target
        {
            self.until = issued_before.saturating_add(max_lifetime);
        }
        Ok(self)
    }

    /// The mirror's key: kind, issuer and identifier, the issuer length-prefixed so that no
    /// two revocations share a key.
    pub(crate) fn key(&self) -> Box<str> {
        let (kind, id) = match &self.target {
            Target::Token { jti } => ('t', jti),
            Target::Subject { sub, .. } => ('s', sub),
            Target::Client { client_id, .. } => ('c', client_id),
        };
        key(kind, &self.iss, id)
    }

    /// The cutoff: tokens issued before it are refused; `u64::MAX` for a single token.
    pub(crate) fn issued_before(&self) -> u64 {
        match self.target {
            Target::Token { .. } => u64::MAX,
            Target::Subject { issued_before, .. } | Target::Client { issued_before, .. } => {
                issued_before
            }
        }
    }
}

/// The mirror's key of a revocation of kind `kind` (`t`, `s` or `c`).
pub(crate) fn key(kind: char, iss: &str, id: &str) -> Box<str> {
    format!("{kind}{}:{iss}{id}", iss.len()).into_boxed_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one replica stores and publishes, another reads back the same.
    #[test]
    fn every_kind_round_trips_through_json() {
        let cutoff = UNIX_EPOCH + std::time::Duration::from_secs(1_000);
        for revocation in [
            Revocation::token("https://idp", "j-1", 2_000),
            Revocation::subject("https://idp", "alice", cutoff)
                .settle(60)
                .unwrap(),
            Revocation::client("", "app", cutoff).settle(60).unwrap(),
        ] {
            let json = serde_json::to_string(&revocation).unwrap();
            assert_eq!(
                serde_json::from_str::<Revocation>(&json).unwrap(),
                revocation,
                "{json}"
            );
        }
        assert!(serde_json::from_str::<Revocation>(r#"{"kind":"nonsense"}"#).is_err());
        assert!(serde_json::from_str::<Revocation>("not json").is_err());
    }
}
