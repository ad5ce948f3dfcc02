//! [`ServedIssuer`]: a [`TestIssuer`] answering OpenID discovery and its key set on 127.0.0.1,
//! so that an app's own `Issuer::discover` set-up is what a test exercises.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::TestIssuer;

impl TestIssuer {
    /// Serves this issuer's discovery document (`/.well-known/openid-configuration`) and key
    /// set (`/jwks`) over HTTP on a free port of 127.0.0.1, until the returned
    /// [`ServedIssuer`] is dropped. Its [`ServedIssuer::issuer`] is this issuer under the
    /// served URL (`http://127.0.0.1:<port>`), same key and audience.
    ///
    /// The URL is `http`: the app's builder needs
    /// [`dangerous::allow_http`](crate::dangerous::allow_http) for it, as for any local
    /// provider.
    ///
    /// # Errors
    ///
    /// The port could not be bound.
    pub async fn serve(&self) -> io::Result<ServedIssuer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let url = format!("http://{address}");
        let issuer = self.clone().with_issuer(url.clone());
        let discovery = serde_json::json!({
            "issuer": url,
            "jwks_uri": format!("{url}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [issuer.algorithm()],
        })
        .to_string();
        let jwks = issuer.jwks();
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { json(discovery) }),
            )
            .route("/jwks", get(move || async move { json(jwks) }));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(error) = serving.await {
                tracing::warn!(%error, "the test issuer stopped serving");
            }
        });
        Ok(ServedIssuer {
            issuer,
            address,
            stop: Some(stop),
            task,
        })
    }
}

/// A JSON answer.
fn json(body: String) -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "application/json")], body)
}

/// A [`TestIssuer`] served on 127.0.0.1 by [`TestIssuer::serve`]; stops serving when dropped.
#[derive(Debug)]
pub struct ServedIssuer {
    issuer: TestIssuer,
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ServedIssuer {
    /// The issuer under its served URL: the tokens it mints carry that `iss`.
    #[must_use]
    pub fn issuer(&self) -> &TestIssuer {
        &self.issuer
    }

    /// The issuer URL, `http://127.0.0.1:<port>` (no trailing `/`).
    #[must_use]
    pub fn url(&self) -> &str {
        self.issuer.iss()
    }

    /// The address served.
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// [`Issuer::discover`](crate::Issuer::discover) of this URL, with the issuer's audience:
    /// what an app configured for a real provider builds.
    #[cfg(feature = "jwks")]
    pub fn discover(&self) -> crate::Issuer {
        crate::Issuer::discover(self.url()).audience(self.issuer.audience())
    }
}

impl Drop for ServedIssuer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Connections kept alive by a client would hold a graceful shutdown open.
        self.task.abort();
    }
}
