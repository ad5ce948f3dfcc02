//! Serves FastAPI's "OAuth2 scopes" tutorial on 127.0.0.1:8000 (`--host`, `--port`);
//! `--routes` prints each route with the scopes it requires instead.

use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

mod access_log;
mod serve;

use axum_scopes_demo::{AppState, DEFAULT_SECRET_KEY, PUBLIC_ROUTES, app, openapi};
use tracing::Level;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: axum-scopes-demo [--host ADDR] [--port PORT] [--header-read-timeout SECONDS] [--routes]\n\nServes FastAPI's OAuth2-scopes tutorial. --routes prints each route and the scopes it requires.\n--header-read-timeout (default 10) closes connections whose request headers take longer.\nSIGTERM or Ctrl-C: stop accepting, finish requests in flight (at most 10 s), exit 0.\nSECRET_KEY sets the signing secret; RUST_LOG the log filter (default info: a line per request; warn: none).";

#[tokio::main]
async fn main() {
    // The log is written to stdout by a thread of its own (tracing-appender), so a request never
    // waits on the terminal or the pipe; that thread writes what is queued in one go and flushes
    // when the queue is empty. Not lossy: when it falls behind, requests wait rather than lines
    // being lost. The guard writes what is left when `main` returns, after the graceful shutdown.
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::BufWriter::new(std::io::stdout()));
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(writer)
        .init();
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
    // The request log (access_log.rs): one event per request, left out when `RUST_LOG` turns
    // it off, so `RUST_LOG=warn` costs nothing per request.
    if tracing::enabled!(target: "access", Level::INFO) {
        serve::serve(listener, access_log::AccessLog(router), header_timeout).await;
    } else {
        serve::serve(listener, router, header_timeout).await;
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
