//! `Authenticated<C, S>`: the ready-made, scope-enforcing guard for the short path, and the
//! dependencies behind it.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRef;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde::de::DeserializeOwned;
use utoipa::openapi::RefOr;
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};

use crate::credential::{
    AuthConfig, BearerHeader, CredentialSource, Location, RawCredential, SchemeSource,
    find_credential,
};
use crate::dependency::tree::{DependencyInfo, Param, ScopeChain, Unscoped, security_scopes};
use crate::dependency::{Dependency, DependencyOutput, Resolve, Security};
use crate::dpop::ProofRequest;
use crate::jwt::{Accepted, Authenticator, Refused};
use crate::openapi::{Responses, insert_responses};
use crate::rejection::{AuthError, AuthErrorKind};
use crate::scheme::{Scheme, SchemeInfo};
use crate::scope::{Implication, Scope, SecurityScopes, grants};

/// The verified claims of the request's bearer token, after every scope the handler and the
/// dependencies above require was found in the token: no `get_current_user` to write.
///
/// ```
/// use axum::Json;
/// use axum_scopes::{Authenticated, requires_scopes};
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
/// #[requires_scopes("items")]
/// async fn items(claims: Authenticated<Claims, Api>) -> Json<String> {
///     Json(claims.into_inner().sub)
/// }
/// ```
///
/// # Details
///
/// - The token comes from where the scheme's credential travels ([`SchemeSource`]): the
///   `Authorization: Bearer` header (RFC 6750 §2.1) for OAuth2, OpenID Connect and HTTP bearer
///   schemes, the declared cookie for a `token_cookie` scheme. It is verified by
///   the [`Authenticator`] of the router state (`Authenticator: FromRef<S>`); answers follow
///   RFC 6750 as [`AuthError`] renders them with the authenticator's `AuthConfig`
///   ([`AuthenticatorBuilder::auth_config`](crate::jwt::AuthenticatorBuilder::auth_config)): no credentials 401
///   `WWW-Authenticate: Bearer`, a malformed request 400 `invalid_request`, a bad token 401
///   `invalid_token`, missing scopes 403 `insufficient_scope` with `scope="<required>"`.
/// - The scheme `S` names the catalogue the scopes are checked against at compile time and the
///   OpenAPI security scheme the operation is documented with.
/// - The requirement is the whole chain's: `any(..)`/`all(..)` included.
/// - It is a [`Security`] of the dependency [`Authenticate<C, S>`], so it also works as a
///   parameter of a `#[dependency]`, and its value is cached for the request like any other.
pub type Authenticated<C, S, E = Unscoped> =
    Security<Authenticate<C, S, <S as SchemeSource>::Source>, E>;

/// [`Authenticated<C, S>`] with the token taken from another [`CredentialSource`], such as
/// [`TokenCookie<N>`](crate::credential::TokenCookie) (whose CSRF rule applies) or a tuple of sources.
pub type AuthenticatedBy<C, S, Src, E = Unscoped> = Security<Authenticate<C, S, Src>, E>;

/// Optional authentication (FastAPI's `auto_error=False`): `None` for a request without
/// credentials, the claims for a valid token with every required scope, and the same rejections
/// as [`Authenticated`] for an invalid token or a missing scope.
pub type MaybeAuthenticated<C, S, E = Unscoped> =
    Security<MaybeAuthenticate<C, S, <S as SchemeSource>::Source>, E>;

/// The dependency behind [`Authenticated<C, S>`]: verify the token of `Src`, check the scopes,
/// yield the claims `C`.
pub struct Authenticate<C, S, Src = BearerHeader>(Marker<(C, S, Src)>);

/// The dependency behind [`MaybeAuthenticated<C, S>`].
pub struct MaybeAuthenticate<C, S, Src = BearerHeader>(Marker<(C, S, Src)>);

/// Carries type parameters without owning them: `Send`, `Sync` and `'static` whatever they are.
type Marker<T> = PhantomData<fn() -> T>;

impl<C, S, Src> Dependency for Authenticate<C, S, Src>
where
    C: DeserializeOwned + DependencyOutput,
    S: Scheme,
    Src: CredentialSource,
{
    type Output = C;

    const INFO: DependencyInfo = DependencyInfo::new(
        "authenticated",
        &[],
        &[Param::SecurityScopes, Param::Credential(&S::INFO)],
    )
    .with_responses(Some(document_failures));
}

impl<St, C, S, Src> Resolve<St> for Authenticate<C, S, Src>
where
    St: Send + Sync,
    C: DeserializeOwned + DependencyOutput,
    S: Scheme,
    Src: CredentialSource,
    Authenticator: FromRef<St>,
{
    async fn resolve(parts: &mut Parts, state: &St, chain: &ScopeChain<'_>) -> Result<C, Response> {
        let authenticator = Authenticator::from_ref(state);
        match authenticate::<C, S, Src>(parts, &authenticator, chain).await {
            Ok(Some(claims)) => Ok(claims),
            Ok(None) => Err(refused(
                AuthError::missing_credentials(Src::KIND),
                chain,
                S::INFO.name,
            )),
            Err(error) => Err(error),
        }
        .map_err(|error| answer(error, parts, &authenticator))
    }
}

impl<C, S, Src> Dependency for MaybeAuthenticate<C, S, Src>
where
    C: DeserializeOwned + DependencyOutput,
    S: Scheme,
    Src: CredentialSource,
{
    type Output = Option<C>;

    const INFO: DependencyInfo = DependencyInfo::new(
        "maybe_authenticated",
        &[],
        &[Param::SecurityScopes, Param::Credential(&S::INFO)],
    )
    .with_responses(Some(document_failures));
}

impl<St, C, S, Src> Resolve<St> for MaybeAuthenticate<C, S, Src>
where
    St: Send + Sync,
    C: DeserializeOwned + DependencyOutput,
    S: Scheme,
    Src: CredentialSource,
    Authenticator: FromRef<St>,
{
    async fn resolve(
        parts: &mut Parts,
        state: &St,
        chain: &ScopeChain<'_>,
    ) -> Result<Option<C>, Response> {
        let authenticator = Authenticator::from_ref(state);
        let claims = authenticate::<C, S, Src>(parts, &authenticator, chain)
            .await
            .map_err(|error| answer(error, parts, &authenticator))?;
        if claims.is_none() {
            tracing::debug!(
                target: "axum_scopes",
                outcome = "anonymous",
                scheme = S::INFO.name,
                "request without credentials let through"
            );
        }
        Ok(claims)
    }
}

/// What both guards do: the claims of the credential of `Src`, verified with every scope
/// `chain` requires (`None` without a credential); the token is recorded for a WebSocket
/// upgrade to watch.
async fn authenticate<C, S, Src>(
    parts: &mut Parts,
    authenticator: &Authenticator,
    chain: &ScopeChain<'_>,
) -> Result<Option<C>, AuthError>
where
    C: DeserializeOwned + DependencyOutput,
    S: Scheme,
    Src: CredentialSource,
{
    let admitted =
        authenticate_with::<Src, C>(parts, authenticator, chain, &S::INFO, Accepted::kept_claims)
            .await?;
    let Some((claims, accepted)) = admitted else {
        return Ok(None);
    };
    #[cfg(feature = "websocket")]
    crate::websocket::record(parts, authenticator, accepted);
    #[cfg(not(feature = "websocket"))]
    drop(accepted);
    Ok(Some(claims))
}

/// The one evaluation of a request's credential, for every transport (handlers, WebSocket
/// upgrades, gRPC calls): the credential of `Src` (and its DPoP proof), verified by
/// `authenticator`, `read` from, with every scope `chain` requires of the scheme `scheme`;
/// `None` without a credential. Refusals are logged (see [`admit`]).
pub(crate) async fn authenticate_with<Src: CredentialSource, T>(
    parts: &Parts,
    authenticator: &Authenticator,
    chain: &ScopeChain<'_>,
    scheme: &'static SchemeInfo,
    read: impl FnOnce(&Accepted) -> Result<T, crate::TokenError>,
) -> Result<Option<(T, Arc<Accepted>)>, AuthError> {
    let (token, proof) = match presentation::<Src>(parts, authenticator) {
        Ok(Some(presented)) => presented,
        Ok(None) => return Ok(None),
        Err(error) => return Err(refused(error, chain, scheme.name)),
    };
    admit(
        token.as_bytes(),
        proof.as_ref(),
        authenticator,
        chain,
        (scheme.name, scheme.implications),
        read,
    )
    .await
    .map(Some)
    .map_err(|error| error.presented_dpop(proof.is_some()))
}

/// `error` answered with the router's config (or the authenticator's) and the authenticator's
/// `DPoP` challenge.
#[cold]
fn answer(error: AuthError, parts: &Parts, authenticator: &Authenticator) -> Response {
    error
        .with_config(AuthConfig::of(parts, authenticator.config()))
        .with_dpop_challenge(authenticator.config().dpop())
        .into_response()
}

/// The credential of `Src` in `parts` and, for a DPoP token when the authenticator accepts
/// DPoP, its proof; `None` for no credential, which a DPoP token is when DPoP is not
/// accepted, and a Bearer one when only DPoP is.
///
/// # Errors
///
/// What [`find_credential`] reports, and an invalid DPoP proof for a DPoP token with no or
/// several `DPoP` headers.
fn presentation<'p, Src: CredentialSource>(
    parts: &'p Parts,
    authenticator: &Authenticator,
) -> Result<Option<(RawCredential<'p>, Option<ProofRequest<'p>>)>, AuthError> {
    let Some(token) = find_credential::<Src>(parts, authenticator.config())? else {
        return Ok(None);
    };
    match (token.location(), authenticator.dpop()) {
        (Location::Dpop, Some(_)) => {
            match ProofRequest::of(parts) {
                Ok(proof) => Ok(Some((token, Some(proof)))),
                Err(source) => Err(AuthError::from(AuthErrorKind::InvalidDpopProof { source })
                    .presented_dpop(true)),
            }
        }
        (Location::Dpop, None) => Ok(None),
        // Only DPoP: a bearer token is no credential, wherever it travels.
        (_, Some(dpop)) if !dpop.accepts_bearer() => Ok(None),
        _ => Ok(Some((token, None))),
    }
}

/// Verifies `token` (with its DPoP `proof`), reads from it with `read` (whose error is the
/// token's), and checks the scopes `chain` requires; logs the outcome as one event.
///
/// The events, all of target `axum_scopes`, never carry the token (nor any secret):
/// - accepted, at debug: `outcome = "accepted"`, `scheme`, `required` (the scopes, space
///   separated), `kid`, `issuer`;
/// - refused, at info (warn for `keys_unavailable`): `outcome = "refused"`, `reason` (see
///   [`AuthErrorKind::reason`]), `error` (the token's [`TokenError::reason`], when it was the
///   token), `scheme`, `required`, `missing` (the first required scope not granted), `kid`,
///   `issuer`.
///
/// `kid` is as the token sent it (at most 64 characters); `issuer` is the configured issuer of
/// the key set holding that `kid`, never the token's own claim. Both come from the one header
/// parse of the verification.
async fn admit<T>(
    token: &[u8],
    proof: Option<&ProofRequest<'_>>,
    authenticator: &Authenticator,
    chain: &ScopeChain<'_>,
    (scheme, implications): (&'static str, &'static [Implication]),
    read: impl FnOnce(&Accepted) -> Result<T, crate::TokenError>,
) -> Result<(T, Arc<Accepted>), AuthError> {
    let accepted =
        authenticator
            .accept_presented(token, proof)
            .await
            .and_then(|accepted| match read(&accepted) {
                Ok(claims) => Ok((accepted, claims)),
                Err(error) => Err(Refused::of(&accepted, error)),
            });
    let (accepted, claims) = match accepted {
        Ok(accepted) => accepted,
        Err(refused) => {
            let issuer = authenticator.issuer_of(&refused);
            let token_error = refused.error.reason();
            let error = authenticator.answer(refused.error);
            let event = Event {
                scheme,
                chain,
                kid: refused.kid.as_deref(),
                issuer,
            };
            event.refused(&error, Some(token_error), None, None);
            return Err(error);
        }
    };
    let event = || Event {
        scheme,
        chain,
        kid: accepted.kid.as_deref(),
        issuer: authenticator.issuer_of_accepted(&accepted),
    };
    // Plain scopes are checked against the chain itself, without collecting them; the
    // required scopes are built once, only when that cannot decide or a scope is missing.
    let granted = |scope: Scope| grants(accepted.scopes.iter(), scope.as_str(), implications);
    let unmet = match chain.all_plain(granted) {
        Some(true) => None,
        Some(false) => Some(security_scopes(chain).with_implications(implications)),
        None => Some(security_scopes(chain).with_implications(implications))
            .filter(|required| !required.is_satisfied_by(accepted.scopes.iter())),
    };
    if let Some(required) = unmet {
        return Err(insufficient(&required, &accepted, &event()));
    }
    if tracing::enabled!(target: "axum_scopes", tracing::Level::DEBUG) {
        let event = event();
        tracing::debug!(
            target: "axum_scopes",
            outcome = "accepted",
            scheme,
            required = %security_scopes(chain).scope_str(),
            kid = event.kid,
            issuer = event.issuer,
            "request authorized"
        );
    }
    Ok((claims, accepted))
}

/// The refusal of `accepted` for lacking one of `required`, logged.
#[cold]
fn insufficient(
    required: &SecurityScopes,
    accepted: &Accepted,
    event: &Event<'_, '_>,
) -> AuthError {
    let error = AuthError::insufficient_scope(required);
    let missing = required.first_missing(accepted.scopes.iter());
    event.refused(&error, None, missing.map(Scope::as_str), Some(required));
    error
}

/// `error`, logged as a refusal without a token (no credential, or one that cannot be read).
pub(crate) fn refused(error: AuthError, chain: &ScopeChain<'_>, scheme: &'static str) -> AuthError {
    let event = Event {
        scheme,
        chain,
        kid: None,
        issuer: None,
    };
    event.refused(&error, None, None, None);
    error
}

/// What every event of one request says besides its outcome.
struct Event<'a, 'c> {
    scheme: &'static str,
    chain: &'a ScopeChain<'c>,
    kid: Option<&'a str>,
    issuer: Option<&'a str>,
}

impl Event<'_, '_> {
    /// The refusal event, see [`verify`]; `required` when the caller already built it.
    #[cold]
    fn refused(
        &self,
        error: &AuthError,
        token_error: Option<&'static str>,
        missing: Option<&'static str>,
        required: Option<&SecurityScopes>,
    ) {
        let keys_unavailable = matches!(
            error.kind(),
            AuthErrorKind::KeysUnavailable { .. }
                | AuthErrorKind::RevocationsUnavailable
                | AuthErrorKind::DpopReplayUnavailable
        );
        let enabled = if keys_unavailable {
            tracing::enabled!(target: "axum_scopes", tracing::Level::WARN)
        } else {
            tracing::enabled!(target: "axum_scopes", tracing::Level::INFO)
        };
        if !enabled {
            return;
        }
        let required = match required {
            Some(required) => required.scope_str(),
            None => security_scopes(self.chain).scope_str(),
        };
        let (scheme, kid, issuer) = (self.scheme, self.kid, self.issuer);
        macro_rules! refused {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    target: "axum_scopes",
                    outcome = "refused",
                    reason = error.kind().reason(),
                    error = token_error,
                    scheme,
                    required = %required,
                    missing,
                    kid,
                    issuer,
                    $message
                )
            };
        }
        if keys_unavailable {
            refused!(
                warn,
                "request refused: the identity provider's keys are unavailable"
            );
        } else {
            refused!(info, "request refused");
        }
    }
}

/// Adds the answers [`Authenticated`] documents in OpenAPI to the `openapi` module's map.
fn document_failures(out: &mut Responses) {
    insert_responses(out, failure_responses());
}

/// The answers [`Authenticated`] documents in OpenAPI.
fn failure_responses() -> BTreeMap<String, RefOr<ApiResponse>> {
    let response = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .header(
                    "WWW-Authenticate",
                    utoipa::openapi::header::Header::new(
                        utoipa::openapi::ObjectBuilder::new()
                            .schema_type(utoipa::openapi::Type::String),
                    ),
                )
                .build(),
        )
    };
    BTreeMap::from([
        (
            "400".to_owned(),
            response("Malformed credentials (`error=\"invalid_request\"`)"),
        ),
        (
            "401".to_owned(),
            response("No credentials, or an invalid token (`error=\"invalid_token\"`)"),
        ),
        (
            "403".to_owned(),
            response("The token lacks a required scope (`error=\"insufficient_scope\"`)"),
        ),
    ])
}
