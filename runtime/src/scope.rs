//! Scopes and the scopes a dependency chain requires.

use std::fmt;

use http::HeaderValue;

/// One OAuth2 scope, checked against RFC 6749 §3.3.
///
/// A scope is one or more characters from `%x21 / %x23-5B / %x5D-7E`: printable ASCII except the
/// space, `"` and `\`. The macros check scope literals with the same rule at compile time, so every
/// `Scope` a requirement holds is well formed.
///
/// ```
/// use axum_scopes::Scope;
///
/// const ITEMS: Scope = Scope::new("items");
/// assert_eq!(ITEMS.as_str(), "items");
/// assert!(Scope::parse("two words").is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(&'static str);

impl Scope {
    /// Creates a scope, panicking when `scope` is not a valid RFC 6749 scope token.
    ///
    /// Meant for constants, where the panic is a compile error.
    ///
    /// # Panics
    ///
    /// When `scope` is empty or holds a character outside `%x21 / %x23-5B / %x5D-7E`.
    #[must_use]
    pub const fn new(scope: &'static str) -> Self {
        assert!(
            is_valid(scope),
            "invalid scope: a scope is one or more printable ASCII characters other than space, `\"` and `\\`"
        );
        Self(scope)
    }

    /// Creates a scope, or says why `scope` is not a valid RFC 6749 scope token.
    ///
    /// # Errors
    ///
    /// [`InvalidScope`] when `scope` is empty or holds a character outside
    /// `%x21 / %x23-5B / %x5D-7E`.
    pub fn parse(scope: &'static str) -> Result<Self, InvalidScope> {
        if is_valid(scope) {
            Ok(Self(scope))
        } else {
            Err(InvalidScope(()))
        }
    }

    /// The scope as written.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// Whether `scope` is a valid RFC 6749 §3.3 scope token.
#[must_use]
pub const fn is_valid(scope: &str) -> bool {
    let bytes = scope.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if !matches!(bytes[i], 0x21 | 0x23..=0x5B | 0x5D..=0x7E) {
            return false;
        }
        i += 1;
    }
    true
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl PartialEq<str> for Scope {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Scope {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The error of [`Scope::parse`]: the text is not an RFC 6749 scope token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid scope: a scope is one or more printable ASCII characters other than space, `\"` and `\\`"
)]
pub struct InvalidScope(());

/// The scopes required along one dependency path, parent first, kept on the stack.
///
/// Each dependency adds its own link on top of its parent's while it resolves its parameters, so
/// passing the requirement down allocates nothing. [`SecurityScopes`] flattens it when a
/// dependency asks for it.
#[derive(Debug, Clone, Copy)]
pub struct ScopeChain<'a> {
    scopes: &'static [Scope],
    parent: Option<&'a ScopeChain<'a>>,
}

impl<'a> ScopeChain<'a> {
    /// A chain holding only `scopes`.
    #[must_use]
    pub const fn root(scopes: &'static [Scope]) -> Self {
        Self {
            scopes,
            parent: None,
        }
    }

    /// This chain followed by `scopes`.
    #[must_use]
    pub const fn push(&'a self, scopes: &'static [Scope]) -> Self {
        Self {
            scopes,
            parent: Some(self),
        }
    }

    /// Visits every scope, outermost first, duplicates included.
    fn for_each(&self, f: &mut impl FnMut(Scope)) {
        if let Some(parent) = self.parent {
            parent.for_each(f);
        }
        self.scopes.iter().copied().for_each(f);
    }

    /// Whether the chain requires no scope at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty() && self.parent.is_none_or(ScopeChain::is_empty)
    }

    /// The distinct scopes, outermost first, first occurrence kept.
    #[must_use]
    pub fn to_vec(&self) -> Vec<Scope> {
        let mut scopes = Vec::new();
        self.for_each(&mut |scope| {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        });
        scopes
    }
}

/// Every scope the dependency chain above a dependency requires: FastAPI's `SecurityScopes`.
///
/// Take it as a parameter of a [`#[dependency]`](crate::dependency) to learn what to enforce. The
/// scopes come outermost first (the handler's, then each dependency's on the way down, then the
/// dependency's own), duplicates dropped with the first occurrence kept. Under the tutorial's
/// `read_own_items`, `get_current_user` sees `["items", "me"]`.
///
/// Outside a dependency it is not an extractor: a handler requires scopes with
/// `#[requires_scopes]` instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityScopes {
    scopes: Vec<Scope>,
}

impl SecurityScopes {
    /// The required scopes of `chain`.
    #[must_use]
    pub fn from_chain(chain: &ScopeChain<'_>) -> Self {
        if chain.is_empty() {
            return Self::default();
        }
        Self {
            scopes: chain.to_vec(),
        }
    }

    /// The required scopes, outermost first.
    #[must_use]
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// Whether no scope is required.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// The scopes joined with single spaces, as in an OAuth2 `scope` parameter.
    #[must_use]
    pub fn scope_str(&self) -> String {
        let mut joined = String::new();
        for scope in &self.scopes {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(scope.as_str());
        }
        joined
    }

    /// The first required scope that `granted` lacks, if any.
    pub fn first_missing<'g, I>(&self, granted: I) -> Option<Scope>
    where
        I: IntoIterator<Item = &'g str>,
        I::IntoIter: Clone,
    {
        let granted = granted.into_iter();
        self.scopes
            .iter()
            .copied()
            .find(|required| !granted.clone().any(|g| g == required.as_str()))
    }

    /// Whether `granted` holds every required scope.
    pub fn is_satisfied_by<'g, I>(&self, granted: I) -> bool
    where
        I: IntoIterator<Item = &'g str>,
        I::IntoIter: Clone,
    {
        self.first_missing(granted).is_none()
    }

    /// The `WWW-Authenticate` challenge FastAPI's tutorial answers with: `Bearer` when no scope is
    /// required, else `Bearer scope="<scope_str>"`.
    #[must_use]
    pub fn bearer_challenge(&self) -> HeaderValue {
        if self.scopes.is_empty() {
            return HeaderValue::from_static("Bearer");
        }
        // Scopes are printable ASCII without `"`, so the challenge is always a valid value.
        HeaderValue::try_from(format!("Bearer scope=\"{}\"", self.scope_str()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEMS: Scope = Scope::new("items");
    const ME: Scope = Scope::new("me");

    #[test]
    fn rfc_6749_characters() {
        assert!(is_valid("items:read"));
        assert!(is_valid("!#[]~"));
        for bad in ["", "a b", "a\"b", "a\\b", "é", "a\tb", "a\u{7f}"] {
            assert!(!is_valid(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn chain_is_outer_first_and_deduplicated() {
        const HANDLER: &[Scope] = &[ITEMS];
        const DEPENDENCY: &[Scope] = &[ME, ITEMS];
        let root = ScopeChain::root(HANDLER);
        let below = root.push(DEPENDENCY);
        assert_eq!(below.to_vec(), [ITEMS, ME]);
        let scopes = SecurityScopes::from_chain(&below);
        assert_eq!(scopes.scope_str(), "items me");
        assert_eq!(scopes.bearer_challenge(), "Bearer scope=\"items me\"");
    }

    #[test]
    fn empty_chain() {
        let root = ScopeChain::root(&[]);
        let below = root.push(&[]);
        assert!(below.is_empty());
        let scopes = SecurityScopes::from_chain(&below);
        assert!(scopes.is_empty());
        assert_eq!(scopes.bearer_challenge(), "Bearer");
    }

    #[test]
    fn satisfaction() {
        let root = ScopeChain::root(&[ITEMS, ME]);
        let scopes = SecurityScopes::from_chain(&root);
        assert!(scopes.is_satisfied_by(["me", "items", "other"]));
        assert_eq!(scopes.first_missing(["me"]), Some(ITEMS));
        assert!(!scopes.is_satisfied_by([]));
    }
}
