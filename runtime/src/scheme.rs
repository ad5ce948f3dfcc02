//! Security schemes and their scope catalogues.

use crate::Scope;

/// A security scheme: where tokens come from and which scopes exist.
///
/// Declare one with [`oauth2_password_bearer!`](crate::oauth2_password_bearer); the declaration
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
        }
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

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Declares an OAuth2 password-flow scheme (FastAPI's `OAuth2PasswordBearer`) and its scope
/// catalogue.
///
/// The declared type is a [`Scheme`]; use it as the type parameter of
/// [`BearerToken`](crate::BearerToken). Scopes must be valid RFC 6749 scope tokens and
/// declared once; both are checked at compile time.
///
/// ```
/// axum_scopes::oauth2_password_bearer! {
///     /// The tutorial's scheme.
///     pub Oauth2 {
///         token_url: "token",
///         scopes: {
///             "me" => "Read information about the current user.",
///             "items" => "Read items.",
///         },
///     }
/// }
///
/// use axum_scopes::Scheme;
/// assert_eq!(Oauth2::INFO.name, "OAuth2PasswordBearer");
/// assert!(Oauth2::INFO.declares("items"));
/// ```
///
/// An optional `name: "..."` before `token_url` sets the name the scheme has in OpenAPI.
///
/// ```compile_fail
/// axum_scopes::oauth2_password_bearer! {
///     Twice { token_url: "token", scopes: { "me" => "Me.", "me" => "Me again." } }
/// }
/// ```
#[macro_export]
macro_rules! oauth2_password_bearer {
    (
        $(#[$attr:meta])*
        $vis:vis $scheme:ident {
            $(name: $name:literal,)?
            token_url: $token_url:literal,
            scopes: { $($scope:literal => $description:literal),* $(,)? } $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $scheme;

        impl $crate::Scheme for $scheme {
            const INFO: $crate::SchemeInfo = $crate::SchemeInfo::oauth2_password(
                [$($name,)? "OAuth2PasswordBearer"][0],
                $token_url,
                &[$($crate::ScopeInfo::new($crate::Scope::new($scope), $description)),*],
            );
        }

        const _: () = {
            // Evaluates the catalogue now, so a bad scope fails the build of the declaration.
            let _ = <$scheme as $crate::Scheme>::INFO;
        };
    };
}
