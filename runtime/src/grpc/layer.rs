//! The enforcing layer ([`Enforced`], built by [`enforce`]): every call checked against its
//! method's declaration by the crate's one evaluation, before the service sees it.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tonic::body::Body;
use tonic::server::NamedService;
use tower_service::Service;

use super::body::{Ending, WatchedBody, log_ended};
use super::caller::Caller;
use super::method::{GrpcMethod, GrpcService, Rule, rule_of};
use super::status;
use crate::credential::BearerHeader;
use crate::dependency::tree::ScopeChain;
use crate::guard::{authenticate_with, refused};
use crate::jwt::Authenticator;
use crate::rejection::{AuthError, CredentialKind};
use crate::scheme::SchemeInfo;

/// Builds the tonic server of `service` (`server`, such as `GreeterServer::new`) behind the
/// layer that enforces what `#[grpc]` declared of its methods, with `authenticator`.
///
/// Every call is checked before the service sees it, by the evaluation `Authenticated` uses:
/// the `Authorization: Bearer` (or `DPoP`) token verified (a verified-token cache hit when
/// seen before) and the method's scopes checked. A method marked `#[public]` is served without
/// a token; one with no declaration, and any path the service does not declare, is refused
/// with `PERMISSION_DENIED`. Refusals are `UNAUTHENTICATED` (no token, a bad one),
/// `PERMISSION_DENIED` (a missing scope), `INVALID_ARGUMENT` (malformed credentials) or
/// `UNAVAILABLE` (keys or revocations unavailable), with the `WWW-Authenticate` challenge of the
/// HTTP answer in the metadata, and logged as the handlers' are.
///
/// The caller is in the request's extensions as a [`Caller`]. A call still running when its
/// token expires or is revoked ends with `UNAUTHENTICATED` (a streaming response, with trailers),
/// and the service's future or stream is dropped.
pub fn enforce<T, S>(
    authenticator: &Authenticator,
    service: T,
    server: impl FnOnce(T::Guarded) -> S,
) -> Enforced<S>
where
    T: GrpcService,
{
    Enforced {
        inner: server(service.__guard()),
        shared: Arc::new(Shared {
            authenticator: authenticator.clone(),
            scheme: T::SCHEME,
            methods: T::METHODS,
        }),
    }
}

/// A tonic server behind its enforcing layer: a [`NamedService`] to add to tonic's `Routes`
/// (or an axum router) like the server itself. Built by [`enforce`].
pub struct Enforced<S> {
    inner: S,
    shared: Arc<Shared>,
}

struct Shared {
    authenticator: Authenticator,
    scheme: &'static SchemeInfo,
    methods: &'static [GrpcMethod],
}

impl<S: Clone> Clone for Enforced<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S> std::fmt::Debug for Enforced<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enforced")
            .field("scheme", &self.shared.scheme.name)
            .field("methods", &self.shared.methods)
            .finish_non_exhaustive()
    }
}

impl<S: NamedService> NamedService for Enforced<S> {
    const NAME: &'static str = S::NAME;
}

impl<S, B> Service<Request<B>> for Enforced<S>
where
    S: Service<Request<B>, Response = Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The clone that was made ready serves this call (tower's rule); the new one waits.
        let fresh = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, fresh);
        let shared = Arc::clone(&self.shared);
        Box::pin(async move { Ok(shared.call(ready, request).await) })
    }
}

impl Shared {
    async fn call<S, B>(&self, mut inner: S, request: Request<B>) -> Response<Body>
    where
        S: Service<Request<B>, Response = Response<Body>, Error = Infallible> + NamedService,
    {
        let (scopes, requirements) = match rule_of(S::NAME, self.methods, request.uri().path()) {
            Rule::Scoped {
                scopes,
                requirements,
            } => (scopes, requirements),
            Rule::Public => return served(inner.call(request).await),
            Rule::Undeclared => {
                tracing::info!(
                    target: "axum_scopes",
                    outcome = "refused",
                    reason = "undeclared_method",
                    scheme = self.scheme.name,
                    transport = "grpc",
                    "call to a method without a declared requirement refused"
                );
                return status::undeclared().into_http();
            }
        };
        let chain = ScopeChain::root_with(scopes, requirements);
        let (mut parts, body) = request.into_parts();
        let authenticator = &self.authenticator;
        let admitted = authenticate_with::<BearerHeader, ()>(
            &parts,
            authenticator,
            &chain,
            self.scheme,
            |_| Ok(()),
        )
        .await;
        let accepted = match admitted {
            Ok(Some(((), accepted))) => accepted,
            Ok(None) => {
                let missing = AuthError::missing_credentials(CredentialKind::BearerToken);
                let error = refused(missing, &chain, self.scheme.name);
                return status::refusal(error, authenticator.config()).into_http();
            }
            Err(error) => return status::refusal(error, authenticator.config()).into_http(),
        };
        parts.extensions.insert(Caller {
            accepted: Arc::clone(&accepted),
        });
        let mut ending = Ending::new(authenticator.clone(), accepted);
        let mut call = std::pin::pin!(inner.call(Request::from_parts(parts, body)));
        // The call first: one answered at once never starts the watch.
        let answered = poll_fn(|cx| match call.as_mut().poll(cx) {
            Poll::Ready(answer) => Poll::Ready(Ok(answer)),
            Poll::Pending => ending.poll(cx).map(Err),
        })
        .await;
        match answered {
            Ok(answer) => served(answer).map(|body| Body::new(WatchedBody::new(body, ending))),
            Err(error) => {
                log_ended(&error);
                status::ended(&error).into_http()
            }
        }
    }
}

/// The service's answer (its error is `Infallible`).
fn served(answer: Result<Response<Body>, Infallible>) -> Response<Body> {
    match answer {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
