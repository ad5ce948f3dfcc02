//! Why a revocation call failed ([`RevocationError`]).

/// Why [`Revocations::revoke`](super::Revocations::revoke) or a backend could not do what was
/// asked. Its `Display` text names no token and no secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The revocation is malformed (an empty identifier, one over
    /// [`MAX_ID_LEN`](super::MAX_ID_LEN) bytes, more than
    /// [`MAX_BATCH`](super::MAX_BATCH) revocations in one call). Nothing was revoked.
    #[error("invalid revocation: {0}")]
    Invalid(&'static str),
    /// The shared store could not be written (Redis unreachable, or slower than the write
    /// timeout). This replica refuses the tokens at once, and writes the revocation to the
    /// store when it is back; other replicas may accept them meanwhile, so answer the caller
    /// with an error (a logout endpoint: 503) and let it retry.
    #[error("the revocation store is unavailable")]
    Unavailable {
        /// What failed, for logs.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// The token given to revoke was refused by the verifier (forged, expired, of an issuer
    /// not trusted): there is nothing to revoke. The reason (a `TokenError`) is the source.
    #[error("the token to revoke was not accepted")]
    InvalidToken(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The token to revoke has no `jti`, so it cannot be revoked alone; revoke its subject
    /// with [`Revocation::subject`](super::Revocation::subject) instead.
    #[error("the token has no `jti` claim")]
    NoTokenId,
    /// The backend's configuration is unusable (a malformed Redis URL, no Tokio runtime to run
    /// its task on).
    #[error("invalid revocation store configuration: {0}")]
    Config(String),
}
