//! Servers of the tests on 127.0.0.1.

use axum::Router;

/// Serves `router` on a free 127.0.0.1 port until the test's runtime ends; returns its base URL.
///
/// # Panics
///
/// When no port can be bound.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port is free");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}
