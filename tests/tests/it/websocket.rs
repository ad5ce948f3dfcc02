//! WebSockets behind the same declarations (a first step of the transports issue): a
//! `#[requires_scopes]` upgrade handler with `Authenticated` verifies the token and checks the
//! scopes before the upgrade, so a refused client gets its 401/403 and never a 101; a real
//! client (tokio-tungstenite) against a real server on 127.0.0.1. Browsers cannot set an
//! `Authorization` header on a WebSocket: the token cookie works, under the CSRF rule, which
//! holds for every cookie-authenticated upgrade (an allowed `Origin`). With the crate's
//! `WebSocketUpgrade`, an open socket is closed (1008) when its token expires or is revoked, on
//! this replica or another sharing Redis, even when its handler never reads.

use axum::Router;
use axum::response::{Html, Response};
use axum::routing::get;
use axum_scopes::credential::{
    AuthConfig, BearerHeader, CredentialName, CsrfPolicy, TOKEN_PROTOCOL_PREFIX, TokenCookie,
    WebSocketProtocol,
};
use axum_scopes::dangerous::QueryToken;
use axum_scopes::dpop::Dpop;
use axum_scopes::jwt::Key;
use axum_scopes::revocation::{RedisOptions, Revocation, RevocationOptions, Revocations};
use axum_scopes::websocket::{Message, WebSocketUpgrade};
use axum_scopes::{Authenticated, AuthenticatedBy, Authenticator, Issuer, requires_scopes};
use axum_scopes_tests::browser::{until, walk};
use axum_scopes_tests::redis::RedisServer;
use axum_scopes_tests::server::serve;
use axum_scopes_tests::token::{mint, now};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

axum_scopes::oauth2_password_bearer! {
    /// The scheme of the sockets.
    pub(crate) Api { token_url: "token", scopes: { "items" => "Read items.", "admin" => "Administer." } }
}

/// The token cookie's name.
pub(crate) struct Session;

impl CredentialName for Session {
    const NAME: &'static str = "session";
}

#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

/// Echoes each text message, prefixed with the caller.
fn echo(ws: WebSocketUpgrade, sub: String) -> Response {
    ws.on_upgrade(move |mut socket| async move {
        while let Some(Ok(Message::Text(text))) = socket.recv().await {
            let reply = format!("{sub}: {text}");
            if socket.send(Message::Text(reply.into())).await.is_err() {
                break;
            }
        }
    })
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Api>, ws: WebSocketUpgrade) -> Response {
    echo(ws, claims.into_inner().sub)
}

#[requires_scopes("admin")]
async fn admin(claims: Authenticated<Claims, Api>, ws: WebSocketUpgrade) -> Response {
    echo(ws, claims.into_inner().sub)
}

/// For browsers: the token as a subprotocol (or, for other clients, the header); the answer
/// names the application protocol only.
#[requires_scopes("items")]
async fn by_protocol(
    claims: AuthenticatedBy<Claims, Api, (BearerHeader, WebSocketProtocol)>,
    ws: WebSocketUpgrade,
) -> Response {
    echo(ws.protocols(["chat"]), claims.into_inner().sub)
}

/// The query parameter of `dangerous::QueryToken`.
struct AccessTokenParam;

impl CredentialName for AccessTokenParam {
    const NAME: &'static str = "access_token";
}

/// Only through `dangerous`: the token in the URL.
#[requires_scopes("items")]
async fn by_query(
    claims: AuthenticatedBy<Claims, Api, QueryToken<AccessTokenParam>>,
    ws: WebSocketUpgrade,
) -> Response {
    echo(ws, claims.into_inner().sub)
}

#[requires_scopes("items")]
async fn by_cookie(
    claims: AuthenticatedBy<Claims, Api, TokenCookie<Session>>,
    ws: WebSocketUpgrade,
) -> Response {
    echo(ws, claims.into_inner().sub)
}

/// How many `/farewell` handlers have seen their peer leave.
static FAREWELLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Reads until the peer leaves, then counts it: work a handler does after the end of its
/// stream, which must not be cut short.
#[requires_scopes("items")]
async fn farewell(_claims: Authenticated<Claims, Api>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        while let Some(Ok(_)) = socket.recv().await {}
        tokio::time::sleep(Duration::from_millis(50)).await;
        FAREWELLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    })
}

/// Holds the socket and never reads it; the upgrade extractor comes before the guard.
#[requires_scopes("items")]
async fn idle(ws: WebSocketUpgrade, _claims: Authenticated<Claims, Api>) -> Response {
    ws.on_upgrade(|socket| async move {
        let _held = socket;
        std::future::pending::<()>().await;
    })
}

const SECRET: &[u8] = axum_scopes_demo::DEFAULT_SECRET_KEY.as_bytes();

async fn server() -> String {
    server_with(None, None).await
}

async fn server_with(dpop: Option<Dpop>, revocations: Option<Revocations>) -> String {
    let key = Key::secret(SECRET, &[axum_scopes::jsonwebtoken::Algorithm::HS256]).unwrap();
    let mut builder = Authenticator::builder();
    if let Some(dpop) = dpop {
        builder = builder.dpop(dpop);
    }
    if let Some(revocations) = revocations {
        builder = builder.revocations(revocations);
    }
    let authenticator = builder
        .issuer(Issuer::any().key(key))
        .auth_config(
            AuthConfig::new().with_csrf(CsrfPolicy::new().allow_origin("https://app.example")),
        )
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .route("/items", get(items))
        .route("/admin", get(admin))
        .route("/cookie", get(by_cookie))
        .route("/protocol", get(by_protocol))
        .route("/idle", get(idle))
        .route("/farewell", get(farewell))
        .route("/query", get(by_query))
        .route(
            "/page",
            get(|| async { Html("<!doctype html><title>sockets</title>") }),
        )
        .with_state(authenticator);
    serve(app).await
}

fn token(scopes: &str) -> String {
    mint(&json!({ "sub": "ann", "scope": scopes, "exp": now() + 60 }))
}

/// Connects to `url` with `headers`: the open socket, or the refusal's status.
async fn connect(
    url: &str,
    headers: &[(&str, &str)],
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, response)) => {
            assert_eq!(response.status(), 101);
            Ok(socket)
        }
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn an_upgrade_is_authorized_before_it_happens() {
    let base = server().await.replace("http://", "ws://");
    let items = format!("{base}/items");
    let bearer = format!("Bearer {}", token("items"));
    let mut socket = connect(&items, &[("authorization", &bearer)])
        .await
        .unwrap();
    socket.send(WsMessage::text("hello")).await.unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(reply.into_text().unwrap().as_str(), "ann: hello");
    // No token, a forged one, an expired one, a missing scope: refused, never upgraded.
    assert_eq!(connect(&items, &[]).await.err(), Some(401));
    let forged = format!("Bearer {}x", token("items"));
    assert_eq!(
        connect(&items, &[("authorization", &forged)]).await.err(),
        Some(401)
    );
    let expired = mint(&json!({ "sub": "ann", "scope": "items", "exp": now() - 10 }));
    let expired = format!("Bearer {expired}");
    assert_eq!(
        connect(&items, &[("authorization", &expired)]).await.err(),
        Some(401)
    );
    let admin = format!("{base}/admin");
    assert_eq!(
        connect(&admin, &[("authorization", &bearer)]).await.err(),
        Some(403)
    );
}

#[tokio::test]
async fn a_cookie_upgrade_needs_an_allowed_origin() {
    let base = server().await.replace("http://", "ws://");
    let url = format!("{base}/cookie");
    let cookie = format!("session={}", token("items"));
    let mut socket = connect(
        &url,
        &[("cookie", &cookie), ("origin", "https://app.example")],
    )
    .await
    .unwrap();
    socket.send(WsMessage::text("hi")).await.unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(reply.into_text().unwrap().as_str(), "ann: hi");
    // Another site's page, or no origin at all: 403 before any upgrade.
    assert_eq!(
        connect(
            &url,
            &[("cookie", &cookie), ("origin", "https://evil.example")]
        )
        .await
        .err(),
        Some(403)
    );
    assert_eq!(connect(&url, &[("cookie", &cookie)]).await.err(), Some(403));
}

/// `base64url.bearer.<token>`, as a browser page would offer it.
fn token_protocol(token: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token);
    format!("{TOKEN_PROTOCOL_PREFIX}{encoded}")
}

#[tokio::test]
async fn a_browser_offers_its_token_as_a_subprotocol_which_is_never_echoed() {
    let base = server().await.replace("http://", "ws://");
    let url = format!("{base}/protocol");
    let offered = format!("chat, {}", token_protocol(&token("items")));
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", offered.parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    socket.send(WsMessage::text("hey")).await.unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(reply.into_text().unwrap().as_str(), "ann: hey");
    // A missing scope, no token, a token that is not base64url, two tokens, a token in both
    // places: refused before the upgrade.
    let lacking = format!("chat, {}", token_protocol(&token("other")));
    assert_eq!(
        connect(&url, &[("sec-websocket-protocol", &lacking)])
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        connect(&url, &[("sec-websocket-protocol", "chat")])
            .await
            .err(),
        Some(401)
    );
    let garbled = format!("chat, {TOKEN_PROTOCOL_PREFIX}not*base64");
    assert_eq!(
        connect(&url, &[("sec-websocket-protocol", &garbled)])
            .await
            .err(),
        Some(400)
    );
    let twice = format!("chat, {0}, {0}", token_protocol(&token("items")));
    assert_eq!(
        connect(&url, &[("sec-websocket-protocol", &twice)])
            .await
            .err(),
        Some(400)
    );
    let bearer = format!("Bearer {}", token("items"));
    let offered = format!("chat, {}", token_protocol(&token("items")));
    assert_eq!(
        connect(
            &url,
            &[
                ("sec-websocket-protocol", &offered),
                ("authorization", &bearer)
            ]
        )
        .await
        .err(),
        Some(400)
    );
}

/// With DPoP only, a bearer token is no credential wherever it travels: not in a subprotocol,
/// not in a cookie.
#[tokio::test]
async fn dpop_only_refuses_bearer_tokens_in_every_place() {
    let dpop = Dpop::new("http://api.test").unwrap().dpop_only();
    let base = server_with(Some(dpop), None)
        .await
        .replace("http://", "ws://");
    let offered = format!("chat, {}", token_protocol(&token("items")));
    let url = format!("{base}/protocol");
    assert_eq!(
        connect(&url, &[("sec-websocket-protocol", &offered)])
            .await
            .err(),
        Some(401)
    );
    let cookie = format!("session={}", token("items"));
    let url = format!("{base}/cookie");
    assert_eq!(
        connect(
            &url,
            &[("cookie", &cookie), ("origin", "https://app.example")]
        )
        .await
        .err(),
        Some(401)
    );
}

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Waits (at most `within`) for the server's close frame, answering nothing; its code and
/// reason.
async fn close_frame(socket: &mut Client, within: Duration) -> (CloseCode, String) {
    let read = async {
        loop {
            match socket.next().await {
                Some(Ok(WsMessage::Close(Some(frame)))) => {
                    return (frame.code, frame.reason.as_str().to_owned());
                }
                Some(Ok(WsMessage::Close(None))) | None => panic!("closed without a frame"),
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("{error}"),
            }
        }
    };
    tokio::time::timeout(within, read)
        .await
        .expect("no close frame in time")
}

#[tokio::test]
async fn a_socket_whose_handler_never_reads_is_closed_when_its_token_expires() {
    let base = server().await.replace("http://", "ws://");
    let exp = now() + 2;
    let token = mint(&json!({ "sub": "ann", "scope": "items", "exp": exp }));
    let bearer = format!("Bearer {token}");
    let opened = Instant::now();
    let mut socket = connect(&format!("{base}/idle"), &[("authorization", &bearer)])
        .await
        .unwrap();
    let (code, reason) = close_frame(&mut socket, Duration::from_secs(6)).await;
    assert_eq!((code, reason.as_str()), (CloseCode::Policy, "expired"));
    // Not before the token ended (`exp` is a whole second; refused from the next one).
    assert!(now() > exp, "closed at {} for exp {exp}", now());
    assert!(opened.elapsed() < Duration::from_secs(5));
    // A token good for a minute keeps its echo socket open meanwhile.
    let long = format!("Bearer {}", token_with_jti("items", "long"));
    let mut open = connect(&format!("{base}/items"), &[("authorization", &long)])
        .await
        .unwrap();
    open.send(WsMessage::text("still")).await.unwrap();
    let reply = open.next().await.unwrap().unwrap();
    assert_eq!(reply.into_text().unwrap().as_str(), "ann: still");
}

/// A revocable token (`jti`, `iat`) good for a minute.
fn token_with_jti(scopes: &str, jti: &str) -> String {
    mint(&json!({ "sub": "ann", "scope": scopes, "jti": jti, "iat": now(), "exp": now() + 60 }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_is_closed_when_its_token_is_revoked_on_another_replica() {
    let redis = RedisServer::start();
    let replica = || {
        let options = RedisOptions::new(redis.url()).currency_bound(Duration::from_secs(1));
        Revocations::redis(options, RevocationOptions::default()).unwrap()
    };
    let (here, there) = (replica(), replica());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(here.is_current() && there.is_current()) {
        assert!(Instant::now() < deadline, "replicas did not synchronise");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let base = server_with(None, Some(here))
        .await
        .replace("http://", "ws://");
    let doomed = format!("Bearer {}", token_with_jti("items", "doomed"));
    let kept = format!("Bearer {}", token_with_jti("items", "kept"));
    let mut idle = connect(&format!("{base}/idle"), &[("authorization", &doomed)])
        .await
        .unwrap();
    let mut echo = connect(&format!("{base}/items"), &[("authorization", &doomed)])
        .await
        .unwrap();
    let mut other = connect(&format!("{base}/items"), &[("authorization", &kept)])
        .await
        .unwrap();
    echo.send(WsMessage::text("before")).await.unwrap();
    let reply = echo.next().await.unwrap().unwrap();
    assert_eq!(reply.into_text().unwrap().as_str(), "ann: before");
    // Revoked through the other replica's handle: this one learns it through Redis.
    there
        .revoke(Revocation::token("", "doomed", now() + 60))
        .await
        .unwrap();
    for socket in [&mut idle, &mut echo] {
        let (code, reason) = close_frame(socket, Duration::from_secs(2)).await;
        assert_eq!((code, reason.as_str()), (CloseCode::Policy, "revoked"));
    }
    // Another token's socket is untouched; the revoked token cannot open a new one.
    other.send(WsMessage::text("after")).await.unwrap();
    let reply = other.next().await.unwrap().unwrap();
    assert_eq!(reply.into_text().unwrap().as_str(), "ann: after");
    assert_eq!(
        connect(&format!("{base}/items"), &[("authorization", &doomed)])
            .await
            .err(),
        Some(401)
    );
}

/// In Chromium: a page opens a WebSocket with the subprotocol form (the one credential a page
/// can put on it), talks over it, and sees it closed with 1008 `expired` when its token ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_page_opens_a_socket_with_its_token_as_a_subprotocol() {
    let base = server().await;
    walk("websocket", Duration::from_secs(60), |client| async move {
        client.goto(&format!("{base}/page")).await.unwrap();
        let url = format!("{}/protocol", base.replace("http://", "ws://"));
        let exp = now() + 3;
        let short = mint(&json!({ "sub": "ann", "scope": "items", "exp": exp }));
        let open = format!(
            r#"
            const token = {short:?};
            const b64 = btoa(token).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
            window.__seen = {{ events: [] }};
            const socket = new WebSocket({url:?}, ["chat", "base64url.bearer." + b64]);
            socket.onopen = () => {{ window.__seen.protocol = socket.protocol; socket.send("hi"); }};
            socket.onmessage = (event) => {{ window.__seen.reply = event.data; }};
            socket.onclose = (event) => {{ window.__seen.close = [event.code, event.reason]; }};
            return null;
            "#
        );
        client.execute(&open, Vec::new()).await.unwrap();
        let reply = until(&client, "the echo", "window.__seen.reply || null").await;
        assert_eq!(reply, json!("ann: hi"));
        let protocol = until(&client, "the protocol", "window.__seen.protocol || null").await;
        assert_eq!(protocol, json!("chat"), "the token protocol is never echoed");
        let close = until(&client, "the close", "window.__seen.close || null").await;
        assert_eq!(close, json!([1008, "expired"]));
        assert!(now() > exp);
    })
    .await;
}

/// A query-string token is taken only where `dangerous::QueryToken` says so.
#[tokio::test]
async fn a_query_string_token_only_through_dangerous() {
    let base = server().await.replace("http://", "ws://");
    let token = token("items");
    let mut socket = connect(&format!("{base}/query?access_token={token}"), &[])
        .await
        .unwrap();
    socket.send(WsMessage::text("q")).await.unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(reply.into_text().unwrap().as_str(), "ann: q");
    let lacking = self::token("other");
    assert_eq!(
        connect(&format!("{base}/query?access_token={lacking}"), &[])
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        connect(
            &format!("{base}/query?access_token={token}&access_token={token}"),
            &[]
        )
        .await
        .err(),
        Some(400)
    );
    // Everywhere else, a token in the URL is no credential.
    assert_eq!(
        connect(&format!("{base}/items?access_token={token}"), &[])
            .await
            .err(),
        Some(401)
    );
}

/// When the peer leaves, the handler sees the end of its stream and finishes its work, as on
/// axum's own socket: only a refused token cuts it short.
#[tokio::test]
async fn a_handler_finishes_after_its_peer_leaves() {
    let base = server().await.replace("http://", "ws://");
    let bearer = format!("Bearer {}", token("items"));
    let mut socket = connect(&format!("{base}/farewell"), &[("authorization", &bearer)])
        .await
        .unwrap();
    let before = FAREWELLS.load(std::sync::atomic::Ordering::SeqCst);
    socket.close(None).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while FAREWELLS.load(std::sync::atomic::Ordering::SeqCst) == before {
        assert!(
            Instant::now() < deadline,
            "the handler was dropped when its peer left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
