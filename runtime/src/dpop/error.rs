//! Why a DPoP proof, or DPoP's configuration, was refused.

/// Why a DPoP proof was refused (RFC 9449 §4.3, §7, §8, §11.1). Never carries the proof nor
/// the token.
///
/// Answered 401 `WWW-Authenticate: DPoP error="invalid_dpop_proof"`, except
/// [`UseNonce`](Self::UseNonce) (401 `error="use_dpop_nonce"` with a fresh `DPoP-Nonce`) and
/// [`ReplayUnavailable`](Self::ReplayUnavailable) (503 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// `Authorization: DPoP` without a `DPoP` header.
    #[error("the request has no DPoP proof")]
    Missing,
    /// More than one `DPoP` header.
    #[error("the request has more than one DPoP proof")]
    Repeated,
    /// Not a compact JWS with base64url JSON parts, too long, or with `crit`.
    #[error("the DPoP proof is malformed")]
    Malformed,
    /// `typ` is not `dpop+jwt`.
    #[error("the DPoP proof's typ is not dpop+jwt")]
    Type,
    /// `alg` is not one of the accepted asymmetric algorithms (`none` and HMAC never are).
    #[error("the DPoP proof's algorithm is not accepted")]
    Algorithm,
    /// No `jwk` header, or one that is not a public key of `alg`'s kind and curve.
    #[error("the DPoP proof's key is missing or does not fit its algorithm")]
    Key,
    /// The `jwk` header holds private key members.
    #[error("the DPoP proof's key is a private key")]
    PrivateKey,
    /// The signature is not the `jwk`'s.
    #[error("the DPoP proof's signature is invalid")]
    Signature,
    /// `jti`, `htm`, `htu` or `iat` is missing or not of its type.
    #[error("the DPoP proof lacks a required claim")]
    MissingClaim,
    /// `htm` is not the request's method.
    #[error("the DPoP proof is for another method")]
    Method,
    /// `htu` is not the request's URI.
    #[error("the DPoP proof is for another URI")]
    Uri,
    /// `iat` is older than the accepted age.
    #[error("the DPoP proof is too old")]
    Stale,
    /// `iat` is in the future beyond the leeway.
    #[error("the DPoP proof is issued in the future")]
    Future,
    /// The server requires a nonce and the proof has none, or one it no longer accepts.
    #[error("the DPoP proof lacks a current server nonce")]
    UseNonce,
    /// `ath` is missing or is not the hash of the presented token.
    #[error("the DPoP proof is not bound to the presented token")]
    TokenHash,
    /// The proof's key is not the one the token is bound to (`cnf.jkt`), or the token is not
    /// bound at all.
    #[error("the access token is not bound to the DPoP proof's key")]
    Binding,
    /// The proof's `jti` was seen before within its acceptance window.
    #[error("the DPoP proof was used before")]
    Replayed,
    /// The shared replay cache did not answer: the proof cannot be checked for replay.
    #[error("the DPoP replay cache is unavailable")]
    ReplayUnavailable,
}

impl ProofError {
    /// A stable `snake_case` name, for logs and metrics (`dpop_` and the variant).
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "dpop_missing",
            Self::Repeated => "dpop_repeated",
            Self::Malformed => "dpop_malformed",
            Self::Type => "dpop_type",
            Self::Algorithm => "dpop_algorithm",
            Self::Key => "dpop_key",
            Self::PrivateKey => "dpop_private_key",
            Self::Signature => "dpop_signature",
            Self::MissingClaim => "dpop_missing_claim",
            Self::Method => "dpop_method",
            Self::Uri => "dpop_uri",
            Self::Stale => "dpop_stale",
            Self::Future => "dpop_future",
            Self::UseNonce => "dpop_use_nonce",
            Self::TokenHash => "dpop_token_hash",
            Self::Binding => "dpop_binding",
            Self::Replayed => "dpop_replayed",
            Self::ReplayUnavailable => "dpop_replay_unavailable",
        }
    }

    /// The fixed text of the answer's `error_description`.
    #[must_use]
    pub fn error_description(self) -> &'static str {
        match self {
            Self::Missing => "No DPoP proof",
            Self::Repeated => "More than one DPoP proof",
            Self::Malformed => "Malformed DPoP proof",
            Self::Type => "DPoP proof typ must be dpop+jwt",
            Self::Algorithm => "DPoP proof algorithm not accepted",
            Self::Key => "DPoP proof key missing or unfit",
            Self::PrivateKey => "DPoP proof key must be public",
            Self::Signature => "DPoP proof signature invalid",
            Self::MissingClaim => "DPoP proof lacks a required claim",
            Self::Method => "DPoP proof htm mismatch",
            Self::Uri => "DPoP proof htu mismatch",
            Self::Stale => "DPoP proof iat too old",
            Self::Future => "DPoP proof iat in the future",
            Self::UseNonce => "Resource server requires nonce in DPoP proof",
            Self::TokenHash => "DPoP proof ath mismatch",
            Self::Binding => "Access token not bound to the DPoP proof key",
            Self::Replayed => "DPoP proof replayed",
            Self::ReplayUnavailable => "Service Unavailable",
        }
    }
}

/// Why a [`Dpop`](super::Dpop) configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopConfigError {
    /// The external URL is not `https://host[:port][/prefix]` (or `http`) without user, query
    /// or fragment.
    #[error("the external URL is not an absolute http(s) URL without query or fragment")]
    ExternalUrl,
    /// An algorithm is not asymmetric, or the list is empty.
    #[error("DPoP proofs are signed with asymmetric algorithms only, and at least one")]
    Algorithms,
    /// The nonce secret is shorter than 32 bytes.
    #[error("the nonce secret must be at least 32 bytes")]
    NonceSecret,
    /// The Redis URL of a replay cache is not a Redis URL.
    #[error("the Redis URL is not valid")]
    RedisUrl,
}
