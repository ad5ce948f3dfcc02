//! An accepted token ([`Accepted`]): what verification established about it, kept as it is in
//! the verified-token cache, and the claims a caller reads from it ([`Verified`]).

use std::any::Any;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;

use super::claims::GrantedScopes;
use super::error::TokenError;
use super::key::KeyId;

/// A verified token: its claims and the scopes it grants.
#[derive(Debug, Clone)]
pub struct Verified<C> {
    /// The payload deserialized into the caller's type.
    pub claims: C,
    /// The scopes the token grants, read from the claim chosen with
    /// [`Issuer::scopes_claim`](super::Issuer::scopes_claim),
    /// [`AuthenticatorBuilder::scopes_claim`](super::AuthenticatorBuilder::scopes_claim) or
    /// [`JwtKeys::scopes_claim`](super::JwtKeys::scopes_claim).
    pub scopes: GrantedScopes,
}

/// What a kept claims value costs an entry besides what it owns on the heap (see
/// [`Accepted::weight`]).
const KEPT_INLINE: usize = 128;

/// What an entry costs besides its token, payload and scopes: the key, the entry's fields, the
/// `Arc`, and moka's own bookkeeping per entry (its node, the key's copy, the access-order
/// links), rounded up.
const ENTRY_OVERHEAD: usize = 256;

/// One accepted token. Built once by the full verification; a cache hit is the same value,
/// served again after the checks of the verifier's one admission function.
pub(crate) struct Accepted {
    /// All its bytes: a hit must present exactly these.
    pub(crate) token: Box<[u8]>,
    /// The decoded payload, which every claims type deserializes from.
    payload: Box<[u8]>,
    pub(crate) scopes: GrantedScopes,
    /// The last second (since 1970) the token is valid: `exp` plus the leeway.
    pub(crate) deadline: u64,
    /// The first second the token is valid: the later of `nbf` and (when checked) `iat`, minus
    /// the leeway.
    pub(crate) earliest: u64,
    /// The key that verified it, and the index of that key's source in the verifier.
    pub(crate) key: KeyId,
    pub(crate) source: usize,
    /// The header's `kid`, at most [`KID_LOG_LEN`] characters, for the log.
    pub(crate) kid: Option<Box<str>>,
    /// The DPoP key thumbprint the token is bound to (`cnf.jkt`); `Some("")` for a token bound
    /// by a method this crate cannot check. A bound token is served only with a proof by
    /// that key.
    pub(crate) jkt: Option<Box<str>>,
    /// The claims as the first caller that keeps claims deserialized them
    /// ([`Accepted::kept_claims`]), so later hits of that type clone them instead of parsing
    /// the payload again.
    kept: OnceLock<Box<dyn Any + Send + Sync>>,
    /// The revocation check's memo: the generation it was last found clean at, and its
    /// claims as revocation reads them.
    pub(crate) revocation: crate::revocation::Memo,
}

/// A `kid` longer than this is cut for the log.
pub(crate) const KID_LOG_LEN: usize = 64;

/// `kid` cut to [`KID_LOG_LEN`] characters.
pub(crate) fn kid_for_log(kid: &str) -> Box<str> {
    match kid.char_indices().nth(KID_LOG_LEN) {
        Some((end, _)) => kid[..end].into(),
        None => kid.into(),
    }
}

/// The fields of an [`Accepted`] that verification fills in.
pub(crate) struct Fresh<'t> {
    pub(crate) token: &'t [u8],
    pub(crate) payload: &'t [u8],
    pub(crate) scopes: GrantedScopes,
    pub(crate) deadline: u64,
    pub(crate) earliest: u64,
    pub(crate) key: KeyId,
    pub(crate) source: usize,
    pub(crate) kid: Option<&'t str>,
    pub(crate) jkt: Option<Box<str>>,
}

impl std::fmt::Debug for Accepted {
    /// Never the token nor its claims: what a log or a failed assertion may show.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accepted")
            .field("scopes", &self.scopes)
            .field("deadline", &self.deadline)
            .field("earliest", &self.earliest)
            .field("source", &self.source)
            .field("kid", &self.kid)
            .field("bound", &self.jkt.is_some())
            .finish_non_exhaustive()
    }
}

impl Accepted {
    pub(crate) fn new(fresh: Fresh<'_>) -> Arc<Self> {
        Arc::new(Self {
            token: fresh.token.into(),
            payload: fresh.payload.into(),
            scopes: fresh.scopes,
            deadline: fresh.deadline,
            earliest: fresh.earliest,
            key: fresh.key,
            source: fresh.source,
            kid: fresh.kid.map(kid_for_log),
            jkt: fresh.jkt,
            kept: OnceLock::new(),
            revocation: crate::revocation::Memo::default(),
        })
    }

    /// The token's `iss` (`""` without one), `jti` and `exp`, for revoking it.
    pub(crate) fn revocation_target(&self) -> (String, Option<String>, u64) {
        let (iss, jti) = self.revocation.token_id(&self.payload);
        (iss.to_owned(), jti.map(str::to_owned), self.deadline)
    }

    /// The decoded payload, as verified.
    pub(crate) fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The claims, deserialized from the payload.
    ///
    /// # Errors
    ///
    /// [`TokenError::InvalidClaims`] when the payload does not fit `C`.
    pub(crate) fn claims<C: DeserializeOwned>(&self) -> Result<C, TokenError> {
        serde_json::from_slice(&self.payload)
            .map_err(|err| TokenError::InvalidClaims(jsonwebtoken::errors::Error::from(err)))
    }

    /// The claims, cloned from those kept by the first caller of this type (the guards: a
    /// clone costs a few allocations at most, parsing an identity provider's payload several
    /// times that, see benchmarks/README.md); parsed when another type was kept first.
    ///
    /// # Errors
    ///
    /// As [`Accepted::claims`].
    pub(crate) fn kept_claims<C>(&self) -> Result<C, TokenError>
    where
        C: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        if let Some(kept) = self.kept.get() {
            if let Some(claims) = kept.downcast_ref::<C>() {
                return Ok(claims.clone());
            }
            return self.claims();
        }
        let claims: C = self.claims()?;
        let _ = self.kept.set(Box::new(claims.clone()));
        Ok(claims)
    }

    /// The claims as `C` with the granted scopes.
    ///
    /// # Errors
    ///
    /// As [`Accepted::claims`].
    pub(crate) fn verified<C: DeserializeOwned>(&self) -> Result<Verified<C>, TokenError> {
        Ok(Verified {
            claims: self.claims()?,
            scopes: self.scopes.clone(),
        })
    }

    /// What the entry weighs in the cache's byte bound: the token, the payload, the scopes, a
    /// fixed overhead, and room for kept claims (their inline size and, for what they own on
    /// the heap, the payload's size again: what they were deserialized from), counted whether
    /// or not a caller keeps claims, since claims are kept after the entry is weighed.
    pub(crate) fn weight(&self) -> usize {
        let scopes: usize = self.scopes.iter().map(str::len).sum();
        ENTRY_OVERHEAD
            + self.token.len()
            + 2 * self.payload.len()
            + KEPT_INLINE
            + self.kid.as_ref().map_or(0, |kid| kid.len())
            + self.jkt.as_ref().map_or(0, |jkt| jkt.len())
            + scopes
            + self.scopes.len() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(payload: &[u8]) -> Arc<Accepted> {
        Accepted::new(Fresh {
            token: b"h.p.s",
            payload,
            scopes: ["items"].into_iter().collect(),
            deadline: 0,
            earliest: 0,
            key: 1,
            source: 0,
            kid: Some("k"),
            jkt: None,
        })
    }

    #[test]
    fn kept_claims_are_served_to_their_type_and_parsed_for_others() {
        #[derive(Clone, Debug, PartialEq, serde::Deserialize)]
        struct Sub {
            sub: String,
        }
        let hit = accepted(br#"{"sub":"parsed"}"#);
        // The first caller of a type keeps its claims; a kept value that differs from the
        // payload shows which path served a later call.
        hit.kept
            .set(Box::new(Sub { sub: "kept".into() }))
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(hit.kept_claims::<Sub>().unwrap().sub, "kept");
        assert_eq!(hit.claims::<Sub>().unwrap().sub, "parsed");
        // Another type is parsed from the payload, and does not replace what is kept.
        let value = hit.kept_claims::<serde_json::Value>().unwrap();
        assert_eq!(value, serde_json::json!({"sub": "parsed"}));
        assert_eq!(hit.kept_claims::<Sub>().unwrap().sub, "kept");
    }

    #[test]
    fn the_first_keeper_fills_the_slot() {
        let hit = accepted(br#"{"sub":"a"}"#);
        let first = hit.kept_claims::<serde_json::Value>().unwrap();
        assert_eq!(first, serde_json::json!({"sub": "a"}));
        assert!(
            hit.kept
                .get()
                .unwrap()
                .downcast_ref::<serde_json::Value>()
                .is_some()
        );
        // A payload that does not fit the type is an error, never a panic or a default.
        assert!(matches!(
            hit.kept_claims::<Vec<u8>>(),
            Err(TokenError::InvalidClaims(_))
        ));
    }

    #[test]
    fn kids_are_cut_for_the_log() {
        assert_eq!(&*kid_for_log("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(kid_for_log(&long).chars().count(), KID_LOG_LEN);
    }
}
