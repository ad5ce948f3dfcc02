//! A bearer token offered as a WebSocket subprotocol: [`WebSocketProtocol`], what a browser
//! can send.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::SEC_WEBSOCKET_PROTOCOL;
use http::request::Parts;

use super::{CredentialSource, Location, RawCredential};
use crate::rejection::{AuthError, CredentialKind, InvalidRequest};

/// What starts the subprotocol that carries a token: `base64url.bearer.` and then the token,
/// base64url-encoded without padding.
pub const TOKEN_PROTOCOL_PREFIX: &str = "base64url.bearer.";

/// A bearer token offered in `Sec-WebSocket-Protocol` (RFC 6455 §4.1), the one place a
/// browser's `new WebSocket(url, protocols)` lets a page put a credential of its choosing.
///
/// The page offers its application protocol and the token as a second one:
///
/// ```js
/// const b64 = btoa(token).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
/// new WebSocket("wss://api.example.com/items", ["chat", "base64url.bearer." + b64]);
/// ```
///
/// The token is base64url-encoded because a subprotocol is an HTTP token (RFC 7230 §3.2.6),
/// which a token with `/`, `+` or `=` is not; the encoding is the Kubernetes API server's
/// (`base64url.bearer.authorization.k8s.io.`), without its vendor suffix. The server answers
/// with the application protocol only (axum's `WebSocketUpgrade::protocols(["chat"])` picks
/// from the offered list, which the token never matches), so the token is not echoed back;
/// offer an application protocol, since a browser fails an upgrade whose answer names none
/// of those offered. A query-string token stays out: URLs are logged.
///
/// Unlike a cookie, the browser never adds it by itself, so the CSRF rule does not apply. Two
/// token protocols, or one that is not base64url, are an `invalid_request`.
#[derive(Debug)]
pub enum WebSocketProtocol {}

impl CredentialSource for WebSocketProtocol {
    const KIND: CredentialKind = CredentialKind::BearerToken;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        let invalid = |reason| AuthError::invalid_request(Self::KIND, reason);
        let mut found = None;
        for value in parts.headers.get_all(SEC_WEBSOCKET_PROTOCOL) {
            let Ok(protocols) = value.to_str() else {
                continue;
            };
            for protocol in protocols.split(',').map(str::trim) {
                let Some(encoded) = protocol.strip_prefix(TOKEN_PROTOCOL_PREFIX) else {
                    continue;
                };
                if found.is_some() {
                    return Err(invalid(InvalidRequest::RepeatedCredential));
                }
                let token = URL_SAFE_NO_PAD
                    .decode(encoded)
                    .map_err(|_| invalid(InvalidRequest::MalformedProtocol))?;
                found = Some(token);
            }
        }
        Ok(found
            .filter(|token| !token.is_empty())
            .map(|token| RawCredential::new(Cow::Owned(token), Location::WebSocketProtocol)))
    }
}
