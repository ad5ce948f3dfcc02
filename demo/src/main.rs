//! Serves FastAPI's "OAuth2 scopes" tutorial on 127.0.0.1:8000 (`--host`, `--port`);
//! `--routes` prints each route with the scopes it requires instead.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum_scopes_demo::{AppState, DEFAULT_SECRET_KEY, PUBLIC_ROUTES, app, openapi};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: axum-scopes-demo [--host ADDR] [--port PORT] [--routes]\n\nServes FastAPI's OAuth2-scopes tutorial. --routes prints each route and the scopes it requires.\nSECRET_KEY sets the signing secret; RUST_LOG the log filter.";

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
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
    println!("axum-scopes demo on http://{addr}");
    // One log line per request, at info.
    let trace = TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let secret = std::env::var("SECRET_KEY")
        .ok()
        .filter(|secret| !secret.is_empty());
    if secret.is_none() {
        tracing::warn!(
            "SECRET_KEY is not set: signing tokens with the tutorial's published secret; set SECRET_KEY for anything but a demo"
        );
    }
    let secret = secret.as_deref().unwrap_or(DEFAULT_SECRET_KEY);
    let router = app(AppState::new(secret.as_bytes())).layer(trace);
    if let Err(error) = axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    {
        eprintln!("server error: {error}");
        std::process::exit(1);
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
