//! FastAPI's "Security - First Steps": `/items/` answers the bearer token it was sent.
//! Serves on 127.0.0.1:8001 (`--port` to change).

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().init();
    let port = match std::env::args().skip_while(|arg| arg != "--port").nth(1) {
        Some(port) => port.parse().unwrap_or_else(|_| {
            eprintln!("--port: `{port}` is not a port number");
            std::process::exit(2);
        }),
        None => 8001,
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .unwrap_or_else(|error| {
            eprintln!("cannot listen on {addr}: {error}");
            std::process::exit(1);
        });
    println!("first steps on http://{addr}/items/");
    if let Err(error) = axum::serve(listener, axum_scopes_demo::first_steps::app()).await {
        eprintln!("server error: {error}");
        std::process::exit(1);
    }
}
