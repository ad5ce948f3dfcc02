//! RFC 6750 answers: what went wrong with a request's credentials, and how to say it over
//! HTTP (status, body, challenge).

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};

use super::challenge::{DpopChallenge, Realm, ResourceMetadata, challenge};
use super::render;
use crate::scope::SecurityScopes;

/// The kind of credential a source carries, which decides the challenge scheme of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// An OAuth2 bearer token (RFC 6750), wherever it travels: challenged with `Bearer`.
    BearerToken,
    /// An API key: challenged with `APIKey`, as FastAPI's `APIKeyHeader` family does. No
    /// standard names this scheme; RFC 9110 only requires a 401 to carry some challenge.
    ApiKey,
}

impl CredentialKind {
    /// The challenge scheme: `Bearer` or `APIKey`.
    #[must_use]
    pub const fn scheme(self) -> &'static str {
        match self {
            Self::BearerToken => "Bearer",
            Self::ApiKey => "APIKey",
        }
    }
}

/// Why a request's credentials could not even be read: RFC 6750's `invalid_request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// Credentials came in more than one place at once (RFC 6750 §2: "clients MUST NOT use more
    /// than one method"), e.g. an `Authorization` header and a token cookie.
    SeveralCredentials,
    /// The header, query parameter or cookie that carries the credential appears more than once.
    RepeatedCredential,
    /// The `Authorization` header names the `Bearer` scheme but what follows is not one
    /// RFC 6750 `b64token`: it is empty, or holds spaces or other characters.
    MalformedAuthorization,
    /// The WebSocket subprotocol that carries the token is not base64url.
    MalformedProtocol,
}

impl InvalidRequest {
    /// The fixed text of the answer's `error_description` and `detail`.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Self::SeveralCredentials => "Credentials were sent in more than one place",
            Self::RepeatedCredential => "A credential was sent more than once",
            Self::MalformedAuthorization => "The Authorization header is malformed",
            Self::MalformedProtocol => "The token protocol is malformed",
        }
    }
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SeveralCredentials => f.write_str("credentials were sent in more than one place"),
            Self::RepeatedCredential => f.write_str("a credential was sent more than once"),
            Self::MalformedAuthorization => f.write_str("the Authorization header is malformed"),
            Self::MalformedProtocol => f.write_str("the token protocol is malformed"),
        }
    }
}

/// What went wrong with a request's credentials: one variant per answer.
///
/// Read it through [`AuthError::kind`]. Each variant documents the answer it renders as.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// When the request carries no credential where the source looks, or an empty one.
    ///
    /// 401 `Not authenticated`, challenged with the bare scheme (`Bearer`, RFC 6750 §3.1, or
    /// `APIKey`, as FastAPI answers).
    #[error("the request carries no credentials")]
    MissingCredentials {
        /// The kind of credential that was expected.
        kind: CredentialKind,
    },
    /// When the credentials cannot be read unambiguously.
    ///
    /// 400 with the reason's description. For bearer tokens challenged with
    /// `Bearer error="invalid_request", error_description="..."`; for API keys without a
    /// challenge, as a 400 needs none and no standard defines one.
    #[error("the request is malformed: {reason}")]
    InvalidRequest {
        /// The kind of credential that was expected.
        kind: CredentialKind,
        /// What is wrong.
        reason: InvalidRequest,
    },
    /// When the bearer token is expired, revoked, malformed or fails verification.
    ///
    /// 401 `Could not validate credentials` with `Bearer error="invalid_token"`. The source
    /// (e.g. a `TokenError`) is kept for logs and never rendered.
    #[error("the access token is invalid")]
    InvalidToken {
        /// Why verification failed, when known.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    },
    /// When the API key is none of the configured keys.
    ///
    /// 401 `Could not validate credentials` with `APIKey`.
    #[error("the API key is not one of the configured keys")]
    InvalidApiKey,
    /// When the token is valid but lacks a scope the handler requires.
    ///
    /// 403 `Not enough permissions` with
    /// `Bearer error="insufficient_scope", scope="<required, space separated>"`.
    #[error("the token lacks a required scope; required: {}", required.scope_str())]
    InsufficientScope {
        /// Every scope the handler requires, outermost first.
        required: SecurityScopes,
    },
    /// When a state-changing request authenticates with a cookie but fails the
    /// CSRF policy (no allowed `Origin`, no custom header).
    ///
    /// 403 `Cross-site request rejected`, without a challenge: other credentials would not help.
    #[error("a cross-site request authenticated by cookie was rejected")]
    CrossSiteRequest,
    /// When the token names a key that is not known and the identity provider could not be
    /// reached to fetch it (`TokenError::KeysUnavailable`):
    /// the token may be valid.
    ///
    /// 503 `Service Unavailable` with `Retry-After: 10`, without a challenge: the client did
    /// nothing wrong.
    #[error("the keys to verify the token are unavailable")]
    KeysUnavailable {
        /// Why the keys could not be fetched, for logs.
        #[source]
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    },
    /// When revocation is configured and this replica cannot vouch that its copy of the
    /// revocations is current (`TokenError::RevocationsUnavailable`): the token may have been
    /// revoked elsewhere.
    ///
    /// 503 `Service Unavailable` with `Retry-After: 5`, without a challenge: the client did
    /// nothing wrong.
    #[error("the revocations cannot be vouched for")]
    RevocationsUnavailable,
    /// When the request's DPoP proof is refused (RFC 9449 §7.1), or does not fit its token.
    ///
    /// 401 `Could not validate credentials` with
    /// `DPoP error="invalid_dpop_proof", error_description="<the reason's fixed text>"`.
    #[error("the DPoP proof is invalid")]
    InvalidDpopProof {
        /// What was wrong with it.
        #[source]
        source: crate::dpop::ProofError,
    },
    /// When the server requires a DPoP nonce and the proof lacks a current one (RFC 9449 §8).
    ///
    /// 401 with `DPoP error="use_dpop_nonce"` and the fresh nonce in `DPoP-Nonce`.
    #[error("the DPoP proof lacks a current server nonce")]
    UseDpopNonce {
        /// The nonce to use.
        nonce: HeaderValue,
    },
    /// When the shared replay cache of DPoP proofs cannot answer: the proof may be a replay.
    ///
    /// 503 `Service Unavailable` with `Retry-After: 5`, without a challenge.
    #[error("the DPoP replay cache is unavailable")]
    DpopReplayUnavailable,
}

impl AuthErrorKind {
    /// A stable `snake_case` name of the kind, for logs and metrics: `missing_credentials`,
    /// `invalid_request`, `invalid_token`, `invalid_api_key`, `insufficient_scope`,
    /// `cross_site_request`, `keys_unavailable`, `revocations_unavailable`,
    /// `invalid_dpop_proof`, `use_dpop_nonce` or `dpop_replay_unavailable`.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingCredentials { .. } => "missing_credentials",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::InvalidToken { .. } => "invalid_token",
            Self::InvalidApiKey => "invalid_api_key",
            Self::InsufficientScope { .. } => "insufficient_scope",
            Self::CrossSiteRequest => "cross_site_request",
            Self::KeysUnavailable { .. } => "keys_unavailable",
            Self::RevocationsUnavailable => "revocations_unavailable",
            Self::InvalidDpopProof { .. } => "invalid_dpop_proof",
            Self::UseDpopNonce { .. } => "use_dpop_nonce",
            Self::DpopReplayUnavailable => "dpop_replay_unavailable",
        }
    }

    /// The status code of the answer.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingCredentials { .. }
            | Self::InvalidToken { .. }
            | Self::InvalidApiKey
            | Self::InvalidDpopProof { .. }
            | Self::UseDpopNonce { .. } => StatusCode::UNAUTHORIZED,
            Self::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            Self::InsufficientScope { .. } | Self::CrossSiteRequest => StatusCode::FORBIDDEN,
            Self::KeysUnavailable { .. }
            | Self::RevocationsUnavailable
            | Self::DpopReplayUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The fixed, human-readable text of the body's `detail`.
    ///
    /// The texts of FastAPI's security classes and tutorial where there is one: `Not
    /// authenticated`, `Could not validate credentials`, `Not enough permissions`.
    #[must_use]
    pub fn detail(&self) -> &'static str {
        match self {
            Self::MissingCredentials { .. } => "Not authenticated",
            Self::InvalidRequest { reason, .. } => reason.description(),
            Self::InvalidToken { .. }
            | Self::InvalidApiKey
            | Self::InvalidDpopProof { .. }
            | Self::UseDpopNonce { .. } => "Could not validate credentials",
            Self::InsufficientScope { .. } => "Not enough permissions",
            Self::CrossSiteRequest => "Cross-site request rejected",
            Self::KeysUnavailable { .. }
            | Self::RevocationsUnavailable
            | Self::DpopReplayUnavailable => "Service Unavailable",
        }
    }
}

/// A rejected request's credentials, ready to be answered: the rejection of the credential
/// extractors and what a guard returns.
///
/// What happened is its [`kind`](Self::kind); how it is answered (realm, body style) comes from
/// the `AuthConfig` attached with `with_config`, which the extractors of this crate do with the
/// config of the router state. Without one, it answers with no realm and the `{"detail": ...}`
/// body.
///
/// ```
/// use axum::response::IntoResponse;
/// use axum_scopes::rejection::Realm;
/// use axum_scopes::{AuthConfig, AuthError, Scope, SecurityScopes};
///
/// let required = SecurityScopes::new([Scope::new("items")]);
/// let config = AuthConfig::new().with_realm(Realm::new("api").unwrap());
/// let response = AuthError::insufficient_scope(&required).with_config(&config).into_response();
/// assert_eq!(response.status(), 403);
/// assert_eq!(
///     response.headers()["www-authenticate"],
///     r#"Bearer realm="api", error="insufficient_scope", scope="items""#,
/// );
/// ```
#[derive(Debug)]
pub struct AuthError {
    kind: AuthErrorKind,
    realm: Option<Realm>,
    /// Boxed: rare, and it keeps `AuthError` small on the `Result`s that carry it.
    extras: Option<Box<Extras>>,
    style: ErrorStyle,
    /// Whether the request presented a `DPoP` token: its challenge then carries the error.
    used_dpop: bool,
}

/// The rarer parameters of the challenges.
#[derive(Debug, Default)]
struct Extras {
    resource_metadata: Option<ResourceMetadata>,
    /// What challenges say of `DPoP`, when the authenticator accepts it.
    dpop: Option<Arc<DpopChallenge>>,
}

impl AuthError {
    /// No credential where the source looks: 401 with the bare challenge of `kind`.
    #[must_use]
    pub fn missing_credentials(kind: CredentialKind) -> Self {
        AuthErrorKind::MissingCredentials { kind }.into()
    }

    /// Credentials that cannot be read unambiguously: 400 `invalid_request`.
    #[must_use]
    pub fn invalid_request(kind: CredentialKind, reason: InvalidRequest) -> Self {
        AuthErrorKind::InvalidRequest { kind, reason }.into()
    }

    /// A bearer token that failed verification: 401 `invalid_token`, keeping `source` for logs.
    #[must_use]
    pub fn invalid_token(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        AuthErrorKind::InvalidToken {
            source: Some(source.into()),
        }
        .into()
    }

    /// An API key that is none of the configured keys: 401 with the `APIKey` challenge.
    #[must_use]
    pub fn invalid_api_key() -> Self {
        AuthErrorKind::InvalidApiKey.into()
    }

    /// A valid token that lacks some of the `required` scopes: 403 `insufficient_scope`.
    #[must_use]
    pub fn insufficient_scope(required: &SecurityScopes) -> Self {
        AuthErrorKind::InsufficientScope {
            required: required.clone(),
        }
        .into()
    }

    /// A cookie-authenticated, state-changing request that fails the CSRF policy: 403.
    #[must_use]
    pub fn cross_site_request() -> Self {
        AuthErrorKind::CrossSiteRequest.into()
    }

    /// Adds `realm="..."` to the challenge. Defaults to none.
    #[must_use]
    pub fn with_realm(mut self, realm: Option<Realm>) -> Self {
        self.realm = realm;
        self
    }

    /// Adds `resource_metadata="<url>"` (RFC 9728 §5.1) to the bearer challenges. Defaults to
    /// none.
    #[must_use]
    pub fn with_resource_metadata(mut self, url: Option<ResourceMetadata>) -> Self {
        if url.is_some() || self.extras.is_some() {
            self.extras.get_or_insert_default().resource_metadata = url;
        }
        self
    }

    /// Shapes the body with `style`. Defaults to [`ErrorStyle::Detail`].
    #[must_use]
    pub fn with_style(mut self, style: ErrorStyle) -> Self {
        self.style = style;
        self
    }

    /// Challenges name `DPoP` as `dpop` says; see [`crate::dpop`].
    pub(crate) fn with_dpop_challenge(mut self, dpop: Option<Arc<DpopChallenge>>) -> Self {
        if dpop.is_some() || self.extras.is_some() {
            self.extras.get_or_insert_default().dpop = dpop;
        }
        self
    }

    /// The request presented a DPoP token: the `DPoP` challenge carries the error.
    pub(crate) fn presented_dpop(mut self, used: bool) -> Self {
        self.used_dpop = used;
        self
    }

    /// What happened.
    #[must_use]
    pub fn kind(&self) -> &AuthErrorKind {
        &self.kind
    }

    /// The status code of the answer.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The `WWW-Authenticate` value of the answer, if it has one: one challenge, or when the
    /// authenticator accepts DPoP, the `DPoP` challenge (with `algs`) and the `Bearer` one
    /// (when Bearer is accepted), the error on the scheme the request used.
    #[must_use]
    pub fn challenge(&self) -> Option<HeaderValue> {
        let realm = self.realm.as_ref();
        let scope;
        let mut dpop_error = false;
        let (kind, error, description, scope) = match &self.kind {
            AuthErrorKind::MissingCredentials { kind } => (*kind, None, None, None),
            AuthErrorKind::InvalidRequest {
                kind: CredentialKind::BearerToken,
                reason,
            } => (
                CredentialKind::BearerToken,
                Some("invalid_request"),
                Some(reason.description()),
                None,
            ),
            AuthErrorKind::InvalidToken { .. } => (
                CredentialKind::BearerToken,
                Some("invalid_token"),
                None,
                None,
            ),
            AuthErrorKind::InvalidApiKey => (CredentialKind::ApiKey, None, None, None),
            AuthErrorKind::InsufficientScope { required } => {
                scope = required.scope_str();
                (
                    CredentialKind::BearerToken,
                    Some("insufficient_scope"),
                    None,
                    Some(scope.as_str()).filter(|scope| !scope.is_empty()),
                )
            }
            AuthErrorKind::InvalidDpopProof { source } => {
                dpop_error = true;
                (
                    CredentialKind::BearerToken,
                    Some("invalid_dpop_proof"),
                    Some(source.error_description()),
                    None,
                )
            }
            AuthErrorKind::UseDpopNonce { .. } => {
                dpop_error = true;
                (
                    CredentialKind::BearerToken,
                    Some("use_dpop_nonce"),
                    Some(crate::dpop::ProofError::UseNonce.error_description()),
                    None,
                )
            }
            // A 400 needs no challenge and none is standard for API keys; other credentials
            // would not help a cross-site request.
            AuthErrorKind::InvalidRequest {
                kind: CredentialKind::ApiKey,
                ..
            }
            | AuthErrorKind::CrossSiteRequest
            | AuthErrorKind::KeysUnavailable { .. }
            | AuthErrorKind::RevocationsUnavailable
            | AuthErrorKind::DpopReplayUnavailable => return None,
        };
        let extras = self.extras.as_deref();
        let metadata = extras
            .and_then(|extras| extras.resource_metadata.as_ref())
            .filter(|_| kind == CredentialKind::BearerToken)
            .map(|url| ("resource_metadata", url.as_str()));
        let with_error = |error_here: bool| {
            [
                realm.map(|realm| ("realm", realm.as_str())),
                error.filter(|_| error_here).map(|error| ("error", error)),
                description
                    .filter(|_| error_here)
                    .map(|description| ("error_description", description)),
                scope.filter(|_| error_here).map(|scope| ("scope", scope)),
            ]
        };
        let dpop = extras.and_then(|extras| extras.dpop.as_ref());
        let Some(dpop) = dpop.filter(|_| kind == CredentialKind::BearerToken) else {
            let params = with_error(true).into_iter().chain([metadata]);
            return challenge(kind.scheme(), params.collect::<Vec<_>>().iter().flatten());
        };
        // The error goes on the scheme the request used; a Bearer request's errors stay on
        // the Bearer challenge, unless Bearer is not accepted at all.
        let on_dpop = self.used_dpop || dpop_error || !dpop.bearer;
        let dpop_params = with_error(on_dpop)
            .into_iter()
            .chain([Some(("algs", &*dpop.algs))]);
        let dpop_challenge = challenge("DPoP", dpop_params.collect::<Vec<_>>().iter().flatten())?;
        if !dpop.bearer {
            return Some(dpop_challenge);
        }
        let bearer_params = with_error(!on_dpop).into_iter().chain([metadata]);
        let bearer_challenge =
            challenge("Bearer", bearer_params.collect::<Vec<_>>().iter().flatten())?;
        let (first, second) = if on_dpop {
            (dpop_challenge, bearer_challenge)
        } else {
            (bearer_challenge, dpop_challenge)
        };
        let mut both = Vec::with_capacity(first.len() + 2 + second.len());
        both.extend_from_slice(first.as_bytes());
        both.extend_from_slice(b", ");
        both.extend_from_slice(second.as_bytes());
        HeaderValue::from_bytes(&both).ok()
    }
}

impl From<AuthErrorKind> for AuthError {
    fn from(kind: AuthErrorKind) -> Self {
        Self {
            kind,
            realm: None,
            extras: None,
            style: ErrorStyle::default(),
            used_dpop: false,
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl StdError for AuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.kind.source()
    }
}

impl IntoResponse for AuthError {
    /// Renders the answer; logs nothing (the code that refused logged the outcome, with the
    /// cause, which never reaches the client).
    fn into_response(self) -> Response {
        let mut response = self.style.render(self.status(), self.kind.detail());
        if let Some(challenge) = self.challenge() {
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        let retry_after = match &self.kind {
            AuthErrorKind::KeysUnavailable { .. } => Some("10"),
            AuthErrorKind::RevocationsUnavailable | AuthErrorKind::DpopReplayUnavailable => {
                Some("5")
            }
            AuthErrorKind::UseDpopNonce { nonce } => {
                response.headers_mut().insert("dpop-nonce", nonce.clone());
                None
            }
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        response
    }
}

/// How the body of an [`AuthError`] answer is shaped. Defaults to [`ErrorStyle::Detail`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorStyle {
    /// FastAPI's `{"detail": "..."}` as `application/json`, as in the tutorial.
    #[default]
    Detail,
    /// RFC 9457 problem details as `application/problem+json`:
    /// `{"type":"about:blank","title":"<reason phrase>","status":<code>,"detail":"..."}`.
    Problem,
}

impl ErrorStyle {
    /// An answer with `status` and a body of this style around the fixed text `detail`.
    ///
    /// ```
    /// use axum_scopes::rejection::ErrorStyle;
    /// use http::StatusCode;
    ///
    /// let response = ErrorStyle::Problem.render(StatusCode::FORBIDDEN, "Not enough permissions");
    /// assert_eq!(response.headers()["content-type"], "application/problem+json");
    /// ```
    #[must_use]
    pub fn render(self, status: StatusCode, detail: &str) -> Response {
        match self {
            Self::Detail => render(
                status,
                "application/json",
                &serde_json::json!({ "detail": detail }),
                HeaderMap::new(),
            ),
            Self::Problem => render(
                status,
                "application/problem+json",
                &serde_json::json!({
                    "type": "about:blank",
                    "title": status.canonical_reason().unwrap_or_default(),
                    "status": status.as_u16(),
                    "detail": detail,
                }),
                HeaderMap::new(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;
    use http::header::CONTENT_TYPE;

    fn header(error: &AuthError) -> Option<String> {
        error
            .challenge()
            .map(|value| value.to_str().unwrap().to_owned())
    }

    #[test]
    fn rfc_6750_challenges() {
        const ITEMS: &[Scope] = &[Scope::new("items"), Scope::new("me")];
        let realm = Realm::new("a \"b\"").unwrap();
        let items = SecurityScopes::new(ITEMS.iter().copied());
        let cases = [
            (
                AuthError::missing_credentials(CredentialKind::BearerToken),
                Some("Bearer"),
            ),
            (
                AuthError::missing_credentials(CredentialKind::ApiKey),
                Some("APIKey"),
            ),
            (
                AuthError::invalid_request(
                    CredentialKind::BearerToken,
                    InvalidRequest::SeveralCredentials,
                ),
                Some(
                    r#"Bearer error="invalid_request", error_description="Credentials were sent in more than one place""#,
                ),
            ),
            (
                AuthError::invalid_request(
                    CredentialKind::ApiKey,
                    InvalidRequest::RepeatedCredential,
                ),
                None,
            ),
            (
                AuthError::invalid_token(crate::jwt::TokenError::TooLarge),
                Some(r#"Bearer error="invalid_token""#),
            ),
            (AuthError::invalid_api_key(), Some("APIKey")),
            (
                AuthError::insufficient_scope(&items),
                Some(r#"Bearer error="insufficient_scope", scope="items me""#),
            ),
            (AuthError::cross_site_request(), None),
        ];
        for (error, expected) in cases {
            assert_eq!(header(&error).as_deref(), expected, "{error}");
            let with_realm = header(&error.with_realm(Some(realm.clone())));
            let expected = expected.map(|expected| match expected.split_once(' ') {
                Some((scheme, rest)) => format!(r#"{scheme} realm="a \"b\"", {rest}"#),
                None => format!(r#"{expected} realm="a \"b\"""#),
            });
            assert_eq!(with_realm, expected);
        }
    }

    #[test]
    fn source_is_kept_but_not_shown() {
        let error = AuthError::invalid_token(crate::jwt::TokenError::TooLarge);
        assert_eq!(error.to_string(), "the access token is invalid");
        assert_eq!(
            error.source().unwrap().to_string(),
            "token exceeds the maximum accepted length"
        );
    }

    #[tokio::test]
    async fn body_styles() {
        let body = |response: Response| async {
            let content_type = response.headers()[CONTENT_TYPE].clone();
            let bytes = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap();
            (content_type, String::from_utf8(bytes.to_vec()).unwrap())
        };
        let (content_type, text) =
            body(ErrorStyle::Detail.render(StatusCode::UNAUTHORIZED, "No")).await;
        assert_eq!(content_type, "application/json");
        assert_eq!(text, r#"{"detail":"No"}"#);
        let (content_type, text) =
            body(ErrorStyle::Problem.render(StatusCode::FORBIDDEN, "No")).await;
        assert_eq!(content_type, "application/problem+json");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "No"})
        );
    }
}
