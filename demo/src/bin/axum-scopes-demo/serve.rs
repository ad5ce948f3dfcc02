//! The demo's HTTP/1 server: axum's router on hyper, with what `axum::serve` does not offer.
//!
//! - A header-read timeout ([`HEADER_READ_TIMEOUT`] unless `--header-read-timeout` says
//!   otherwise): a client that has not sent a request's
//!   whole header block within it is disconnected, so clients trickling their headers a byte at
//!   a time cannot hold connections (and their buffers) forever. Idle keep-alive connections
//!   between requests are not cut.
//! - Graceful shutdown on SIGTERM or Ctrl-C: the listener closes at once, idle connections
//!   close, requests in flight (a login in bcrypt among them) finish, and the server returns
//!   within [`SHUTDOWN_GRACE`] whatever is left.
//!
//! This file stays while `axum::serve` cannot set the first. axum 0.8.9, the latest release,
//! gives hyper no timer, so no header-read timeout applies (and `with_graceful_shutdown` waits
//! for a trickling client forever). axum's main branch turns on hyper's default of 30 s
//! (tokio-rs/axum#3478) for its next breaking release, 0.9, not released yet; a timeout of the
//! demo's own choosing (`--header-read-timeout`, 1 s in its tests) also needs `axum::serve` to
//! let hyper's settings be configured, which no release does: tokio-rs/axum#3305 asks for it,
//! and pull request tokio-rs/axum#3484 is open. Once that ships,
//! `axum::serve(..).with_graceful_shutdown(..)` replaces this file, with [`SHUTDOWN_GRACE`] as
//! a `tokio::time::timeout` around it.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;

/// How long a client may take to send a request's headers, by default
/// (`--header-read-timeout`).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long requests in flight may take to finish after the shutdown signal.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` (the app's `Router`, or it wrapped in the request log) on `listener` until
/// SIGTERM or Ctrl-C, then shuts down gracefully.
pub(crate) async fn serve<S>(listener: TcpListener, router: S, header_timeout: Duration)
where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let mut signal = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of descriptors, say: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            () = &mut signal => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, finishing the requests in flight");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}: exiting anyway");
        }
    }
}

/// Ctrl-C, or SIGTERM where there are signals.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
