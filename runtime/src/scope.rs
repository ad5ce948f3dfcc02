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

/// `a == b`, in `const` code.
pub(crate) const fn str_eq(a: &str, b: &str) -> bool {
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

impl serde::Serialize for Scope {
    /// As its text, so a list of scopes serializes as the tutorial's `scopes` claim.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
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

/// A requirement beyond "all of these scopes": `any(..)` and `all(..)`, nested.
///
/// `#[requires_scopes(any("items:read", "admin"))]` builds one. Plain scopes are kept apart as
/// [`Scope`]s, so the common case never builds a `Requirement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Requirement {
    /// This scope.
    Scope(Scope),
    /// Every one of these.
    All(&'static [Requirement]),
    /// At least one of these.
    Any(&'static [Requirement]),
}

impl Requirement {
    /// Whether `granted` satisfies the requirement.
    pub fn is_satisfied_by(&self, granted: &impl Fn(&str) -> bool) -> bool {
        match self {
            Self::Scope(scope) => granted(scope.as_str()),
            Self::All(all) => all
                .iter()
                .all(|requirement| requirement.is_satisfied_by(granted)),
            Self::Any(any) => any
                .iter()
                .any(|requirement| requirement.is_satisfied_by(granted)),
        }
    }

    /// Visits every scope the requirement names, in order.
    pub fn for_each_scope(&self, f: &mut impl FnMut(Scope)) {
        match self {
            Self::Scope(scope) => f(*scope),
            Self::All(list) | Self::Any(list) => {
                list.iter()
                    .for_each(|requirement| requirement.for_each_scope(f));
            }
        }
    }

    /// The requirement as alternatives, each a set of scopes that together satisfy it
    /// (disjunctive normal form): what an OpenAPI `security` list expresses.
    #[must_use]
    pub fn alternatives(&self) -> Vec<Vec<Scope>> {
        match self {
            Self::Scope(scope) => vec![vec![*scope]],
            Self::Any(any) => any.iter().flat_map(Requirement::alternatives).collect(),
            Self::All(all) => all.iter().fold(vec![Vec::new()], |sets, requirement| {
                let options = requirement.alternatives();
                sets.iter()
                    .flat_map(|set| {
                        options.iter().map(move |option| {
                            let mut joined = set.clone();
                            for scope in option {
                                if !joined.contains(scope) {
                                    joined.push(*scope);
                                }
                            }
                            joined
                        })
                    })
                    .collect()
            }),
        }
    }
}

/// Every scope the dependency chain above a dependency requires: FastAPI's `SecurityScopes`.
///
/// Take it as a parameter of a `#[dependency]` to learn what to enforce. The
/// scopes come outermost first (the handler's, then each dependency's on the way down, then the
/// dependency's own), duplicates dropped with the first occurrence kept. Under the tutorial's
/// `read_own_items`, `get_current_user` sees `["items", "me"]`.
///
/// With `any(..)` requirements, [`scopes`](Self::scopes) lists every scope named, which a
/// FastAPI-style loop would all require: check with [`is_satisfied_by`](Self::is_satisfied_by),
/// which evaluates the requirement itself.
///
/// Outside a dependency it is not an extractor: a handler requires scopes with
/// `#[requires_scopes]` instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityScopes {
    pub(crate) scopes: Vec<Scope>,
    /// Only with `any(..)`/`all(..)` requirements: the plain scopes and the requirements.
    pub(crate) expression: Option<(Vec<Scope>, Vec<Requirement>)>,
    /// What the scheme's catalogue says each scope implies: a granted scope also satisfies
    /// the scopes it implies. Empty for catalogues without implications.
    pub(crate) implications: &'static [Implication],
}

/// One scope of a catalogue and every scope it implies, transitively (computed by
/// `oauth2_password_bearer!` at compile time from `"a" => ".." implies ["b"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Implication {
    /// The implying scope.
    pub scope: Scope,
    /// Every scope a token granted `scope` also holds, transitively, without `scope` itself.
    pub implies: &'static [Scope],
}

impl Implication {
    /// An implication entry.
    #[must_use]
    pub const fn new(scope: Scope, implies: &'static [Scope]) -> Self {
        Self { scope, implies }
    }
}

/// Whether `granted` holds `required`, itself or through a granted scope that implies it.
pub(crate) fn grants<'g>(
    granted: impl Iterator<Item = &'g str>,
    required: &str,
    implications: &[Implication],
) -> bool {
    if implications.is_empty() {
        return granted.into_iter().any(|g| g == required);
    }
    granted.into_iter().any(|g| {
        g == required
            || implications.iter().any(|implication| {
                implication.scope.as_str() == g
                    && implication.implies.iter().any(|s| s.as_str() == required)
            })
    })
}

impl SecurityScopes {
    /// A requirement of exactly `scopes`, all of them, in order (duplicates dropped): what a
    /// dependency sees under `#[requires_scopes(..)]` with these scopes, for tests and for
    /// answers built by hand.
    ///
    /// ```
    /// use axum_scopes::{Scope, SecurityScopes};
    ///
    /// let required = SecurityScopes::new([Scope::new("items"), Scope::new("me")]);
    /// assert_eq!(required.scope_str(), "items me");
    /// assert!(required.is_satisfied_by(["me", "items"]));
    /// ```
    #[must_use]
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Self {
        let mut kept = Vec::new();
        for scope in scopes {
            if !kept.contains(&scope) {
                kept.push(scope);
            }
        }
        Self {
            scopes: kept,
            expression: None,
            implications: &[],
        }
    }

    /// The same requirement, where a granted scope also satisfies every scope `implications`
    /// says it implies (a scheme's `SchemeInfo::implications`, from its catalogue).
    /// The requirement itself, [`scopes`](Self::scopes) and [`scope_str`](Self::scope_str), is
    /// unchanged: it names what the route requires, not the expansion.
    ///
    /// ```
    /// use axum_scopes::scope::Implication;
    /// use axum_scopes::{Scope, SecurityScopes};
    ///
    /// static IMPLICATIONS: [Implication; 1] =
    ///     [Implication::new(Scope::new("items:write"), &[Scope::new("items:read")])];
    /// let required = SecurityScopes::new([Scope::new("items:read")]).with_implications(&IMPLICATIONS);
    /// assert!(required.is_satisfied_by(["items:write"]));
    /// assert_eq!(required.scope_str(), "items:read");
    /// ```
    #[must_use]
    pub fn with_implications(mut self, implications: &'static [Implication]) -> Self {
        self.implications = implications;
        self
    }

    /// Every required scope, outermost first.
    #[must_use]
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// The `any(..)`/`all(..)` requirements beyond plain scopes, outermost first.
    #[must_use]
    pub fn requirements(&self) -> &[Requirement] {
        self.expression
            .as_ref()
            .map_or(&[], |(_, requirements)| requirements)
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

    /// The first required plain scope that `granted` lacks, if any. With `any(..)`
    /// requirements, use [`is_satisfied_by`](Self::is_satisfied_by).
    pub fn first_missing<'g, I>(&self, granted: I) -> Option<Scope>
    where
        I: IntoIterator<Item = &'g str>,
        I::IntoIter: Clone,
    {
        let plain = self
            .expression
            .as_ref()
            .map_or(&self.scopes, |(plain, _)| plain);
        let granted = granted.into_iter();
        plain
            .iter()
            .copied()
            .find(|required| !grants(granted.clone(), required.as_str(), self.implications))
    }

    /// Whether `granted` satisfies the whole requirement: every plain scope and every
    /// `any(..)`/`all(..)` expression.
    pub fn is_satisfied_by<'g, I>(&self, granted: I) -> bool
    where
        I: IntoIterator<Item = &'g str>,
        I::IntoIter: Clone,
    {
        let granted = granted.into_iter();
        if self.first_missing(granted.clone()).is_some() {
            return false;
        }
        let has = |scope: &str| grants(granted.clone(), scope, self.implications);
        self.requirements()
            .iter()
            .all(|requirement| requirement.is_satisfied_by(&has))
    }

    /// The `WWW-Authenticate` challenge FastAPI's tutorial answers with: `Bearer` when no scope is
    /// required, else `Bearer scope="<scope_str>"`.
    ///
    /// With `any(..)` requirements the `scope` attribute lists every scope named: RFC 6750 gives
    /// the attribute no way to express alternatives, and a token with all of them satisfies the
    /// requirement.
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

    #[test]
    fn rfc_6749_characters() {
        assert!(is_valid("items:read"));
        assert!(is_valid("!#[]~"));
        for bad in ["", "a b", "a\"b", "a\\b", "é", "a\tb", "a\u{7f}"] {
            assert!(!is_valid(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn new_keeps_order_and_drops_duplicates() {
        let items = Scope::new("items");
        let me = Scope::new("me");
        let scopes = SecurityScopes::new([items, me, items]);
        assert_eq!(scopes.scopes(), [items, me]);
        assert_eq!(scopes.first_missing(["me"]), Some(items));
        assert_eq!(scopes.bearer_challenge(), "Bearer scope=\"items me\"");
    }
}
