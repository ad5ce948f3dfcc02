//! The request log: one `tracing` event per request, from a small tower service wrapped once
//! around the whole router (not `Router::layer`, which wraps every route and so clones a boxed
//! service per request, nor tower-http's `TraceLayer`, which opens a span per request and wraps
//! the body; benchmarks/README.md has what each cost).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::response::Response;
use tower::Service;

/// Wraps a service (the router) and logs each request it answers: one event of target `access`
/// at info, `METHOD /path STATUS MICROSus`, where the path never carries the query (which may
/// hold credentials) and the time runs to the response's head.
#[derive(Clone)]
pub(crate) struct AccessLog<S>(pub(crate) S);

impl<S, B> Service<Request<B>> for AccessLog<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let started = Instant::now();
        let response = self.0.call(request);
        Box::pin(async move {
            let Ok(response) = response.await;
            tracing::info!(
                target: "access",
                "{method} {path} {status} {micros}us",
                path = uri.path(),
                status = response.status().as_u16(),
                micros = started.elapsed().as_micros(),
            );
            Ok(response)
        })
    }
}
