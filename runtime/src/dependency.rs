//! Dependencies: their static tree, their resolution and `Security<D>`.

use std::any::{Any, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::Response;
use http::request::Parts;

use crate::openapi::ResponsesFn;
use crate::{Requirement, SchemeInfo, Scope, ScopeChain};

/// A dependency: a function marked [`#[dependency]`](crate::dependency), usable as
/// [`Security<D>`].
///
/// The macro implements this trait on a type named like the function. It holds what is known
/// without a request: the dependency's name, its own scopes and its parameters, so the scope
/// tree of a handler can be walked at compile time (OpenAPI, checks) exactly as the runtime walks
/// it. Resolution, which needs the router's state, is [`Resolve`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dependency",
    label = "not marked `#[dependency]`",
    note = "mark the function with `#[axum_scopes::dependency]` so that `Security<{Self}>` can resolve it"
)]
pub trait Dependency: 'static {
    /// The value the dependency produces: the `T` of its `Result<T, E>`.
    type Output: DependencyOutput;

    /// The dependency's static description.
    const INFO: DependencyInfo;
}

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
    /// The failure answers the dependency documents in OpenAPI: those of its error type when it
    /// implements `utoipa::IntoResponses`, or of `#[dependency(responses = T)]`.
    pub responses: Option<ResponsesFn>,
}

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

    /// This description with the failure answers of `responses`.
    #[must_use]
    pub const fn with_responses(mut self, responses: Option<ResponsesFn>) -> Self {
        self.responses = responses;
        self
    }

    /// Whether the dependency or any dependency below it takes [`SecurityScopes`](crate::SecurityScopes).
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
    /// [`SecurityScopes`](crate::SecurityScopes).
    SecurityScopes,
    /// A credential of a scheme, such as [`BearerToken<S>`](crate::BearerToken).
    Credential(&'static SchemeInfo),
    /// Any other extractor.
    Extractor,
}

/// A [`Dependency`] that can be resolved with the router state `S`.
///
/// `#[dependency]` implements it for the state of the function's `State<T>` parameter, for the
/// state given as `#[dependency(state = T)]`, or for every state when neither is there.
pub trait Resolve<S>: Dependency {
    /// Runs the dependency: extracts its parameters, resolves its dependencies with `chain`
    /// extended by its own scopes, and calls the function.
    ///
    /// `chain` holds the scopes required above the dependency. Call [`resolve`] instead, which
    /// consults the request's cache.
    fn resolve(
        parts: &mut Parts,
        state: &S,
        chain: &ScopeChain<'_>,
    ) -> impl Future<Output = Result<Self::Output, Response>> + Send;
}

/// A value a dependency can produce.
///
/// A dependency's value is cached for the rest of the request (FastAPI's `use_cache`), so it is
/// cloned for each further use.
#[diagnostic::on_unimplemented(
    message = "the value of a dependency must be `Clone + Send + Sync + 'static`",
    note = "a dependency's value is cached for the rest of the request and cloned for each use; wrap it in an `Arc` if it cannot be cloned"
)]
pub trait DependencyOutput: Clone + Send + Sync + 'static {}

#[diagnostic::do_not_recommend]
impl<T: Clone + Send + Sync + 'static> DependencyOutput for T {}

/// How a `Security` parameter of a handler is used: the scopes it requires and whether it may
/// use the request's cache.
///
/// `#[requires_scopes]` implements it on a generated marker type and adds that type to the
/// handler's `Security<D>` parameters; [`Unscoped`] is the default.
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
}

/// The [`SecurityEdge`] of a `Security<D>` without scopes of its own.
#[derive(Debug)]
pub enum Unscoped {}

impl SecurityEdge for Unscoped {
    const SCOPES: &'static [Scope] = &[];
}

/// The value of the dependency `D`: FastAPI's `Security(dep)`.
///
/// As a handler parameter it resolves `D` with the scopes of the handler's
/// [`#[requires_scopes]`](crate::requires_scopes), and rejects the request with `D`'s error when
/// `D` fails. In a [`#[dependency]`](crate::dependency) it resolves `D` with the scopes required
/// above. Dereferences to the value.
///
/// `D` is the type `#[dependency]` generates next to the function, named like it. A plain
/// function is not a type, so `Security<plain_fn>` fails with "expected type, found function":
/// mark the function `#[dependency]`.
///
/// The second parameter is the [`SecurityEdge`] the macros fill in; leave it out.
pub struct Security<D: Dependency, E = Unscoped> {
    value: D::Output,
    edge: PhantomData<fn() -> E>,
}

impl<D: Dependency, E> Security<D, E> {
    /// Wraps a resolved value.
    #[must_use]
    pub fn new(value: D::Output) -> Self {
        Self {
            value,
            edge: PhantomData,
        }
    }

    /// The value.
    #[must_use]
    pub fn into_inner(self) -> D::Output {
        self.value
    }
}

impl<D: Dependency, E> Deref for Security<D, E> {
    type Target = D::Output;

    fn deref(&self) -> &Self::Target {
        &self.value
    }
}

impl<D: Dependency, E> DerefMut for Security<D, E> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.value
    }
}

impl<D: Dependency, E> Clone for Security<D, E> {
    fn clone(&self) -> Self {
        Self::new(self.value.clone())
    }
}

impl<D: Dependency, E> fmt::Debug for Security<D, E>
where
    D::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Security").field(&self.value).finish()
    }
}

impl<S, D, E> FromRequestParts<S> for Security<D, E>
where
    S: Send + Sync,
    D: Resolve<S>,
    E: SecurityEdge,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let chain = ScopeChain::root_with(E::SCOPES, E::REQUIREMENTS).caching(E::REPEATS);
        resolve::<D, S>(parts, state, &chain, E::USE_CACHE)
            .await
            .map(Self::new)
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
pub async fn resolve<D, S>(
    parts: &mut Parts,
    state: &S,
    chain: &ScopeChain<'_>,
    use_cache: bool,
) -> Result<D::Output, Response>
where
    D: Resolve<S>,
{
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
