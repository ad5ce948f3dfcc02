//! The items the macros' expansions name, and nothing else. Not public API: no stability
//! guarantee.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;

use crate::credential::Credential;
use crate::dependency::Security;
use crate::dependency::tree::resolve;

pub use crate::check::{
    EdgeChecks, Message, assert_declared, assert_enforced, scheme_lacking, unknown_scope,
};
pub use crate::credential::{
    ApiKeyCookie, ApiKeyHeader, ApiKeyQuery, BearerHeader, CredentialName, CredentialSource,
    RawCredential, SchemeSource, TokenCookie,
};
pub use crate::dependency::edge::{Edge, OneScope, Scopes, Str};
pub use crate::dependency::tree::Responses;
pub use crate::dependency::tree::{
    DependencyInfo, Param, ScopeChain, SecurityEdge, Unscoped, enforces_scopes, has_repeats,
    security_scopes_in,
};
pub use crate::dependency::{Dependency, Resolve, SecurityParam};
#[cfg(feature = "grpc")]
pub use crate::grpc::{GrpcMethod, GrpcService};
pub use crate::openapi::requirements::secure_operation;
pub use crate::openapi::responses::{document_http_errors, document_responses};
pub use crate::rejection::{AuthError, CredentialKind};
pub use crate::routing::RouterSecurity;
pub use crate::scheme::{Flow, KeyPlace, Scheme, SchemeInfo, SchemeKind, ScopeInfo};
pub use crate::scope::{Implication, Requirement, Scope};
pub use axum::response::Response as HttpResponse;
pub use http::request::Parts as RequestParts;

/// A parameter of a dependency that is extracted from the request parts.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a dependency",
    label = "not a request-parts extractor",
    note = "a dependency takes extractors that implement `FromRequestParts<{S}>` (headers, `State`, `Query`, `BearerToken`, ...), other dependencies as `Security<dep>`, and `SecurityScopes`",
    note = "the request body (`Json`, `Form`, `String`, `Bytes`, ...) can be read only once, by the handler: take it there and pass the value on"
)]
pub trait DependencyParameter<S>: Sized {
    /// Extracts the parameter.
    fn extract(parts: &mut Parts, state: &S)
    -> impl Future<Output = Result<Self, Response>> + Send;
}

// Reported as `T: DependencyParameter<S>` with the note above, not as axum's generic note.
#[diagnostic::do_not_recommend]
impl<S, T> DependencyParameter<S> for T
where
    S: Send + Sync,
    T: FromRequestParts<S>,
{
    async fn extract(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        T::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)
    }
}

/// What a dependency function returns: `Result<T, E>` with an error that is an answer.
#[diagnostic::on_unimplemented(
    message = "a dependency that returns `{Self}` must return `Result<T, E>` with `E: IntoResponse`",
    note = "return `Result<T, HttpError>`, or any error type that implements `IntoResponse`"
)]
pub trait DependencyReturn {
    /// The `T` of `Result<T, E>`.
    type Output;

    /// The value, or the error turned into a response.
    ///
    /// # Errors
    ///
    /// The function's error, as a response.
    #[allow(
        clippy::result_large_err,
        reason = "the error is the answer the request ends with; boxing it would only add an allocation"
    )]
    fn into_result(self) -> Result<Self::Output, Response>;
}

#[diagnostic::do_not_recommend]
impl<T, E: IntoResponse> DependencyReturn for Result<T, E> {
    type Output = T;

    fn into_result(self) -> Result<T, Response> {
        self.map_err(IntoResponse::into_response)
    }
}

/// `Security<D, E>` seen from a dependency that takes it.
pub trait NestedSecurity<S>: Sized {
    /// The dependency.
    type Dependency: Dependency;

    /// Resolves the dependency under `chain`, followed by this edge's scopes.
    fn resolve_nested(
        parts: &mut Parts,
        state: &S,
        chain: &ScopeChain<'_>,
        scopes: &'static [Scope],
        requirements: &'static [Requirement],
        use_cache: bool,
    ) -> impl Future<Output = Result<Self, Response>> + Send;
}

impl<S, D, E> NestedSecurity<S> for Security<D, E>
where
    S: Send + Sync,
    D: Resolve<S>,
    E: SecurityEdge,
{
    type Dependency = D;

    async fn resolve_nested(
        parts: &mut Parts,
        state: &S,
        chain: &ScopeChain<'_>,
        scopes: &'static [Scope],
        requirements: &'static [Requirement],
        use_cache: bool,
    ) -> Result<Self, Response> {
        let edge = chain.push_with(E::SCOPES, E::REQUIREMENTS);
        let chain = edge.push_with(scopes, requirements);
        resolve::<D, S>(parts, state, &chain, use_cache && E::USE_CACHE)
            .await
            .map(Self::new)
    }
}

/// Tells, for a parameter type `T`, which [`Param`] describes it: a [`Credential`] or any other
/// extractor. Inherent constants take precedence over trait constants, so `ParamKind::<T>::PARAM`
/// picks the credential's when `T` is one.
pub struct ParamKind<T: ?Sized>(PhantomData<T>);

impl<T: Credential> ParamKind<T> {
    /// A credential of `T`'s scheme.
    pub const PARAM: Param = Param::Credential(&T::SCHEME);
}

/// The fallback of [`ParamKind`]: any other extractor.
pub trait OtherParam {
    /// An extractor that is neither a credential nor a dependency.
    const PARAM: Param = Param::Extractor;
}

impl<T: ?Sized> OtherParam for ParamKind<T> {}

/// Tells, for a parameter type `T` the macros did not recognise by name, whether it is a
/// `Security<D, E>` under another name (an alias such as `use Authenticated as Auth`). Such a
/// parameter would be resolved without the scopes required above it, so the macros turn it
/// into a compile error.
pub struct SecurityProbe<T: ?Sized>(PhantomData<T>);

impl<D: Dependency, E> SecurityProbe<Security<D, E>> {
    /// A `Security<D, E>`.
    pub const IS_SECURITY: bool = true;
    /// The dependency `D`.
    pub const INFO: Option<&'static DependencyInfo> = Some(&D::INFO);
}

/// The fallback of [`SecurityProbe`]: any other type.
pub trait NotSecurity {
    /// Not a `Security<D, E>`.
    const IS_SECURITY: bool = false;
    /// No dependency.
    const INFO: Option<&'static DependencyInfo> = None;
}

impl<T: ?Sized> NotSecurity for SecurityProbe<T> {}

/// The `__path_<fn>` that `#[requires_scopes]` puts behind a glob import when no
/// `#[utoipa::path]` is below it: an item `#[utoipa::path]` wrote above it shadows the stand-in,
/// and [`StandInProbe`] tells which one the name resolves to.
pub trait StandIn {}

/// Whether `T` is a [`StandIn`].
pub struct StandInProbe<T: ?Sized>(PhantomData<T>);

impl<T: StandIn> StandInProbe<T> {
    /// The stand-in: no `#[utoipa::path]` ran above `#[requires_scopes]`.
    pub const IS_STAND_IN: bool = true;
}

/// The fallback of [`StandInProbe`]: `__path_<fn>` is utoipa's.
pub trait NotStandIn {
    /// Utoipa's `__path_<fn>`.
    const IS_STAND_IN: bool = false;
}

impl<T: ?Sized> NotStandIn for StandInProbe<T> {}

/// Tells, for an error type `E`, whether it documents its answers (`utoipa::IntoResponses`).
pub struct ResponsesOf<E: ?Sized>(PhantomData<E>);

impl<E: utoipa::IntoResponses> ResponsesOf<E> {
    /// `E`'s documented answers.
    pub const RESPONSES: Option<fn(&mut Responses)> =
        Some(crate::openapi::responses::document_responses::<E>);
}

/// The fallback of [`ResponsesOf`]: an error type that documents nothing.
pub trait UndocumentedResponses {
    /// Nothing documented.
    const RESPONSES: Option<fn(&mut Responses)> = None;
}

impl<E: ?Sized> UndocumentedResponses for ResponsesOf<E> {}

/// Dispatches on what [`SecurityProbe`] found for a parameter type, so that the macros treat a
/// parameter by the traits its type implements rather than by its name: `Choose<true>` for a
/// `Security<D, E>` under any name, `Choose<false>` for any other extractor.
pub struct Choose<const SECURITY: bool>;

/// The type a handler parameter of type `T` takes once the edge marker `M` (the scopes the
/// handler requires) is attached: `Security<D, M>` for a `Security<D, E>`, `T` itself otherwise.
pub trait Pick<T, M> {
    /// The parameter's type in the expanded handler.
    type Output;
}

impl<D: Dependency, E, M> Pick<Security<D, E>, M> for Choose<true> {
    type Output = Security<D, M>;
}

impl<T, M> Pick<T, M> for Choose<false> {
    type Output = T;
}

/// How a dependency obtains a parameter of type `T`: a `Security<D, E>` (under any name) is
/// resolved under the dependency's scope chain, any other type is extracted.
pub trait Extract<T, S> {
    /// Resolves or extracts the parameter.
    fn extract(
        parts: &mut Parts,
        state: &S,
        chain: &ScopeChain<'_>,
        scopes: &'static [Scope],
        requirements: &'static [Requirement],
        use_cache: bool,
    ) -> impl Future<Output = Result<T, Response>> + Send;
}

impl<S, T: NestedSecurity<S>> Extract<T, S> for Choose<true> {
    fn extract(
        parts: &mut Parts,
        state: &S,
        chain: &ScopeChain<'_>,
        scopes: &'static [Scope],
        requirements: &'static [Requirement],
        use_cache: bool,
    ) -> impl Future<Output = Result<T, Response>> + Send {
        T::resolve_nested(parts, state, chain, scopes, requirements, use_cache)
    }
}

impl<S, T: DependencyParameter<S>> Extract<T, S> for Choose<false> {
    fn extract(
        parts: &mut Parts,
        state: &S,
        _chain: &ScopeChain<'_>,
        _scopes: &'static [Scope],
        _requirements: &'static [Requirement],
        _use_cache: bool,
    ) -> impl Future<Output = Result<T, Response>> + Send {
        T::extract(parts, state)
    }
}

pub use utoipa;
