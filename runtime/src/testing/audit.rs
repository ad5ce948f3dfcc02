//! [`RouteAudit`]: the routes a test suite reached, documented or not, each asked again without
//! credentials.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::response::{IntoResponse as _, Response};
use http::{HeaderValue, Method, StatusCode, Uri, header};
use tower_layer::Layer;
use tower_service::Service;
use utoipa::openapi::OpenApi;

use crate::openapi::{self, UnsecuredRoutes};

/// The route audit of a test suite: sees every route the tests reach, also those the OpenAPI
/// document lacks (axum's own `Router::route`, `nest_service`, a fallback), and asks each again
/// without credentials.
///
/// [`openapi::assert_secure`] reads the OpenAPI document, so it cannot vouch for a route that
/// is not in it, and an axum `Router` cannot list its routes. A `RouteAudit` layered on the
/// router (`router.layer(audit.clone())`, which runs after routing and so sees each request's
/// route) records, for every route a request reached, one request that went there (the first
/// answered with success). [`RouteAudit::assert_secure`] then checks the document as
/// [`openapi::assert_secure`] does, and sends each recorded request again with its method,
/// URI and body but none of its headers except `Content-Type` and `Accept` (no
/// `Authorization`, `DPoP`, cookie or API key, wherever they were): a route that answers that
/// with success (2xx) or a redirection (3xx) and is not declared public is reported. The
/// answer is what counts, so a route guarded by hand-written code passes as well, and one
/// documented as secured but not enforced fails.
///
/// The audit sees what the tests reach: a route no test calls is not in it. A route that is
/// not secured runs a second time when asked again. The URI is sent as it was, query
/// included, so a route taking its token from the query string
/// ([`QueryToken`](crate::dangerous::QueryToken)) is asked with it and reported: list it in
/// `public` once a test has checked it refuses a request without the token. The recording takes a lock and buffers
/// each request's body; it exists only with the `test-util` feature.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use axum::{Router, body::Body, routing::get};
/// use axum_scopes::testing::RouteAudit;
/// use tower::ServiceExt;
///
/// # let openapi = utoipa::openapi::OpenApiBuilder::new().build();
/// // `openapi` documents no route: `/stats` is added with axum's own `Router::route`.
/// let audit = RouteAudit::new();
/// let app: Router = Router::new()
///     .route("/stats", get(|| async { "42 requests" }))
///     .route("/health", get(|| async { "ok" }))
///     .layer(audit.clone());
/// for uri in ["/stats", "/health"] {
///     let request = http::Request::get(uri).body(Body::empty()).unwrap();
///     app.clone().oneshot(request).await.unwrap();
/// }
///
/// let unsecured = audit.assert_secure(&app, &openapi, &["GET /health"]).await.unwrap_err();
/// assert_eq!(
///     unsecured.routes,
///     ["GET /stats (not in the OpenAPI document): answered 200 OK without credentials"]
/// );
/// # })
/// ```
#[derive(Clone, Default)]
pub struct RouteAudit {
    seen: Arc<Mutex<BTreeMap<(Method, String), Sample>>>,
}

impl std::fmt::Debug for RouteAudit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteAudit")
            .field("routes", &self.routes())
            .finish()
    }
}

/// One request that reached a route, as it is sent again.
#[derive(Clone)]
struct Sample {
    uri: Uri,
    content_type: Option<HeaderValue>,
    accept: Option<HeaderValue>,
    body: Bytes,
    succeeded: bool,
}

/// Marks the audit's own requests, which it does not record.
#[derive(Clone, Copy)]
struct AskedAgain;

impl RouteAudit {
    /// An audit that has seen nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The routes reached so far, as `METHOD path`, in order: the route's pattern
    /// (`/items/{id}`), or the request's path where axum tells no pattern (a `nest_service`,
    /// a fallback).
    #[must_use]
    pub fn routes(&self) -> Vec<String> {
        self.lock()
            .keys()
            .map(|(method, path)| format!("{method} {path}"))
            .collect()
    }

    /// The routes reached so far that `openapi` does not document.
    #[must_use]
    pub fn undocumented(&self, openapi: &OpenApi) -> Vec<String> {
        let documented = documented(openapi);
        self.routes()
            .into_iter()
            .filter(|route| !documented.contains(route))
            .collect()
    }

    /// Checks every route of `openapi` as [`openapi::assert_secure`] does, then sends one
    /// request of every route reached so far to `router` again without credentials (see
    /// [`RouteAudit`]): each that answers with success or a redirection and is not in `public`
    /// (as `"POST /token"`) is reported.
    ///
    /// # Errors
    ///
    /// [`UnsecuredRoutes`] naming each route the document leaves unsecured, and each route that
    /// answered without credentials, with its answer and whether the document lacks it.
    pub async fn assert_secure(
        &self,
        router: &Router,
        openapi: &OpenApi,
        public: &[&str],
    ) -> Result<(), UnsecuredRoutes> {
        let mut unsecured = openapi::assert_secure(openapi, public)
            .err()
            .map(|unsecured| unsecured.routes)
            .unwrap_or_default();
        let documented = documented(openapi);
        let seen: Vec<_> = self.lock().clone().into_iter().collect();
        for ((method, path), sample) in seen {
            let route = format!("{method} {path}");
            if public.contains(&route.as_str()) {
                continue;
            }
            let status = ask_again(router.clone(), method, sample).await;
            if status.is_success() || status.is_redirection() {
                let note = if documented.contains(&route) {
                    ""
                } else {
                    " (not in the OpenAPI document)"
                };
                unsecured.push(format!(
                    "{route}{note}: answered {status} without credentials"
                ));
            }
        }
        if unsecured.is_empty() {
            Ok(())
        } else {
            Err(UnsecuredRoutes { routes: unsecured })
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Method, String), Sample>> {
        // A panic while recording leaves the map whole: each change is one insert.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, method: Method, path: String, sample: Sample) {
        let mut seen = self.lock();
        let kept = seen.entry((method, path)).or_insert_with(|| sample.clone());
        if sample.succeeded && !kept.succeeded {
            *kept = sample;
        }
    }
}

/// The routes `openapi` documents, as `METHOD path`.
fn documented(openapi: &OpenApi) -> Vec<String> {
    openapi::routes(openapi)
        .into_iter()
        .map(|route| format!("{} {}", route.method, route.path))
        .collect()
}

/// `sample` sent to `router` without credentials: its status.
async fn ask_again(mut router: Router, method: Method, sample: Sample) -> StatusCode {
    let mut request = Request::new(Body::from(sample.body));
    *request.method_mut() = method;
    *request.uri_mut() = sample.uri;
    for (name, value) in [
        (header::CONTENT_TYPE, sample.content_type),
        (header::ACCEPT, sample.accept),
    ] {
        if let Some(value) = value {
            request.headers_mut().insert(name, value);
        }
    }
    request.extensions_mut().insert(AskedAgain);
    let Ok(()) = std::future::poll_fn(|cx| Service::<Request>::poll_ready(&mut router, cx)).await;
    let Ok(response) = router.call(request).await;
    response.status()
}

impl<S> Layer<S> for RouteAudit {
    type Service = Audited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Audited {
            inner,
            audit: self.clone(),
        }
    }
}

/// A route's service recording what reaches it for a [`RouteAudit`].
#[derive(Clone, Debug)]
pub struct Audited<S> {
    inner: S,
    audit: RouteAudit,
}

impl<S> Service<Request> for Audited<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The service that was polled ready answers; a clone stays for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let audit = self.audit.clone();
        Box::pin(async move {
            if request.extensions().get::<AskedAgain>().is_some() {
                return inner.call(request).await;
            }
            let path = request.extensions().get::<MatchedPath>().map_or_else(
                || request.uri().path().to_owned(),
                |path| path.as_str().to_owned(),
            );
            let (parts, body) = request.into_parts();
            let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    "the route audit could not read the request body",
                )
                    .into_response());
            };
            let mut sample = Sample {
                uri: parts.uri.clone(),
                content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
                accept: parts.headers.get(header::ACCEPT).cloned(),
                body: body.clone(),
                succeeded: false,
            };
            let method = parts.method.clone();
            let Ok(response) = inner
                .call(Request::from_parts(parts, Body::from(body)))
                .await;
            sample.succeeded = response.status().is_success();
            audit.record(method, path, sample);
            Ok(response)
        })
    }
}
