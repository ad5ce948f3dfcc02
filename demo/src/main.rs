//! Serves FastAPI's "OAuth2 scopes" tutorial on 127.0.0.1:8000 (`--host`, `--port`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum_scopes_demo::{AppState, app};
use tower_http::trace::TraceLayer;
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: axum-scopes-demo [--host ADDR] [--port PORT]\n\nServes FastAPI's OAuth2-scopes tutorial. SECRET_KEY sets the signing secret; RUST_LOG the log filter.";

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=debug")),
        )
        .init();
    let addr = match parse_args(std::env::args().skip(1)) {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {addr}: {error}");
            std::process::exit(1);
        }
    };
    println!("axum-scopes demo on http://{addr}");
    let router = app(AppState::from_env()).layer(TraceLayer::new_for_http());
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

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SocketAddr, String> {
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
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(SocketAddr::new(host, port))
}
