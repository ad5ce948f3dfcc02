//! Serves FastAPI's "OAuth2 scopes" tutorial on 127.0.0.1:8000 (`--host`, `--port`);
//! `--routes` prints each route with the scopes it requires instead.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

mod log;
mod serve;

use axum::extract::Request;
use axum::http::{Method, Uri};
use axum::response::Response;
use axum_scopes_demo::{AppState, DEFAULT_SECRET_KEY, PUBLIC_ROUTES, app, openapi};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: axum-scopes-demo [--host ADDR] [--port PORT] [--header-read-timeout SECONDS] [--routes]\n\nServes FastAPI's OAuth2-scopes tutorial. --routes prints each route and the scopes it requires.\n--header-read-timeout (default 10) closes connections whose request headers take longer.\nSIGTERM or Ctrl-C: stop accepting, finish requests in flight (at most 10 s), exit 0.\nSECRET_KEY sets the signing secret; RUST_LOG the log filter.";

fn main() {
    // The log is written by a thread of its own (tracing-appender), in batches of up to 64 KiB,
    // so a request never waits on stdout; when the writer falls behind by more than its queue,
    // requests wait rather than lines being lost. Worker threads hand it their lines in chunks
    // (log.rs), flushed whenever a worker runs out of work and when it stops. The guard,
    // dropped after the runtime, writes what is left.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    let writer = log::Buffered::new(writer);
    writer.install();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .event_format(log::Line)
        .with_writer(writer.clone())
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(move || writer.start_buffering())
        .on_thread_park(log::flush_thread)
        .on_thread_stop(log::flush_thread)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            std::process::exit(1);
        }
    }
}

async fn run() {
    let (addr, header_timeout) = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Serve(addr, header_timeout)) => (addr, header_timeout),
        Ok(Command::Routes) => {
            print!("{}", axum_scopes::openapi::route_table(&openapi()));
            return;
        }
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    // Secure by default: every route is scoped, or public on purpose.
    if let Err(error) = axum_scopes::openapi::assert_secure(&openapi(), PUBLIC_ROUTES) {
        eprintln!("refusing to start: {error}");
        std::process::exit(1);
    }
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            std::process::exit(1);
        }
    };
    // The bound address: with `--port 0` the system picks the port.
    let addr = listener.local_addr().unwrap_or(addr);
    println!("axum-scopes demo on http://{addr}");
    let secret = std::env::var("SECRET_KEY")
        .ok()
        .filter(|secret| !secret.is_empty());
    if secret.is_none() {
        tracing::warn!(
            "SECRET_KEY is not set: signing tokens with the tutorial's published secret; set SECRET_KEY for anything but a demo"
        );
    }
    let secret = secret.as_deref().unwrap_or(DEFAULT_SECRET_KEY);
    let router = app(AppState::new(secret.as_bytes()));
    // The request log, unless `RUST_LOG` turns it off: then it costs nothing at all. Around the
    // whole router, not through `Router::layer`, which would box and clone it per route and
    // request.
    if tracing::enabled!(target: log::ACCESS_TARGET, tracing::Level::INFO) {
        serve::serve(listener, AccessLogService { inner: router }, header_timeout).await;
    } else {
        serve::serve(listener, router, header_timeout).await;
    }
}

/// The request log: one line per request, at info, with the method, the path (never the
/// query, which may carry credentials), the status and the time taken, in the format of the
/// demo's other events and under the target `axum_scopes_demo::access` (so `RUST_LOG` selects
/// it as if it were one). A service around the router rather than `middleware::from_fn`, whose
/// boxed future and service clone per request cost more than the line; the line is written by
/// `log::access` without tracing's dispatch (benchmarks/README.md measures what it costs).
#[derive(Clone)]
struct AccessLogService<S> {
    inner: S,
}

impl<S, B> tower::Service<Request<B>> for AccessLogService<S>
where
    S: tower::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = AccessLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        AccessLogFuture {
            start: Instant::now(),
            method: request.method().clone(),
            // A `Uri` clone shares its bytes: no copy of the path.
            uri: request.uri().clone(),
            inner: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// [`AccessLogService`]'s future: the inner one, and the line once it is ready.
    struct AccessLogFuture<F> {
        #[pin]
        inner: F,
        start: Instant,
        method: Method,
        uri: Uri,
    }
}

impl<F, E> Future for AccessLogFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            let at = Instant::now();
            log::access(&log::Access {
                method: this.method.as_str(),
                path: this.uri.path(),
                status: response.status().as_u16(),
                at,
                took: at.saturating_duration_since(*this.start),
            });
        }
        Poll::Ready(result)
    }
}

/// What the command line asks for.
enum Command {
    /// Where to listen, and the header-read timeout.
    Serve(SocketAddr, Duration),
    Routes,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 8000;
    let mut header_timeout = serve::HEADER_READ_TIMEOUT;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--host" => {
                let value = args.next().ok_or("--host needs an address")?;
                host = value
                    .parse()
                    .map_err(|_| format!("--host: `{value}` is not an IP address"))?;
            }
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port: `{value}` is not a port number"))?;
            }
            "--header-read-timeout" => {
                let value = args.next().ok_or("--header-read-timeout needs seconds")?;
                header_timeout = value
                    .parse()
                    .ok()
                    .filter(|&seconds| seconds > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        format!("--header-read-timeout: `{value}` is not a whole number of seconds above 0")
                    })?;
            }
            "--routes" => return Ok(Command::Routes),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Command::Serve(SocketAddr::new(host, port), header_timeout))
}
