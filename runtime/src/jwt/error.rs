//! Why a token was rejected: [`TokenError`], and the bounds every verification applies.

use std::time::Duration;

use jsonwebtoken::errors::{Error as JwtError, ErrorKind};

#[cfg(doc)]
use super::JwtKeys;

/// Default for [`JwtKeys::max_token_len`]: 8 KiB.
///
/// Real access tokens are a few hundred bytes; the bound keeps a hostile
/// `Authorization` header from costing base64 and JSON work proportional to
/// whatever the HTTP server lets through.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;

/// Upper bound applied to [`JwtKeys::leeway`].
///
/// `jsonwebtoken` computes `now - leeway` and `now + leeway` in unchecked
/// `u64` arithmetic, so an absurd leeway would panic (debug) or wrap
/// (release). A day is far beyond any real clock skew.
pub const MAX_LEEWAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a token was rejected by [`JwtKeys::verify`] or could not be produced by
/// [`JwtKeys::issue`].
///
/// The `Display` text names what happened and never includes any part of the
/// token. Where `jsonwebtoken` reported the failure, its error is kept as the
/// [`source`](std::error::Error::source); note that for
/// [`TokenError::InvalidClaims`] that source is a `serde_json` message which
/// can quote a claim value (and `Debug` shows it too), so log the source
/// chain or `Debug` only where claim values may be logged.
///
/// This type deliberately does not implement `IntoResponse`: the caller picks
/// the answer (`FastAPI`'s tutorial answers every variant with
/// `401 Could not validate credentials` and `WWW-Authenticate: Bearer`).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than [`JwtKeys::max_token_len`] (or
    /// [`AuthenticatorBuilder::max_token_len`](super::AuthenticatorBuilder::max_token_len));
    /// it was not decoded at all.
    #[error("token exceeds the maximum accepted length")]
    TooLarge,
    /// The token is not a compact JWS: not three `.`-separated segments, a
    /// segment that is not unpadded base64url, a header that is not a JSON
    /// object, or a header `alg` that `jsonwebtoken` does not implement (this
    /// includes `"none"`).
    #[error("token is malformed")]
    Malformed(#[source] JwtError),
    /// The header names a known algorithm that is not in
    /// [`JwtKeys::algorithms`]. The allow-list is never derived from the
    /// token.
    #[error("token algorithm is not allowed")]
    DisallowedAlgorithm(#[source] JwtError),
    /// The signature does not match the header and payload under the
    /// configured key.
    #[error("token signature is invalid")]
    InvalidSignature(#[source] JwtError),
    /// The signature is valid but the header carries `crit`
    /// (RFC 7515 §4.1.11). No header extension is understood here, so per the
    /// RFC the token must be rejected; `jsonwebtoken` alone would accept it.
    #[error("token header lists critical extensions")]
    CriticalHeader,
    /// `exp` is in the past by more than [`JwtKeys::leeway`].
    #[error("token has expired")]
    Expired(#[source] JwtError),
    /// `nbf` is in the future by more than [`JwtKeys::leeway`] (or the
    /// [`AuthenticatorBuilder::leeway`](super::AuthenticatorBuilder::leeway)),
    /// or, for [`Authenticator::verify`](super::Authenticator::verify), `iat`
    /// is.
    #[error("token is not valid yet")]
    NotYetValid(#[source] JwtError),
    /// A registered claim that must be present is absent, or present with
    /// a scalar type `jsonwebtoken` cannot read (`"exp": "tomorrow"`, `true`,
    /// `[]`; it does not tell the two apart): `exp` always, `iss` once
    /// [`JwtKeys::issuer`] is set, `aud` once [`JwtKeys::audience`] is set.
    /// A non-empty list or object there (`"exp": [1]`) is
    /// [`TokenError::InvalidClaims`] instead: `jsonwebtoken` 12.0 stops reading
    /// the payload inside it.
    #[error("token lacks the required `{claim}` claim")]
    MissingClaim {
        /// The registered claim name (`exp`, `iss`, `aud`, `nbf` or `sub`).
        claim: &'static str,
        /// The error reported by `jsonwebtoken`.
        #[source]
        source: JwtError,
    },
    /// `iss` is not one of the issuers given to [`JwtKeys::issuer`].
    #[error("token issuer is not accepted")]
    InvalidIssuer(#[source] JwtError),
    /// `aud` names none of the audiences given to [`JwtKeys::audience`].
    #[error("token audience is not accepted")]
    InvalidAudience(#[source] JwtError),
    /// The signature is valid but the claims are not what is expected: the
    /// payload is not a JSON object, `nbf` is present but not a non-negative
    /// number, or the payload does not deserialize into the requested claims
    /// type (for instance a `scopes` claim that is not a list of strings,
    /// which `FastAPI`'s tutorial also rejects through pydantic).
    #[error("token claims are invalid")]
    InvalidClaims(#[source] JwtError),
    /// The configured key cannot be used with the token's algorithm (for
    /// instance a malformed RSA public key). This is a configuration problem,
    /// not a property of the token.
    #[error("verification key is unusable")]
    InvalidKey(#[source] JwtError),
    /// The token names a `kid` that no configured key carries, even after
    /// the remote key sets were refreshed once (or the refresh was skipped
    /// because the previous one is more recent than
    /// [`JwksOptions::min_refresh_interval`](super::JwksOptions::min_refresh_interval)).
    /// A `kid` is only ever compared with the configured keys' ids: path or
    /// SQL text in it is just an unknown key.
    #[error("token names an unknown key")]
    UnknownKey,
    /// The key cannot be chosen without guessing: the token has no `kid` and
    /// several configured keys accept its algorithm, or its `kid` is carried
    /// by keys of several issuers.
    #[error("token does not identify its key")]
    AmbiguousKey,
    /// The token names a `kid` that no key carries and a remote key set
    /// that could hold it is failing to load (the provider is down, slow,
    /// or answers with something that is not a key set), so the key may
    /// exist. An answer of `503 Service Unavailable` fits better than 401.
    #[error("verification keys are unavailable")]
    KeysUnavailable,
    /// A revocation names the token (its `jti`, or its `sub` or `client_id` with a cutoff
    /// after its `iat`; see [`crate::revocation`]). The signature and claims were valid.
    #[error("token has been revoked")]
    Revoked,
    /// Revocation is configured, the token lacks the `jti` or `iat` it needs, and
    /// [`Unrevocable::Refuse`](crate::revocation::Unrevocable::Refuse) (the default) refuses
    /// such tokens.
    #[error("token cannot be revoked (no `jti` or no `iat`)")]
    Unrevocable,
    /// The replica cannot vouch that its copy of the revocations is current (Redis unreachable
    /// longer than the bound, or not yet read): the token may be revoked elsewhere, so it is
    /// refused. An answer of `503 Service Unavailable` fits better than 401.
    #[error("revocations are unavailable")]
    RevocationsUnavailable,
    /// The introspection endpoint (RFC 7662) answered that the opaque token is not active:
    /// unknown, expired or revoked at the provider.
    #[error("token is not active")]
    Inactive,
    /// The introspection endpoint could not vouch for the opaque token (down, slow, refusing
    /// our client, or answering something that is not an RFC 7662 answer): the token may be
    /// valid. An answer of `503 Service Unavailable` fits better than 401.
    #[error("token introspection is unavailable")]
    IntrospectionUnavailable,
    /// [`AuthenticatorBuilder::require_access_token_type`](super::AuthenticatorBuilder::require_access_token_type)
    /// is set and the header's `typ` is neither `at+jwt` nor
    /// `application/at+jwt` (RFC 9068 §4; compared case-insensitively). The
    /// signature was valid.
    #[error("token is not an access token")]
    WrongType,
    /// The token is DPoP-bound (`cnf.jkt`, RFC 9449 §6) and came without a proof: as a
    /// Bearer token, or to a verify call that takes no proof. A bound token is never
    /// downgraded to a bearer one.
    #[error("the token is DPoP-bound and came without its proof")]
    DpopBound,
    /// The request's DPoP proof was refused, or does not fit the token (see
    /// [`crate::dpop`]).
    #[error("the DPoP proof was refused: {0}")]
    Dpop(#[from] crate::dpop::ProofError),
    /// [`JwtKeys::issue`] was called on keys built by
    /// [`JwtKeys::verify_only`].
    #[error("no signing key is configured")]
    NoSigningKey,
    /// Issuing failed: the claims did not serialize to a JSON object, the
    /// expiry is not representable, or the signer failed.
    #[error("token could not be signed")]
    Signing(#[source] JwtError),
}

impl TokenError {
    /// A stable `snake_case` name of the variant, for logs and metrics: `too_large`,
    /// `malformed`, `disallowed_algorithm`, `invalid_signature`, `critical_header`, `expired`,
    /// `not_yet_valid`, `missing_claim`, `invalid_issuer`, `invalid_audience`,
    /// `invalid_claims`, `invalid_key`, `unknown_key`, `ambiguous_key`, `keys_unavailable`,
    /// `revoked`, `unrevocable`, `revocations_unavailable`, `inactive`,
    /// `introspection_unavailable`, `wrong_type`, `dpop_bound`, `no_signing_key`, `signing`,
    /// or for [`TokenError::Dpop`] the proof's [`reason`](crate::dpop::ProofError::reason).
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Malformed(_) => "malformed",
            Self::DisallowedAlgorithm(_) => "disallowed_algorithm",
            Self::InvalidSignature(_) => "invalid_signature",
            Self::CriticalHeader => "critical_header",
            Self::Expired(_) => "expired",
            Self::NotYetValid(_) => "not_yet_valid",
            Self::MissingClaim { .. } => "missing_claim",
            Self::InvalidIssuer(_) => "invalid_issuer",
            Self::InvalidAudience(_) => "invalid_audience",
            Self::InvalidClaims(_) => "invalid_claims",
            Self::InvalidKey(_) => "invalid_key",
            Self::UnknownKey => "unknown_key",
            Self::AmbiguousKey => "ambiguous_key",
            Self::KeysUnavailable => "keys_unavailable",
            Self::Revoked => "revoked",
            Self::Unrevocable => "unrevocable",
            Self::RevocationsUnavailable => "revocations_unavailable",
            Self::Inactive => "inactive",
            Self::IntrospectionUnavailable => "introspection_unavailable",
            Self::WrongType => "wrong_type",
            Self::DpopBound => "dpop_bound",
            Self::Dpop(proof) => proof.reason(),
            Self::NoSigningKey => "no_signing_key",
            Self::Signing(_) => "signing",
        }
    }

    /// Maps a `jsonwebtoken` decoding failure to the variant naming what
    /// happened. Only runs on the rejection path.
    #[cold]
    pub(crate) fn from_decode(err: JwtError) -> Self {
        match err.kind() {
            ErrorKind::ExpiredSignature => Self::Expired(err),
            ErrorKind::ImmatureSignature => Self::NotYetValid(err),
            ErrorKind::InvalidSignature => Self::InvalidSignature(err),
            ErrorKind::InvalidIssuer => Self::InvalidIssuer(err),
            ErrorKind::InvalidAudience => Self::InvalidAudience(err),
            ErrorKind::InvalidAlgorithm
            | ErrorKind::MissingAlgorithm
            | ErrorKind::UnsupportedAlgorithm => Self::DisallowedAlgorithm(err),
            ErrorKind::MissingRequiredClaim(claim) => Self::MissingClaim {
                claim: registered_claim_name(claim),
                source: err,
            },
            ErrorKind::InvalidClaimFormat(_) | ErrorKind::InvalidSubject => {
                Self::InvalidClaims(err)
            }
            ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat => Self::InvalidKey(err),
            // The core parsed the header before `decode`, which checks the
            // signature before it parses the payload: a JSON error here comes
            // from a payload that carried a valid signature.
            ErrorKind::Json(_) => Self::InvalidClaims(err),
            _ => Self::Malformed(err),
        }
    }
}

/// `jsonwebtoken` only ever requires these five names; mapping them to
/// `'static` keeps [`TokenError::MissingClaim`] allocation-free to inspect.
fn registered_claim_name(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "nbf" => "nbf",
        "iss" => "iss",
        "aud" => "aud",
        "sub" => "sub",
        _ => "unknown",
    }
}

impl From<TokenError> for crate::rejection::HttpError {
    /// 500 `Internal Server Error`, for a token that could not be issued: a server fault. The
    /// cause is logged at error level and never sent.
    fn from(error: TokenError) -> Self {
        tracing::error!(target: "axum_scopes", error = %error, "issuing a token failed");
        Self::new(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
        )
    }
}
