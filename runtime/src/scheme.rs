//! Security schemes and their scope catalogues.

use crate::scope::{Implication, Scope, str_eq};

/// Whether `scopes` declares `scope`, in a constant.
const fn declares(scopes: &[ScopeInfo], scope: &str) -> bool {
    let mut i = 0;
    while i < scopes.len() {
        if str_eq(scopes[i].scope.as_str(), scope) {
            return true;
        }
        i += 1;
    }
    false
}

/// A security scheme: where credentials come from and which scopes exist.
///
/// Declare one with `security_scheme!` (any kind) or `oauth2_password_bearer!` (the tutorial's
/// password flow); the declaration is the single source of truth for the scopes the macros
/// accept, the extractors enforce and the OpenAPI document lists.
pub trait Scheme: Send + Sync + 'static {
    /// The scheme's static description.
    const INFO: SchemeInfo;
}

/// The static description of a [`Scheme`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SchemeInfo {
    /// The name the scheme has in an OpenAPI document. Defaults to FastAPI's class name for the
    /// kind: `OAuth2PasswordBearer`, `OAuth2AuthorizationCodeBearer`, `OAuth2` (other or several
    /// flows), `OpenIdConnect`, `HTTPBearer`, `APIKeyHeader`, `APIKeyQuery`, `APIKeyCookie`.
    pub name: &'static str,
    /// What kind of scheme it is, with its URLs or the place its credential travels.
    pub kind: SchemeKind,
    /// The scope catalogue: every scope the scheme knows, with its description.
    pub scopes: &'static [ScopeInfo],
    /// What each scope implies, transitively: a token granted `items:write` holds
    /// `items:read` too when the catalogue says `"items:write" => ".." implies ["items:read"]`.
    /// Empty when nothing implies anything.
    pub implications: &'static [Implication],
    /// A description for the OpenAPI security scheme, if any.
    pub description: Option<&'static str>,
}

/// The kinds of [`Scheme`], as OpenAPI's security schemes name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemeKind {
    /// OAuth2 (`type: oauth2`) with one or more flows sharing the catalogue.
    OAuth2(&'static [Flow]),
    /// OpenID Connect discovery (`type: openIdConnect`): the provider's
    /// `/.well-known/openid-configuration` URL.
    OpenIdConnect {
        /// `openIdConnectUrl`.
        url: &'static str,
    },
    /// An `Authorization: Bearer` token (`type: http`, `scheme: bearer`), FastAPI's `HTTPBearer`.
    HttpBearer {
        /// `bearerFormat`, such as `JWT`.
        bearer_format: Option<&'static str>,
    },
    /// An API key in a header, query parameter or cookie (`type: apiKey`), FastAPI's `APIKey*`.
    ApiKey {
        /// Where the key travels.
        place: KeyPlace,
        /// The header, parameter or cookie name.
        name: &'static str,
    },
    /// A bearer token in a cookie, documented as what it is on the wire: `type: apiKey`,
    /// `in: cookie`. The CSRF policy of the credential module applies to it.
    TokenCookie {
        /// The cookie name.
        name: &'static str,
    },
}

/// Where an API key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyPlace {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// One OAuth2 flow of a [`SchemeKind::OAuth2`] scheme, with its URLs (relative URLs resolve
/// against the API, as `token` does in the tutorial).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flow {
    /// The resource-owner password flow (`password`), the tutorial's.
    Password {
        /// `tokenUrl`.
        token_url: &'static str,
        /// `refreshUrl`.
        refresh_url: Option<&'static str>,
    },
    /// The authorization-code flow (`authorizationCode`), with PKCE in the client.
    AuthorizationCode {
        /// `authorizationUrl`.
        authorization_url: &'static str,
        /// `tokenUrl`.
        token_url: &'static str,
        /// `refreshUrl`.
        refresh_url: Option<&'static str>,
    },
    /// The client-credentials flow (`clientCredentials`), for services.
    ClientCredentials {
        /// `tokenUrl`.
        token_url: &'static str,
        /// `refreshUrl`.
        refresh_url: Option<&'static str>,
    },
    /// The implicit flow (`implicit`); deprecated by OAuth 2.0 Security BCP, documented for
    /// providers that still offer it.
    Implicit {
        /// `authorizationUrl`.
        authorization_url: &'static str,
        /// `refreshUrl`.
        refresh_url: Option<&'static str>,
    },
}

impl Flow {
    /// The flow's `tokenUrl`, if it has one.
    #[must_use]
    pub const fn token_url(&self) -> Option<&'static str> {
        match self {
            Self::Password { token_url, .. }
            | Self::AuthorizationCode { token_url, .. }
            | Self::ClientCredentials { token_url, .. } => Some(token_url),
            Self::Implicit { .. } => None,
        }
    }
}

/// Panics when `scopes` declares a scope twice.
const fn assert_distinct(scopes: &[ScopeInfo]) {
    let mut i = 0;
    while i < scopes.len() {
        let mut j = i + 1;
        while j < scopes.len() {
            assert!(
                !str_eq(scopes[i].scope.as_str(), scopes[j].scope.as_str()),
                "a scope is declared twice in the scheme's catalogue"
            );
            j += 1;
        }
        i += 1;
    }
}

impl SchemeInfo {
    /// A description of a scheme of `kind`.
    ///
    /// # Panics
    ///
    /// When `scopes` declares a scope twice, or `kind` is OAuth2 without a flow. Meant for
    /// constants, where the panic is a compile error.
    #[must_use]
    pub const fn new(name: &'static str, kind: SchemeKind, scopes: &'static [ScopeInfo]) -> Self {
        assert_distinct(scopes);
        if let SchemeKind::OAuth2(flows) = kind {
            assert!(
                !flows.is_empty(),
                "an OAuth2 scheme needs at least one flow"
            );
        }
        Self {
            name,
            kind,
            scopes,
            implications: &[],
            description: None,
        }
    }

    /// The same scheme with the OpenAPI `description`.
    #[must_use]
    pub const fn with_description(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }

    /// The token URL of the scheme's first flow that has one: the password flow's `token` in
    /// the tutorial. `None` for schemes that are not OAuth2.
    #[must_use]
    pub fn token_url(&self) -> Option<&'static str> {
        match self.kind {
            SchemeKind::OAuth2(flows) => flows.iter().find_map(Flow::token_url),
            _ => None,
        }
    }

    /// The same scheme with `implications` (computed by `oauth2_password_bearer!` from the
    /// catalogue's `implies [..]`, closed transitively).
    ///
    /// # Panics
    ///
    /// When an implication names a scope the catalogue does not declare. Meant for constants,
    /// where the panic is a compile error.
    #[must_use]
    pub const fn with_implications(mut self, implications: &'static [Implication]) -> Self {
        let mut i = 0;
        while i < implications.len() {
            assert!(
                declares(self.scopes, implications[i].scope.as_str()),
                "an implication names a scope the catalogue does not declare"
            );
            let mut j = 0;
            while j < implications[i].implies.len() {
                assert!(
                    declares(self.scopes, implications[i].implies[j].as_str()),
                    "an implication names a scope the catalogue does not declare"
                );
                j += 1;
            }
            i += 1;
        }
        self.implications = implications;
        self
    }

    /// The scopes a token granted `scope` holds besides it, per the catalogue's implications.
    #[must_use]
    pub fn implied_by(&self, scope: &str) -> &'static [Scope] {
        self.implications
            .iter()
            .find(|implication| implication.scope == scope)
            .map_or(&[], |implication| implication.implies)
    }

    /// The scopes of `requested` that the catalogue declares, each once, in the order first
    /// requested: what a token endpoint may grant (the tutorial's "Danger" note: never grant a
    /// scope the application does not know).
    ///
    /// ```
    /// axum_scopes::oauth2_password_bearer! {
    ///     Api { token_url: "token", scopes: { "me" => "Me.", "items" => "Items." } }
    /// }
    /// use axum_scopes::Scheme;
    ///
    /// assert_eq!(Api::INFO.grantable(["items", "admin", "items", "me"]), ["items", "me"]);
    /// ```
    #[must_use]
    pub fn grantable<'a>(&self, requested: impl IntoIterator<Item = &'a str>) -> Vec<Scope> {
        let mut granted: Vec<Scope> = Vec::new();
        for scope in requested {
            if let Some(info) = self.scopes.iter().find(|info| info.scope == scope)
                && !granted.contains(&info.scope)
            {
                granted.push(info.scope);
            }
        }
        granted
    }

    /// Whether the catalogue declares `scope`.
    #[must_use]
    pub fn declares(&self, scope: &str) -> bool {
        self.scopes.iter().any(|info| info.scope == scope)
    }
}

/// One entry of a scope catalogue.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ScopeInfo {
    /// The scope.
    pub scope: Scope,
    /// What the scope grants, shown in OpenAPI documents and consent screens.
    pub description: &'static str,
}

impl ScopeInfo {
    /// A catalogue entry.
    #[must_use]
    pub const fn new(scope: Scope, description: &'static str) -> Self {
        Self { scope, description }
    }
}
