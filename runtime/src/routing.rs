//! Requirements on a router: FastAPI's `APIRouter(dependencies=[Security(dep, scopes=[..])])`.
//!
//! [`router_security!`] declares a requirement, checked at compile time as `#[requires_scopes]`
//! is (every scope declared by the catalogue below the dependency, some dependency below taking
//! `SecurityScopes`); [`SecureRouter::secure`] attaches it to an axum `Router` or a utoipa-axum
//! `OpenApiRouter`. Every route of that router then requires it:
//!
//! - **Enforced** for every route, also a handler without a `Security` parameter of its own: the
//!   dependency is resolved before the handler runs, under the scopes of the routers outside
//!   this one, then this router's; its error is the answer.
//! - **Accumulated**, outer first: the `Security` parameters of the handler (and the
//!   dependencies below them) see the scopes of every router the request went through,
//!   outermost first, then the handler's own, so the innermost dependency's `SecurityScopes`
//!   reads `routers..., handler...`, as a dependency's scopes would.
//! - **Documented** (on an `OpenApiRouter`): every operation already in the router gets the
//!   requirement in front of its own `security` (scopes merged per scheme, router scopes first)
//!   and the dependency's failure answers; the route table and the audit
//!   ([`assert_secure`](crate::openapi::assert_secure)) read it from there. Attach the
//!   requirement after the routes and before nesting the router into an outer one.
//!
//! ```
//! use axum_scopes::routing::{SecureRouter, router_security};
//! use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};
//! use utoipa_axum::{router::OpenApiRouter, routes};
//!
//! axum_scopes::oauth2_password_bearer! {
//!     /// The API's scheme.
//!     pub Api { token_url: "token", scopes: { "items" => "Read items.", "me" => "Read yourself." } }
//! }
//!
//! /// The scopes the whole chain requires, outer first.
//! #[dependency]
//! async fn current_user(
//!     scopes: SecurityScopes,
//!     token: BearerToken<Api>,
//! ) -> Result<String, HttpError> {
//!     // Verify `token` against `scopes` here.
//!     Ok(scopes.scope_str())
//! }
//!
//! /// A route without security of its own.
//! #[utoipa::path(get, path = "/items")]
//! async fn items() -> &'static str {
//!     "items"
//! }
//!
//! #[requires_scopes("me")]
//! #[utoipa::path(get, path = "/me")]
//! async fn me(user: Security<current_user>) -> String {
//!     // "items me": the router's scope, then the handler's.
//!     user.into_inner()
//! }
//!
//! let api: OpenApiRouter = OpenApiRouter::new()
//!     .routes(routes!(items))
//!     .routes(routes!(me))
//!     .secure(router_security!(current_user, "items"), ());
//! let app: OpenApiRouter = OpenApiRouter::new().nest("/v1", api);
//! let (_router, document) = app.split_for_parts();
//! assert_eq!(
//!     axum_scopes::openapi::route_table(&document),
//!     "GET /v1/items  OAuth2PasswordBearer: items\n\
//!      GET /v1/me     OAuth2PasswordBearer: items me\n",
//! );
//! ```
//!
//! On a plain axum `Router` the requirement is enforced the same way; only the document of an
//! `OpenApiRouter` can show it. Each router requirement costs one resolution of its dependency
//! per request (a verified-token cache hit with `Authenticated`) and one small allocation to
//! carry its scopes to the handler.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use tower_layer::Layer;
use tower_service::Service;
use utoipa_axum::router::OpenApiRouter;

use crate::dependency::tree::{Param, RouterFrame, RouterFrames, ScopeChain, resolve};
use crate::dependency::{Dependency, Resolve};
use crate::scope::{Requirement, Scope};

pub use axum_scopes_macros::router_security;

/// A requirement on every route of a router: the dependency `D` under `scopes`. Made by
/// [`router_security!`], attached by [`SecureRouter::secure`].
pub struct RouterSecurity<D> {
    frame: RouterFrame,
    dependency: PhantomData<fn() -> D>,
}

impl<D> Clone for RouterSecurity<D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D> Copy for RouterSecurity<D> {}

impl<D> std::fmt::Debug for RouterSecurity<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterSecurity")
            .field("dependency", &std::any::type_name::<D>())
            .field("scopes", &self.frame.scopes)
            .field("requirements", &self.frame.requirements)
            .finish()
    }
}

impl<D: Dependency> RouterSecurity<D> {
    /// The requirement `scopes` and `requirements` on the dependency `D`; [`router_security!`]
    /// calls it once it has checked them.
    #[doc(hidden)]
    #[must_use]
    pub const fn __new(scopes: &'static [Scope], requirements: &'static [Requirement]) -> Self {
        Self {
            frame: RouterFrame {
                scopes,
                requirements,
            },
            dependency: PhantomData,
        }
    }

    /// The scopes the router requires, in order.
    #[must_use]
    pub const fn scopes(&self) -> &'static [Scope] {
        self.frame.scopes
    }

    /// The dependency and its scopes, as the OpenAPI pass reads them.
    fn params(&self) -> [Param; 1] {
        [Param::Dependency {
            info: &D::INFO,
            scopes: self.frame.scopes,
            requirements: self.frame.requirements,
            use_cache: false,
        }]
    }

    /// The layer that enforces the requirement, resolving `D` with `state`.
    #[must_use]
    pub fn layer<S>(self, state: S) -> RouterSecurityLayer<D, S> {
        RouterSecurityLayer {
            security: self,
            state,
        }
    }
}

/// Attaching a [`RouterSecurity`] to a router.
pub trait SecureRouter<S>: Sized {
    /// Requires `security` on every route of the router, resolving its dependency with `state`
    /// (the state the router is served with, or the part of it the dependency extracts from).
    /// On an `OpenApiRouter`, also documents it on every operation of the router.
    ///
    /// Like axum's `route_layer`, it applies to the routes added before it: call it after the
    /// routes.
    ///
    /// # Panics
    ///
    /// When the router has no routes yet (axum's `route_layer` refuses that, as the requirement
    /// would guard nothing).
    #[must_use]
    fn secure<D>(self, security: RouterSecurity<D>, state: S) -> Self
    where
        D: Resolve<S> + 'static;
}

impl<S> SecureRouter<S> for Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn secure<D>(self, security: RouterSecurity<D>, state: S) -> Self
    where
        D: Resolve<S> + 'static,
    {
        self.route_layer(security.layer(state))
    }
}

impl<S> SecureRouter<S> for OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn secure<D>(mut self, security: RouterSecurity<D>, state: S) -> Self
    where
        D: Resolve<S> + 'static,
    {
        crate::openapi::requirements::require_on_every_operation(
            self.get_openapi_mut(),
            &security.params(),
        );
        self.route_layer(security.layer(state))
    }
}

/// The [`Layer`] of a [`RouterSecurity`]: see [`RouterSecurity::layer`].
pub struct RouterSecurityLayer<D, S> {
    security: RouterSecurity<D>,
    state: S,
}

impl<D, S: Clone> Clone for RouterSecurityLayer<D, S> {
    fn clone(&self) -> Self {
        Self {
            security: self.security,
            state: self.state.clone(),
        }
    }
}

impl<D, S> std::fmt::Debug for RouterSecurityLayer<D, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterSecurityLayer")
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl<D, S: Clone, I> Layer<I> for RouterSecurityLayer<D, S> {
    type Service = RouterSecurityService<D, S, I>;

    fn layer(&self, inner: I) -> Self::Service {
        RouterSecurityService {
            security: self.security,
            state: self.state.clone(),
            inner,
        }
    }
}

/// The service of a [`RouterSecurityLayer`]: resolves the dependency, then calls the route.
pub struct RouterSecurityService<D, S, I> {
    security: RouterSecurity<D>,
    state: S,
    inner: I,
}

impl<D, S: Clone, I: Clone> Clone for RouterSecurityService<D, S, I> {
    fn clone(&self) -> Self {
        Self {
            security: self.security,
            state: self.state.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<D, S, I> std::fmt::Debug for RouterSecurityService<D, S, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterSecurityService")
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl<D, S, I> Service<Request> for RouterSecurityService<D, S, I>
where
    D: Resolve<S> + 'static,
    S: Clone + Send + Sync + 'static,
    I: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    I::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone that was polled ready serves this request (tower's rule for `call`).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let frame = self.security.frame;
        let state = self.state.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let outer = parts
                .extensions
                .get::<RouterFrames>()
                .map(|frames| Arc::clone(&frames.0));
            let outer: &[RouterFrame] = outer.as_deref().unwrap_or(&[]);
            let chain = ScopeChain::root_with(frame.scopes, frame.requirements).under(outer);
            if let Err(response) = resolve::<D, S>(&mut parts, &state, &chain, false).await {
                return Ok(response);
            }
            let frames: Arc<[RouterFrame]> = outer.iter().copied().chain([frame]).collect();
            parts.extensions.insert(RouterFrames(frames));
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}
