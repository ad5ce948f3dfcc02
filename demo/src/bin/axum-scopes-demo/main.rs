//! Serves FastAPI's "OAuth2 scopes" tutorial on 127.0.0.1:8000 (`--host`, `--port`);
//! `--routes` prints each route with the scopes it requires instead.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

mod log;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum_scopes_demo::{AppState, DEFAULT_SECRET_KEY, PUBLIC_ROUTES, app, openapi};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: axum-scopes-demo [--host ADDR] [--port PORT] [--routes]\n\nServes FastAPI's OAuth2-scopes tutorial. --routes prints each route and the scopes it requires.\nSECRET_KEY sets the signing secret; RUST_LOG the log filter.";

/// How long in-flight requests (a login in bcrypt among them) may take to finish after
/// SIGTERM or Ctrl-C before the demo exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() {
    // The log is written by a thread of its own (tracing-appender), in batches of up to 64 KiB,
    // so a request never waits on stdout; when the writer falls behind by more than its queue,
    // requests wait rather than lines being lost. The guard flushes what is left when `main`
    // returns.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .event_format(log::Line)
        .with_writer(writer)
        .init();
    let addr = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Serve(addr)) => addr,
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
    let router = app(AppState::new(secret.as_bytes())).layer(middleware::from_fn(access_log));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(());
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections, finishing the requests in flight");
        let _ = stop_tx.send(());
    });
    let grace = async move {
        let mut stop_rx = stop_rx;
        let _ = stop_rx.changed().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = server => {
            if let Err(error) = result {
                eprintln!("server error: {error}");
                std::process::exit(1);
            }
        }
        () = grace => {
            tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}: exiting anyway");
        }
    }
}

/// The request log: one event per request, at info, with the method, the path (never the
/// query, which may carry credentials), the status and the time taken. One event and no span,
/// so the log costs little beside the request (benchmarks/README.md measures it).
async fn access_log(request: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let method = request.method().clone();
    // A `Uri` clone shares its bytes: no copy of the path.
    let uri = request.uri().clone();
    let response = next.run(request).await;
    tracing::info!(
        target: "axum_scopes_demo::access",
        method = %method,
        path = uri.path(),
        status = response.status().as_u16(),
        micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    response
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

/// What the command line asks for.
enum Command {
    Serve(SocketAddr),
    Routes,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut host = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 8000;
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
            "--routes" => return Ok(Command::Routes),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Command::Serve(SocketAddr::new(host, port)))
}
