//! [`AuthConfig`]: how the credential extractors answer and guard cookies.

use std::sync::Arc;

use http::request::Parts;

use super::CsrfPolicy;
use crate::rejection::{AuthError, DpopChallenge, ErrorStyle, Realm, ResourceMetadata};

/// How authentication failures are answered and cookie credentials guarded, for every
/// credential extractor of a router.
///
/// One place for it: install it on the router as a layer, `router.layer(config)`. Then
///
/// - every extractor of the router answers and guards cookies with it (`Authenticated`, API
///   keys, router requirements; the layer's config wins over an authenticator's
///   `AuthenticatorBuilder::auth_config` and a state's);
/// - the answers the app builds itself (FastAPI-style `HttpError`s from `SecurityScopes`,
///   `BearerToken`'s 401) get its `resource_metadata` (RFC 9728) in their `Bearer` and `DPoP`
///   challenges, with no change to the app's code.
///
/// Extractors also read it from the router state through `FromRef<S>` (API keys require it
/// there) or from an authenticator's builder. Cloning is cheap (one reference count).
/// Defaults: no realm, [`ErrorStyle::Detail`] bodies, and [`CsrfPolicy::default()`].
///
/// ```
/// use axum::extract::FromRef;
/// use axum_scopes::AuthConfig;
/// use axum_scopes::credential::ApiKeys;
/// use axum_scopes::rejection::{ErrorStyle, Realm};
///
/// #[derive(Clone)]
/// struct AppState {
///     keys: ApiKeys,
///     auth: AuthConfig,
/// }
///
/// impl FromRef<AppState> for AuthConfig {
///     fn from_ref(state: &AppState) -> Self {
///         state.auth.clone()
///     }
/// }
///
/// let auth = AuthConfig::new()
///     .with_realm(Realm::new("inventory").unwrap())
///     .with_style(ErrorStyle::Problem);
/// # let _ = AppState { keys: ApiKeys::new(), auth };
/// ```
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    inner: Arc<ConfigInner>,
}

#[derive(Debug, Clone, Default)]
struct ConfigInner {
    realm: Option<Realm>,
    resource_metadata: Option<ResourceMetadata>,
    style: ErrorStyle,
    csrf: CsrfPolicy,
    /// Set by an authenticator that accepts DPoP: challenges name `DPoP` too.
    dpop: Option<Arc<DpopChallenge>>,
}

impl AuthConfig {
    /// The default config: no realm, `{"detail": ...}` bodies, the default [`CsrfPolicy`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `realm="..."` to every challenge. Defaults to none.
    #[must_use]
    pub fn with_realm(mut self, realm: Realm) -> Self {
        Arc::make_mut(&mut self.inner).realm = Some(realm);
        self
    }

    /// Adds `resource_metadata="<url>"` (RFC 9728 §5.1) to every bearer challenge, so a client
    /// finds the authorization server from a 401 alone. Defaults to none. The URL of an
    /// `openapi::ProtectedResource` is its `metadata_url()`.
    #[must_use]
    pub fn with_resource_metadata(mut self, url: ResourceMetadata) -> Self {
        Arc::make_mut(&mut self.inner).resource_metadata = Some(url);
        self
    }

    /// The metadata URL bearer challenges name, if configured.
    #[must_use]
    pub fn resource_metadata(&self) -> Option<&ResourceMetadata> {
        self.inner.resource_metadata.as_ref()
    }

    /// Shapes answer bodies with `style`. Defaults to [`ErrorStyle::Detail`].
    #[must_use]
    pub fn with_style(mut self, style: ErrorStyle) -> Self {
        Arc::make_mut(&mut self.inner).style = style;
        self
    }

    /// Guards cookie credentials with `csrf`. Defaults to [`CsrfPolicy::default()`].
    #[must_use]
    pub fn with_csrf(mut self, csrf: CsrfPolicy) -> Self {
        Arc::make_mut(&mut self.inner).csrf = csrf;
        self
    }

    /// The realm, if configured.
    #[must_use]
    pub fn realm(&self) -> Option<&Realm> {
        self.inner.realm.as_ref()
    }

    /// The body style.
    #[must_use]
    pub fn style(&self) -> ErrorStyle {
        self.inner.style
    }

    /// The policy for cookie credentials.
    #[must_use]
    pub fn csrf(&self) -> &CsrfPolicy {
        &self.inner.csrf
    }

    /// The config the answers to `parts` use: the router's, installed as a layer, else
    /// `fallback` (the authenticator's or the state's).
    pub(crate) fn of<'a>(parts: &'a Parts, fallback: &'a Self) -> &'a Self {
        parts.extensions.get::<Self>().unwrap_or(fallback)
    }

    /// The `DPoP` challenge an authenticator that accepts DPoP set.
    pub(crate) fn dpop(&self) -> Option<Arc<DpopChallenge>> {
        self.inner.dpop.clone()
    }

    /// Challenges name `DPoP` with `algs`, and `Bearer` only if `bearer` (see
    /// [`crate::dpop`]).
    pub(crate) fn with_dpop(mut self, algs: &str, bearer: bool) -> Self {
        Arc::make_mut(&mut self.inner).dpop = Some(Arc::new(DpopChallenge {
            algs: algs.into(),
            bearer,
        }));
        self
    }
}

impl AuthError {
    /// Answers with `config`'s realm and body style.
    #[must_use]
    pub fn with_config(self, config: &AuthConfig) -> Self {
        self.with_realm(config.realm().cloned())
            .with_resource_metadata(config.resource_metadata().cloned())
            .with_style(config.style())
            .with_dpop_challenge(config.inner.dpop.clone())
    }
}
