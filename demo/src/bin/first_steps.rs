//! FastAPI's "Security - First Steps": `/items/` answers the bearer token it was sent.
//! Serves on 127.0.0.1:8001 (`--port` to change).

use axum::routing::get;
use axum::{Json, Router};
use axum_scopes::BearerToken;

axum_scopes::oauth2_password_bearer! {
    /// The page's `oauth2_scheme`: no scopes.
    Oauth2 { token_url: "token", scopes: {} }
}

async fn read_items(token: BearerToken<Oauth2>) -> Json<serde_json::Value> {
    // Starlette decodes header bytes as Latin-1; so does this, byte for byte.
    let token: String = token.as_bytes().iter().copied().map(char::from).collect();
    Json(serde_json::json!({ "token": token }))
}

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
    let app = Router::new().route("/items/", get(read_items));
    if let Err(error) = axum::serve(listener, app).await {
        eprintln!("server error: {error}");
        std::process::exit(1);
    }
}
