//! The socket a watched upgrade hands its handler ([`WebSocket`]): axum's socket API over the
//! two channels of the task that owns the real connection.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::ws::Message;
use futures_util::{Sink, Stream};
use http::HeaderValue;
use tokio::sync::mpsc;
use tokio_util::sync::PollSender;

/// A WebSocket whose token is watched: what [`WebSocketUpgrade::on_upgrade`] hands the
/// handler, with the methods and traits of axum's
/// [`WebSocket`](axum::extract::ws::WebSocket) (`recv`, `send`, [`Stream`], [`Sink`], so
/// `StreamExt::split` works too).
///
/// The connection itself is held by the crate, which closes it when the token is no longer
/// accepted (see [the module](super)); from then on [`recv`](Self::recv) yields `None` and
/// [`send`](Self::send) fails with [`SocketClosed`]. Messages pass through a buffer of 16
/// each way; a flushed message has been handed to the connection's task, not yet written.
///
/// [`WebSocketUpgrade::on_upgrade`]: super::WebSocketUpgrade::on_upgrade
pub struct WebSocket {
    incoming: mpsc::Receiver<Result<Message, axum::Error>>,
    outgoing: PollSender<Message>,
    protocol: Option<HeaderValue>,
}

/// The error of a send on a [`WebSocket`] that is closed: by its peer, by its handler, or
/// because its token is no longer accepted.
#[derive(Debug, thiserror::Error)]
#[error("the WebSocket is closed")]
pub struct SocketClosed;

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    pub(super) fn new(
        incoming: mpsc::Receiver<Result<Message, axum::Error>>,
        outgoing: mpsc::Sender<Message>,
        protocol: Option<HeaderValue>,
    ) -> Self {
        Self {
            incoming,
            outgoing: PollSender::new(outgoing),
            protocol,
        }
    }

    /// The next message; `None` once the socket is closed.
    pub async fn recv(&mut self) -> Option<Result<Message, axum::Error>> {
        self.incoming.recv().await
    }

    /// Sends `message`.
    ///
    /// # Errors
    ///
    /// [`SocketClosed`] (as an [`axum::Error`]) once the socket is closed.
    pub async fn send(&mut self, message: Message) -> Result<(), axum::Error> {
        futures_util::SinkExt::send(self, message).await
    }

    /// The subprotocol the upgrade selected, if any.
    #[must_use]
    pub fn protocol(&self) -> Option<&HeaderValue> {
        self.protocol.as_ref()
    }
}

fn closed() -> axum::Error {
    axum::Error::new(SocketClosed)
}

impl Stream for WebSocket {
    type Item = Result<Message, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.incoming.poll_recv(cx)
    }
}

impl Sink<Message> for WebSocket {
    type Error = axum::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.outgoing.poll_reserve(cx).map_err(|_| closed())
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Self::Error> {
        self.outgoing.send_item(message).map_err(|_| closed())
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.outgoing.close();
        Poll::Ready(Ok(()))
    }
}
