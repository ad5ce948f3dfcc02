//! Dependencies: functions marked `#[dependency]`, and [`Security<D>`], their value.
//!
//! The static tree the macros build (which dependency takes what, which scopes each edge
//! requires) and the request's cache live in a private submodule: generated code reaches them
//! through `__private` only. The tree builds no OpenAPI document: it holds each dependency's
//! hook for its failure answers, typed with utoipa's map, and the `openapi` module reads it.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use axum::extract::FromRequestParts;
use axum::response::Response;
use http::request::Parts;

pub(crate) mod edge;
#[cfg(feature = "test-util")]
pub(crate) mod overrides;
pub(crate) mod tree;

use self::tree::{
    DependencyInfo, Param, RouterFrames, ScopeChain, SecurityEdge, Unscoped, resolve,
};

/// A dependency: a function marked `#[dependency]`, usable as
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

/// A [`Dependency`] that can be resolved with the router state `S`.
///
/// `#[dependency]` implements it for the state of the function's `State<T>` parameter, for the
/// state given as `#[dependency(state = T)]`, or for every state when neither is there.
pub trait Resolve<S>: Dependency {
    /// Runs the dependency: extracts its parameters, resolves its dependencies with `chain`
    /// extended by its own scopes, and calls the function.
    ///
    /// `chain` holds the scopes required above the dependency. A [`Security<D>`] parameter
    /// calls it through the request's cache; a direct call skips the cache.
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

/// The value of the dependency `D`: FastAPI's `Security(dep)`.
///
/// As a handler parameter it resolves `D` with the scopes of the handler's
/// `#[requires_scopes]`, and rejects the request with `D`'s error when
/// `D` fails. In a `#[dependency]` it resolves `D` with the scopes required
/// above. Dereferences to the value.
///
/// `D` is the type `#[dependency]` generates next to the function, named like it. A plain
/// function is not a type, so `Security<plain_fn>` fails with "expected type, found function":
/// mark the function `#[dependency]`.
///
/// The second parameter is the edge the macros fill in (the scopes required on this
/// parameter); leave it out.
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
        // The requirements of the routers the request went through come first.
        let routers = parts.extensions.get::<RouterFrames>().cloned();
        let repeats = if E::DEPENDENCY_REPEATS {
            <Self as SecurityParam>::REPEATS
        } else {
            E::REPEATS
        };
        let chain = ScopeChain::root_with(E::SCOPES, E::REQUIREMENTS)
            .caching(repeats)
            .under(routers.as_ref().map_or(&[], |frames| &frames.0));
        resolve::<D, S>(parts, state, &chain, E::USE_CACHE)
            .await
            .map(Self::new)
    }
}

/// The static description of a `Security<D, E>` parameter type, without the state.
pub trait SecurityParam {
    /// The dependency.
    type Dependency: Dependency;
    /// The parameter without scopes of its own, cached: what most handlers' checks walk. One
    /// constant per dependency, so that each handler names it in a few tokens.
    const BARE: Param;
    /// Whether some dependency below [`SecurityParam::BARE`] enforces scopes, evaluated once
    /// per dependency (a handler with this one `Security` parameter checks it).
    const ENFORCES: bool;
    /// Whether the tree below [`SecurityParam::BARE`] reaches a dependency twice, evaluated
    /// once per dependency.
    const REPEATS: bool;
}

impl<D: Dependency, E> SecurityParam for Security<D, E> {
    type Dependency = D;
    const BARE: Param = Param::Dependency {
        info: &D::INFO,
        scopes: &[],
        requirements: &[],
        use_cache: true,
    };
    const ENFORCES: bool = tree::enforces_scopes(&[Self::BARE]);
    const REPEATS: bool = tree::has_repeats(&[Self::BARE]);
}
