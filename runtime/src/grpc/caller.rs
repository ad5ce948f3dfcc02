//! The caller of a gRPC method as the layer accepted it ([`Caller`]).

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::jwt::{Accepted, GrantedScopes, TokenError};

/// The caller of a scoped gRPC method, as the enforcing layer accepted it: in the request's
/// extensions (`request.extensions().get::<Caller>()`).
#[derive(Clone)]
pub struct Caller {
    pub(super) accepted: Arc<Accepted>,
}

impl std::fmt::Debug for Caller {
    /// Never the token nor its claims.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("scopes", &self.accepted.scopes)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// The scopes the token grants.
    #[must_use]
    pub fn scopes(&self) -> &GrantedScopes {
        &self.accepted.scopes
    }

    /// The token's claims, as `C` (deserialized once per token and type, then cloned from the
    /// verified-token cache).
    ///
    /// # Errors
    ///
    /// [`TokenError::InvalidClaims`] when the payload does not fit `C`.
    pub fn claims<C: DeserializeOwned + Clone + Send + Sync + 'static>(
        &self,
    ) -> Result<C, TokenError> {
        self.accepted.kept_claims()
    }
}
