//! The static tree of a handler's dependencies, the scopes along it, and the request's cache:
//! what the macros generate and the runtime walks. Reached by generated code through
//! `__private` only.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::response::Response;
use http::request::Parts;
use utoipa::openapi::RefOr;

use super::{Dependency, Resolve};
use crate::scheme::SchemeInfo;
use crate::scope::{Requirement, Scope, SecurityScopes, str_eq};

/// The static description of a [`Dependency`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct DependencyInfo {
    /// The function's name.
    pub name: &'static str,
    /// The scopes of the dependency's own `#[requires_scopes]`.
    pub scopes: &'static [Scope],
    /// The `any(..)`/`all(..)` requirements of its own `#[requires_scopes]`.
    pub requirements: &'static [Requirement],
    /// The parameters, in order.
    pub params: &'static [Param],
    /// Documents the dependency's failure answers (its error type's `utoipa::IntoResponses`,
    /// `#[dependency(responses = T)]` or `responses(401 = "..")`): the `openapi` module calls
    /// it with the map of an operation's answers.
    pub(crate) responses: Option<fn(&mut Responses)>,
}

/// utoipa's map of an operation's answers, by status: what a dependency's documentation hook
/// fills.
pub type Responses = BTreeMap<String, RefOr<utoipa::openapi::response::Response>>;

impl DependencyInfo {
    /// A description; the macros build these.
    #[must_use]
    pub const fn new(
        name: &'static str,
        scopes: &'static [Scope],
        params: &'static [Param],
    ) -> Self {
        Self {
            name,
            scopes,
            requirements: &[],
            params,
            responses: None,
        }
    }

    /// This description with `any(..)`/`all(..)` requirements of its own.
    #[must_use]
    pub const fn with_requirements(mut self, requirements: &'static [Requirement]) -> Self {
        self.requirements = requirements;
        self
    }

    /// This description with the failure answers `document` adds to an operation's
    /// [`Responses`] (`None`: none).
    #[must_use]
    pub const fn with_responses(mut self, document: Option<fn(&mut Responses)>) -> Self {
        self.responses = document;
        self
    }

    /// Whether the dependency or any dependency below it takes [`SecurityScopes`](super::super::SecurityScopes).
    ///
    /// A dependency that does not is cached without regard to scopes: it gives the same value
    /// whatever its callers require.
    #[must_use]
    pub const fn uses_scopes(&self) -> bool {
        let mut i = 0;
        while i < self.params.len() {
            match self.params[i] {
                Param::SecurityScopes => return true,
                Param::Dependency { info, .. } if info.uses_scopes() => return true,
                _ => {}
            }
            i += 1;
        }
        false
    }
}

/// One parameter of a dependency, as far as scopes are concerned.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Param {
    /// Another dependency, `Security<D>`.
    Dependency {
        /// The dependency's description.
        info: &'static DependencyInfo,
        /// The scopes added on this parameter (`#[security(scopes = [..])]`).
        scopes: &'static [Scope],
        /// The `any(..)`/`all(..)` requirements added on this parameter.
        requirements: &'static [Requirement],
        /// Whether the value may come from the request's cache.
        use_cache: bool,
    },
    /// [`SecurityScopes`](super::super::SecurityScopes).
    SecurityScopes,
    /// A credential of a scheme, such as `BearerToken<S>`.
    Credential(&'static SchemeInfo),
    /// Any other extractor.
    Extractor,
}

/// How a `Security` parameter of a handler is used: the scopes it requires and whether it may
/// use the request's cache.
///
/// `#[requires_scopes]` adds it to the handler's `Security<D>` parameters: the shared
/// `Edge` (`dependency/edge.rs`) when the parameter requires only a few scopes, otherwise a
/// marker type it generates and implements this trait on; [`Unscoped`] is the default.
pub trait SecurityEdge: 'static {
    /// The scopes required on this edge, in order.
    const SCOPES: &'static [Scope];
    /// The `any(..)`/`all(..)` requirements on this edge. Defaults to none.
    const REQUIREMENTS: &'static [Requirement] = &[];
    /// Whether the handler's dependency tree may reach a dependency more than once; when not,
    /// nothing below this edge is cached, as no value could be reused. Defaults to `true`.
    const REPEATS: bool = true;
    /// Whether the dependency's value may come from the request's cache. Defaults to `true`.
    const USE_CACHE: bool = true;
    /// Whether [`SecurityEdge::REPEATS`] is that of the dependency below the edge alone (an
    /// edge shared by handlers, which cannot name the dependency). Defaults to `false`.
    const DEPENDENCY_REPEATS: bool = false;
}

/// The [`SecurityEdge`] of a `Security<D>` without scopes of its own.
#[derive(Debug)]
pub enum Unscoped {}

impl SecurityEdge for Unscoped {
    const SCOPES: &'static [Scope] = &[];
}

/// The scopes one router requires of every route in it (the `routing` module attaches them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterFrame {
    /// The scopes, in order.
    pub scopes: &'static [Scope],
    /// The `any(..)`/`all(..)` requirements.
    pub requirements: &'static [Requirement],
}

/// The request extension that carries the requirements of the routers a request went through,
/// outermost first, to the `Security` parameters of its handler.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouterFrames(pub(crate) Arc<[RouterFrame]>);

/// The scopes required along one dependency path, parent first, kept on the stack.
///
/// Each dependency adds its own link on top of its parent's while it resolves its parameters, so
/// passing the requirement down allocates nothing. [`SecurityScopes`] flattens it when a
/// dependency asks for it.
#[derive(Debug, Clone, Copy)]
pub struct ScopeChain<'a> {
    scopes: &'static [Scope],
    requirements: &'static [Requirement],
    parent: Option<&'a ScopeChain<'a>>,
    /// The requirements of the routers the request went through, outermost first: above the
    /// root link (see [`ScopeChain::under`]).
    routers: &'a [RouterFrame],
    /// Whether dependencies below may use the request's cache: `false` when the handler's tree
    /// reaches no dependency twice, so caching could never pay.
    cache: bool,
}

impl<'a> ScopeChain<'a> {
    /// A chain holding only `scopes`, all required.
    #[must_use]
    pub const fn root(scopes: &'static [Scope]) -> Self {
        Self::root_with(scopes, &[])
    }

    /// A chain holding `scopes` and `requirements`, all required.
    #[must_use]
    pub const fn root_with(scopes: &'static [Scope], requirements: &'static [Requirement]) -> Self {
        Self {
            scopes,
            requirements,
            parent: None,
            routers: &[],
            cache: true,
        }
    }

    /// This root chain below the requirements of the routers the request went through,
    /// outermost first.
    #[must_use]
    pub const fn under(mut self, routers: &'a [RouterFrame]) -> Self {
        self.routers = routers;
        self
    }

    /// This chain, with the request's cache used below it only if `cache`.
    #[must_use]
    pub const fn caching(mut self, cache: bool) -> Self {
        self.cache = cache;
        self
    }

    /// Whether dependencies below may use the request's cache.
    #[must_use]
    pub const fn caches(&self) -> bool {
        self.cache
    }

    /// This chain followed by `scopes`.
    #[must_use]
    pub const fn push(&'a self, scopes: &'static [Scope]) -> Self {
        self.push_with(scopes, &[])
    }

    /// This chain followed by `scopes` and `requirements`.
    #[must_use]
    pub const fn push_with(
        &'a self,
        scopes: &'static [Scope],
        requirements: &'static [Requirement],
    ) -> Self {
        Self {
            scopes,
            requirements,
            parent: Some(self),
            routers: &[],
            cache: self.cache,
        }
    }

    fn links(&self, f: &mut impl FnMut(&ScopeChain<'_>)) {
        match self.parent {
            Some(parent) => parent.links(f),
            None => {
                for frame in self.routers {
                    f(&ScopeChain::root_with(frame.scopes, frame.requirements));
                }
            }
        }
        f(self);
    }

    /// Whether the chain requires no scope at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
            && self.requirements.is_empty()
            && self
                .routers
                .iter()
                .all(|frame| frame.scopes.is_empty() && frame.requirements.is_empty())
            && self.parent.is_none_or(ScopeChain::is_empty)
    }

    /// Whether some link holds an `any(..)`/`all(..)` requirement.
    fn has_requirements(&self) -> bool {
        !self.requirements.is_empty()
            || self
                .routers
                .iter()
                .any(|frame| !frame.requirements.is_empty())
            || self.parent.is_some_and(ScopeChain::has_requirements)
    }

    /// Whether `f` holds for every scope of a chain of plain scopes, or `None` when some link
    /// holds an `any(..)`/`all(..)` requirement. Allocates nothing: the guards' check on every
    /// request.
    pub(crate) fn all_plain(&self, mut f: impl FnMut(Scope) -> bool) -> Option<bool> {
        if self.has_requirements() {
            return None;
        }
        let mut all = true;
        self.links(&mut |link| all = all && link.scopes.iter().all(|&scope| f(scope)));
        Some(all)
    }

    /// Every scope the chain names, outermost first, first occurrence kept.
    #[must_use]
    pub fn to_vec(&self) -> Vec<Scope> {
        let mut scopes = Vec::new();
        let mut add = |scope| {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        };
        self.links(&mut |link| {
            link.scopes.iter().copied().for_each(&mut add);
            for requirement in link.requirements {
                requirement.for_each_scope(&mut add);
            }
        });
        scopes
    }

    /// The distinct `any(..)`/`all(..)` requirements, outermost first.
    #[must_use]
    pub fn requirements(&self) -> Vec<Requirement> {
        let mut requirements: Vec<Requirement> = Vec::new();
        self.links(&mut |link| {
            for requirement in link.requirements {
                if !requirements.contains(requirement) {
                    requirements.push(*requirement);
                }
            }
        });
        requirements
    }

    /// The plain scopes, outermost first, first occurrence kept.
    fn plain(&self) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = Vec::new();
        self.links(&mut |link| {
            for scope in link.scopes {
                if !scopes.contains(scope) {
                    scopes.push(*scope);
                }
            }
        });
        scopes
    }
}

/// The required scopes of `chain`: what a dependency's `SecurityScopes` parameter receives.
#[must_use]
pub(crate) fn security_scopes(chain: &ScopeChain<'_>) -> SecurityScopes {
    if chain.is_empty() {
        return SecurityScopes::default();
    }
    let expression = chain
        .has_requirements()
        .then(|| (chain.plain(), chain.requirements()));
    SecurityScopes {
        scopes: chain.to_vec(),
        expression,
        implications: &[],
    }
}

/// The required scopes of `chain` (what a dependency's `SecurityScopes` parameter receives) for
/// the dependency `info`, with the implications of the catalogue of its credential parameter
/// (`BearerToken<S>` and the like), if it has one.
#[must_use]
pub fn security_scopes_in(chain: &ScopeChain<'_>, info: &DependencyInfo) -> SecurityScopes {
    let scopes = security_scopes(chain);
    let scheme = info.params.iter().find_map(|param| match param {
        Param::Credential(scheme) => Some(*scheme),
        _ => None,
    });
    match scheme {
        Some(scheme) => scopes.with_implications(scheme.implications),
        None => scopes,
    }
}

/// Resolves `D` under `chain`, at most once per request and cache key when `use_cache` is set.
///
/// The key is `D` and, when `D` or a dependency below it takes `SecurityScopes`, the sorted set of
/// the scopes `D` sees, as in FastAPI. Failures are not cached.
///
/// # Errors
///
/// The response of the first extractor or dependency that fails.
pub(crate) async fn resolve<D, S>(
    parts: &mut Parts,
    state: &S,
    chain: &ScopeChain<'_>,
    use_cache: bool,
) -> Result<D::Output, Response>
where
    D: Resolve<S>,
{
    #[cfg(feature = "test-util")]
    if let Some(overridden) = super::overrides::overridden::<D>(parts, || {
        let own = chain.push_with(D::INFO.scopes, D::INFO.requirements);
        security_scopes_in(&own, &D::INFO)
    }) {
        return overridden;
    }
    if !use_cache || !chain.caches() {
        return D::resolve(parts, state, chain).await;
    }
    let key = CacheKey::of::<D>(chain);
    if let Some(value) = parts
        .extensions
        .get::<DependencyCache>()
        .and_then(|cache| cache.get::<D::Output>(&key))
    {
        return Ok(value);
    }
    let value = D::resolve(parts, state, chain).await?;
    let cache = parts.extensions.get_or_insert_default::<DependencyCache>();
    cache.entries.push(CacheEntry {
        key,
        value: Arc::new(value.clone()),
    });
    Ok(value)
}

#[derive(Clone, PartialEq, Eq)]
struct CacheKey {
    dependency: TypeId,
    scopes: Box<[Scope]>,
    requirements: Box<[Requirement]>,
}

impl CacheKey {
    /// `D`'s own scopes are the same under every key of `D`, so only the chain above counts.
    fn of<D: Dependency>(chain: &ScopeChain<'_>) -> Self {
        if !const { D::INFO.uses_scopes() } {
            return Self {
                dependency: TypeId::of::<D>(),
                scopes: Box::default(),
                requirements: Box::default(),
            };
        }
        let mut scopes = chain.to_vec();
        scopes.sort_unstable();
        let mut requirements = chain.requirements();
        requirements.sort_unstable();
        Self {
            dependency: TypeId::of::<D>(),
            scopes: scopes.into_boxed_slice(),
            requirements: requirements.into_boxed_slice(),
        }
    }
}

#[derive(Clone)]
struct CacheEntry {
    key: CacheKey,
    value: Arc<dyn Any + Send + Sync>,
}

/// The values dependencies produced for one request, kept in its extensions.
#[derive(Clone, Default)]
struct DependencyCache {
    entries: Vec<CacheEntry>,
}

impl DependencyCache {
    fn get<T: Clone + 'static>(&self, key: &CacheKey) -> Option<T> {
        self.entries
            .iter()
            .find(|entry| entry.key == *key)
            .and_then(|entry| entry.value.downcast_ref::<T>())
            .cloned()
    }
}

/// Whether some dependency below `params` takes `SecurityScopes`, that is, enforces the scopes
/// required above it.
#[must_use]
pub const fn enforces_scopes(params: &[Param]) -> bool {
    let mut i = 0;
    while i < params.len() {
        match params[i] {
            Param::SecurityScopes => return true,
            Param::Dependency { info, .. } if info.uses_scopes() => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// Whether some dependency may be reached more than once below `params`, so that caching its
/// value can save work. Dependencies are told apart by name, so two of the same name count as
/// one reached twice: the answer errs towards caching.
#[must_use]
pub const fn has_repeats(params: &[Param]) -> bool {
    let mut seen = Seen {
        names: [""; Seen::CAPACITY],
        len: 0,
    };
    visit(params, &mut seen)
}

/// Dependency names met so far; more than it can hold counts as a repeat.
struct Seen {
    names: [&'static str; Self::CAPACITY],
    len: usize,
}

impl Seen {
    const CAPACITY: usize = 64;
}

/// Records the dependencies below `params`; `true` at the first name met twice.
const fn visit(params: &[Param], seen: &mut Seen) -> bool {
    let mut i = 0;
    while i < params.len() {
        if let Param::Dependency { info, .. } = params[i] {
            let mut j = 0;
            while j < seen.len {
                if str_eq(seen.names[j], info.name) {
                    return true;
                }
                j += 1;
            }
            if seen.len == Seen::CAPACITY {
                return true;
            }
            seen.names[seen.len] = info.name;
            seen.len += 1;
            if visit(info.params, seen) {
                return true;
            }
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats() {
        const LEAF: DependencyInfo = DependencyInfo::new("leaf", &[], &[Param::SecurityScopes]);
        const EDGE: Param = Param::Dependency {
            info: &LEAF,
            scopes: &[],
            requirements: &[],
            use_cache: true,
        };
        const MIDDLE: DependencyInfo = DependencyInfo::new("middle", &[], &[EDGE]);
        const VIA_MIDDLE: Param = Param::Dependency {
            info: &MIDDLE,
            scopes: &[],
            requirements: &[],
            use_cache: true,
        };
        assert!(!has_repeats(&[VIA_MIDDLE]));
        assert!(!has_repeats(&[EDGE, Param::Extractor]));
        assert!(has_repeats(&[VIA_MIDDLE, EDGE]), "leaf is reached twice");
        assert!(has_repeats(&[EDGE, EDGE]));
    }

    const ITEMS: Scope = Scope::new("items");
    const ME: Scope = Scope::new("me");

    #[test]
    fn chain_is_outer_first_and_deduplicated() {
        const HANDLER: &[Scope] = &[ITEMS];
        const DEPENDENCY: &[Scope] = &[ME, ITEMS];
        let root = ScopeChain::root(HANDLER);
        let below = root.push(DEPENDENCY);
        assert_eq!(below.to_vec(), [ITEMS, ME]);
        let scopes = security_scopes(&below);
        assert_eq!(scopes.scope_str(), "items me");
        assert_eq!(scopes.bearer_challenge(), "Bearer scope=\"items me\"");
    }

    #[test]
    fn empty_chain() {
        let root = ScopeChain::root(&[]);
        let below = root.push(&[]);
        assert!(below.is_empty());
        let scopes = security_scopes(&below);
        assert!(scopes.is_empty());
        assert_eq!(scopes.bearer_challenge(), "Bearer");
    }

    #[test]
    fn any_and_all() {
        const READ: Scope = Scope::new("items:read");
        const ADMIN: Scope = Scope::new("admin");
        const ANY: &[Requirement] = &[Requirement::Any(&[
            Requirement::Scope(READ),
            Requirement::All(&[Requirement::Scope(ADMIN), Requirement::Scope(ME)]),
        ])];
        let root = ScopeChain::root_with(&[ITEMS], ANY);
        let scopes = security_scopes(&root);
        assert_eq!(scopes.scopes(), [ITEMS, READ, ADMIN, ME]);
        assert!(scopes.is_satisfied_by(["items", "items:read"]));
        assert!(scopes.is_satisfied_by(["items", "admin", "me"]));
        assert!(!scopes.is_satisfied_by(["items", "admin"]));
        assert!(
            !scopes.is_satisfied_by(["items:read"]),
            "the plain scope is still required"
        );
        assert_eq!(ANY[0].alternatives(), vec![vec![READ], vec![ADMIN, ME]]);
    }

    #[test]
    fn satisfaction() {
        let root = ScopeChain::root(&[ITEMS, ME]);
        let scopes = security_scopes(&root);
        assert!(scopes.is_satisfied_by(["me", "items", "other"]));
        assert_eq!(scopes.first_missing(["me"]), Some(ITEMS));
        assert!(!scopes.is_satisfied_by([]));
    }
}
