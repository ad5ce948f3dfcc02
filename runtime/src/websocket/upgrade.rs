//! [`WebSocketUpgrade`]: axum's upgrade extractor, with the request's accepted tokens to watch.

use std::borrow::Cow;
use std::future::Future;

use axum::extract::FromRequestParts;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::response::Response;
use http::HeaderValue;
use http::request::Parts;

use super::serve::serve;
use super::socket::WebSocket;
use super::watch::{Watched, watched};

/// The upgrade to a WebSocket that ends with its token: axum's
/// [`WebSocketUpgrade`](axum::extract::ws::WebSocketUpgrade), whose
/// [`on_upgrade`](Self::on_upgrade) hands the handler a [`WebSocket`] the crate closes when
/// the token that authenticated the request is no longer accepted (see [the module](super)).
///
/// Extraction fails as axum's does (not an upgrade request: 400, 405 or 426).
pub struct WebSocketUpgrade {
    inner: axum::extract::ws::WebSocketUpgrade,
    watched: Watched,
}

impl std::fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("selected_protocol", &self.inner.selected_protocol())
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = WebSocketUpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let inner = axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state).await?;
        Ok(Self {
            inner,
            watched: watched(parts),
        })
    }
}

impl WebSocketUpgrade {
    /// The subprotocols the server speaks, by preference: the first the client offered is
    /// selected (axum's `protocols`). A token offered as a subprotocol
    /// ([`WebSocketProtocol`](crate::credential::WebSocketProtocol)) never matches, so it is
    /// never echoed.
    #[must_use]
    pub fn protocols<I>(self, protocols: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Cow<'static, str>>,
    {
        self.configure(|inner| inner.protocols(protocols))
    }

    /// Applies `configure` to axum's upgrade: buffer and message sizes
    /// (`max_message_size`, `max_frame_size`, ...), the protocols.
    #[must_use]
    pub fn configure(
        mut self,
        configure: impl FnOnce(
            axum::extract::ws::WebSocketUpgrade,
        ) -> axum::extract::ws::WebSocketUpgrade,
    ) -> Self {
        self.inner = configure(self.inner);
        self
    }

    /// The subprotocol selected, if any.
    #[must_use]
    pub fn selected_protocol(&self) -> Option<&HeaderValue> {
        self.inner.selected_protocol()
    }

    /// Finishes the upgrade (101) and runs `callback` with the socket once it is open. The
    /// tokens accepted for this request are watched from then on: the socket is closed, and
    /// `callback`'s future dropped, when one of them is no longer accepted.
    pub fn on_upgrade<C, Fut>(self, callback: C) -> Response
    where
        C: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let watches = self.watched.take();
        self.inner
            .on_upgrade(move |socket| serve(socket, watches, callback))
    }
}
