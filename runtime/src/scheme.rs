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

/// A security scheme: where tokens come from and which scopes exist.
///
/// Declare one with `oauth2_password_bearer!`; the declaration
/// is the single source of truth for the scopes the macros accept, the extractors enforce and
/// the OpenAPI document lists.
pub trait Scheme: Send + Sync + 'static {
    /// The scheme's static description.
    const INFO: SchemeInfo;
}

/// The static description of a [`Scheme`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SchemeInfo {
    /// The name the scheme has in an OpenAPI document. Defaults to `OAuth2PasswordBearer`, as in
    /// FastAPI.
    pub name: &'static str,
    /// The URL of the token endpoint, relative to the API, e.g. `token`.
    pub token_url: &'static str,
    /// The scope catalogue: every scope the scheme knows, with its description.
    pub scopes: &'static [ScopeInfo],
    /// What each scope implies, transitively: a token granted `items:write` holds
    /// `items:read` too when the catalogue says `"items:write" => ".." implies ["items:read"]`.
    /// Empty when nothing implies anything.
    pub implications: &'static [Implication],
}

impl SchemeInfo {
    /// A description of an OAuth2 password-flow scheme.
    ///
    /// # Panics
    ///
    /// When `scopes` declares a scope twice. Meant for constants, where the panic is a compile
    /// error.
    #[must_use]
    pub const fn oauth2_password(
        name: &'static str,
        token_url: &'static str,
        scopes: &'static [ScopeInfo],
    ) -> Self {
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
        Self {
            name,
            token_url,
            scopes,
            implications: &[],
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
