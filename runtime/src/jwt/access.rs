//! The FastAPI-style path with DPoP: [`AccessToken<S>`], the credential a dependency takes,
//! and [`Authenticator::verify_access`], which verifies it (with its proof) and checks the
//! scopes in one call.

use std::fmt;
use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, Method};
use serde::de::DeserializeOwned;

use super::accepted::Verified;
use super::authenticator::Authenticator;
use super::verifier::log_refused;
use super::verify::Refused;
use crate::credential::Credential;
use crate::credential::bearer::{bearer_range, dpop_range};
use crate::dpop::{ProofError, ProofRequest};
use crate::rejection::{AuthError, AuthErrorKind, CredentialKind};
use crate::scheme::{Scheme, SchemeInfo};
use crate::scope::SecurityScopes;

/// The access token of a request for the scheme `S`, as sent: `Authorization: Bearer <token>`,
/// or `Authorization: DPoP <token>` with what its proof is checked against (the `DPoP`
/// header, the method, the path, the host). Not verified here: pass it to
/// [`Authenticator::verify_access`].
///
/// For the FastAPI-style path (a `#[dependency]` that verifies the token itself) when DPoP
/// tokens are accepted; [`BearerToken<S>`](crate::BearerToken) knows only Bearer.
/// Extraction needs the [`Authenticator`] in the router state (`Authenticator: FromRef<St>`)
/// to know whether DPoP is accepted: a request without a token it accepts is answered 401
/// with the authenticator's challenges.
///
/// ```
/// use axum::extract::State;
/// use axum_scopes::jwt::AccessToken;
/// use axum_scopes::{AuthError, Authenticator, SecurityScopes, dependency};
///
/// axum_scopes::oauth2_password_bearer! {
///     /// The API's scheme.
///     pub Api { token_url: "token", scopes: { "items" => "Read items." } }
/// }
///
/// #[derive(Clone, serde::Deserialize)]
/// struct Claims {
///     sub: String,
/// }
///
/// /// The caller, once the token (and its DPoP proof) and every required scope checked out.
/// #[dependency]
/// async fn current_user(
///     scopes: SecurityScopes,
///     token: AccessToken<Api>,
///     State(authenticator): State<Authenticator>,
/// ) -> Result<String, AuthError> {
///     let verified = authenticator.verify_access::<Claims, _>(&token, &scopes).await?;
///     Ok(verified.claims.sub)
/// }
/// ```
pub struct AccessToken<S> {
    authorization: HeaderValue,
    start: usize,
    end: usize,
    /// For a DPoP token: its proof (or why there is none usable) and the request's parts.
    dpop: Option<DpopParts>,
    scheme: PhantomData<fn() -> S>,
}

struct DpopParts {
    proof: Result<HeaderValue, ProofError>,
    method: Method,
    path: String,
    host: Option<HeaderValue>,
}

impl<S> AccessToken<S> {
    /// The token's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.authorization.as_bytes()[self.start..self.end]
    }

    /// Whether it came as a DPoP token (`Authorization: DPoP`).
    #[must_use]
    pub fn is_dpop(&self) -> bool {
        self.dpop.is_some()
    }
}

impl<S> fmt::Debug for AccessToken<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A credential and a proof: never printed.
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("dpop", &self.is_dpop())
            .finish()
    }
}

impl<St, S> FromRequestParts<St> for AccessToken<S>
where
    St: Send + Sync,
    S: Scheme,
    Authenticator: FromRef<St>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let authenticator = Authenticator::from_ref(state);
        let missing = || {
            AuthError::missing_credentials(CredentialKind::BearerToken)
                .with_config(authenticator.config())
                .into_response()
        };
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or_else(missing)?;
        let dpop = authenticator.dpop();
        let (range, is_dpop) = match (bearer_range(header.as_bytes()), dpop) {
            (Some(_), Some(dpop)) if !dpop.accepts_bearer() => return Err(missing()),
            (Some(range), _) => (range, false),
            (None, Some(_)) => (dpop_range(header.as_bytes()).ok_or_else(missing)?, true),
            (None, None) => return Err(missing()),
        };
        let dpop = is_dpop.then(|| DpopParts {
            proof: ProofRequest::header(parts).cloned(),
            method: parts.method.clone(),
            path: ProofRequest::of_path(parts).to_owned(),
            host: parts.headers.get(http::header::HOST).cloned(),
        });
        Ok(Self {
            authorization: header.clone(),
            start: range.start,
            end: range.end,
            dpop,
            scheme: PhantomData,
        })
    }
}

impl<S: Scheme> Credential for AccessToken<S> {
    const SCHEME: SchemeInfo = S::INFO;
}

impl Authenticator {
    /// Verifies `token` (with its DPoP proof when it is a DPoP token: see [`crate::dpop`])
    /// and checks that it grants `required`: the one call of a FastAPI-style dependency.
    ///
    /// # Errors
    ///
    /// The answer to send, rendered with the authenticator's `AuthConfig`: 401
    /// `invalid_token` or `invalid_dpop_proof` (or `use_dpop_nonce`), 403
    /// `insufficient_scope`, 503 when the keys, the introspection endpoint, the revocations or
    /// the replay cache are unavailable. The refusal is logged at debug level, without the
    /// token or the proof.
    pub async fn verify_access<C: DeserializeOwned, S>(
        &self,
        token: &AccessToken<S>,
        required: &SecurityScopes,
    ) -> Result<Verified<C>, AuthError> {
        let proof = token.dpop.as_ref().map(|dpop| {
            dpop.proof
                .as_ref()
                .map_err(|error| *error)
                .map(|proof| ProofRequest {
                    proof: proof.as_bytes(),
                    method: dpop.method.as_str(),
                    path: &dpop.path,
                    host: dpop.host.as_ref().and_then(|host| host.to_str().ok()),
                })
        });
        let accepted = match proof {
            Some(Err(error)) => Err(Refused::new(error.into())),
            Some(Ok(proof)) => self.accept_presented(token.as_bytes(), Some(&proof)).await,
            None => self.accept_presented(token.as_bytes(), None).await,
        };
        let verified = accepted.and_then(|accepted| {
            accepted
                .verified::<C>()
                .map_err(|error| Refused::of(&accepted, error))
        });
        let answer = |error: AuthError| {
            error
                .with_config(self.config())
                .presented_dpop(token.is_dpop())
        };
        let verified = verified.map_err(|refused| {
            log_refused(&refused, self.issuer_of(&refused));
            answer(self.answer(refused.error))
        })?;
        if !required.is_satisfied_by(verified.scopes.iter()) {
            tracing::debug!(
                target: "axum_scopes",
                reason = "insufficient_scope",
                required = %required.scope_str(),
                "bearer token rejected"
            );
            return Err(answer(AuthError::from(AuthErrorKind::InsufficientScope {
                required: required.clone(),
            })));
        }
        Ok(verified)
    }
}
