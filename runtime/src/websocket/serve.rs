//! The task that owns a watched connection ([`serve`]): it runs the handler on a
//! [`WebSocket`] of channels, carries messages both ways, and closes the connection when the
//! watch ends.

use std::future::Future;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket as Connection, close_code};
use futures_util::stream::SplitStream;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;

use super::socket::WebSocket;
use crate::jwt::TokenError;
use crate::watch::{Watch, ended};

/// How many messages wait each way between the handler and the connection.
const BUFFER: usize = 16;

/// How long a close frame may take to be written before the connection is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `callback` on a [`WebSocket`] over `connection` until both are done, or until one of
/// `watches` is refused: then the connection is closed with a policy-violation close frame
/// and the handler's future is dropped.
pub(super) async fn serve<C, Fut>(connection: Connection, watches: Vec<Watch>, callback: C)
where
    C: FnOnce(WebSocket) -> Fut,
    Fut: Future<Output = ()>,
{
    let (incoming, handler_incoming) = mpsc::channel(BUFFER);
    let (handler_outgoing, outgoing) = mpsc::channel(BUFFER);
    let socket = WebSocket::new(
        handler_incoming,
        handler_outgoing,
        connection.protocol().cloned(),
    );
    let handler = callback(socket);
    let carry = carry(connection, incoming, outgoing, ended(watches));
    tokio::pin!(handler, carry);
    tokio::select! {
        () = &mut handler => {
            // What the handler sent is written, then the connection closed.
            carry.await;
        }
        refused = &mut carry => {
            // Closed by the peer: the handler sees the end of the stream and finishes as it
            // would on axum's socket. Closed by the watch: the handler is dropped.
            if !refused {
                handler.await;
            }
        }
    }
}

/// Carries messages between `connection` and the handler's channels until the peer or the
/// handler is done (then closes the connection), or until `end` resolves (then closes it with
/// the refusal, logged). Whether it was `end`.
async fn carry(
    connection: Connection,
    incoming: mpsc::Sender<Result<Message, axum::Error>>,
    mut outgoing: mpsc::Receiver<Message>,
    end: impl Future<Output = TokenError>,
) -> bool {
    let (mut sink, mut stream) = connection.split();
    tokio::pin!(end);
    let refused = loop {
        tokio::select! {
            biased;
            error = &mut end => break Some(error),
            // Before reading: what the handler sent before it finished is written.
            message = outgoing.recv() => {
                let Some(message) = message else { break None };
                let closing = matches!(message, Message::Close(_));
                tokio::select! {
                    biased;
                    error = &mut end => break Some(error),
                    sent = sink.send(message) => if sent.is_err() || closing { break None },
                }
            }
            read = next(&incoming, &mut stream) => match read {
                Some((permit, Some(message))) => {
                    let failed = message.is_err();
                    permit.send(message);
                    if failed {
                        break None;
                    }
                }
                // The handler stopped reading for good, or the peer is gone.
                Some((_, None)) | None => break None,
            },
        }
    };
    let goodbye = async {
        if let Some(error) = &refused {
            tracing::info!(
                target: "axum_scopes",
                outcome = "closed",
                reason = error.reason(),
                "WebSocket closed: its token is no longer accepted"
            );
            let code = match error {
                TokenError::RevocationsUnavailable => close_code::AGAIN,
                _ => close_code::POLICY,
            };
            let frame = CloseFrame {
                code,
                reason: error.reason().into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        let _ = sink.close().await;
    };
    // A peer that does not read cannot hold the task.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, goodbye).await;
    refused.is_some()
}

/// The next message of `stream`, once the handler has room for it: `None` when the handler
/// dropped its socket.
async fn next<'a>(
    incoming: &'a mpsc::Sender<Result<Message, axum::Error>>,
    stream: &mut SplitStream<Connection>,
) -> Option<(
    mpsc::Permit<'a, Result<Message, axum::Error>>,
    Option<Result<Message, axum::Error>>,
)> {
    let permit = incoming.reserve().await.ok()?;
    Some((permit, stream.next().await))
}
