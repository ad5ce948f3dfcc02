//! WebSockets that end with their token: [`WebSocketUpgrade`], axum's upgrade extractor with a
//! watch on the token that authenticated it, and the [`WebSocket`] it hands the handler.
//!
//! A `#[requires_scopes]` upgrade handler verifies the token and checks the scopes before the
//! upgrade, like any handler: a refused client gets its 401 or 403, never a 101. What a plain
//! axum upgrade cannot do is end the socket when the token does. Take this crate's
//! [`WebSocketUpgrade`] instead of axum's and the open socket is closed, without the
//! handler's cooperation (a handler that never reads is closed all the same), as soon as the
//! token that authenticated the upgrade would be refused by a new request:
//!
//! - at its expiry (`exp` plus the leeway), and
//! - when a revocation naming it reaches this replica
//!   ([`Revocations::subscribe`](crate::revocation::Revocations::subscribe): its own, or another
//!   replica's through Redis).
//!
//! (A key that left the key set is noticed at the next of those checks.)
//!
//! The check is the verifier's one admission, the same every request's token passes. The
//! socket is then closed with `1008` (policy violation; `1013`, try again later, while the
//! revocations cannot be vouched for) and the close reason is the
//! [`TokenError::reason`](crate::TokenError::reason) (`expired`, `revoked`): never the token.
//! The handler's future is dropped, and an `outcome = "closed"` event is logged (target
//! `axum_scopes`, info). When the peer leaves instead, the handler sees the end of its stream
//! and finishes, as on axum's own socket.
//!
//! ```
//! use axum::response::Response;
//! use axum_scopes::websocket::{Message, WebSocketUpgrade};
//! use axum_scopes::{Authenticated, requires_scopes};
//!
//! axum_scopes::oauth2_password_bearer! {
//!     /// The API's scheme.
//!     pub Api { token_url: "token", scopes: { "items" => "Read items." } }
//! }
//!
//! #[derive(Clone, serde::Deserialize)]
//! struct Claims {
//!     sub: String,
//! }
//!
//! /// Echoes each text message until the client leaves or the token ends.
//! #[requires_scopes("items")]
//! async fn items(claims: Authenticated<Claims, Api>, ws: WebSocketUpgrade) -> Response {
//!     let sub = claims.into_inner().sub;
//!     ws.on_upgrade(move |mut socket| async move {
//!         while let Some(Ok(Message::Text(text))) = socket.recv().await {
//!             let reply = format!("{sub}: {text}");
//!             if socket.send(Message::Text(reply.into())).await.is_err() {
//!                 break;
//!             }
//!         }
//!     })
//! }
//! ```
//!
//! **Which tokens are watched.** Every token accepted for the upgrade request by
//! [`Authenticated`](crate::Authenticated), [`AuthenticatedBy`](crate::AuthenticatedBy),
//! [`MaybeAuthenticated`](crate::MaybeAuthenticated) (also inside dependencies and router
//! requirements), in whichever order the extractors run; the socket ends with the first of
//! them refused. A request authenticated by other means (a dependency calling
//! `JwtKeys::verify_scoped` itself) leaves nothing to watch: the socket then lives as long as
//! its peer and handler.
//!
//! **Token sources.** The `Authorization` header (non-browser clients), the token cookie under
//! the CSRF rule (every cookie-authenticated upgrade must carry an allowed `Origin`: cross-site
//! WebSocket hijacking), and the subprotocol form browsers can send
//! ([`WebSocketProtocol`](crate::credential::WebSocketProtocol)). See the
//! [WebSockets chapter](crate::guide::credentials) of the guide.
//!
//! Requires the cargo feature `websocket`.

mod serve;
mod socket;
mod upgrade;
mod watch;

pub use self::socket::{SocketClosed, WebSocket};
pub use self::upgrade::WebSocketUpgrade;
pub use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, close_code};

pub(crate) use self::watch::record;
