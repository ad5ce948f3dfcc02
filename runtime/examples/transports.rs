//! One declaration, three transports: the scope `items` of one catalogue required by a REST
//! route, a WebSocket and a gRPC method, all served by one axum server on one port (gRPC over
//! HTTP/2, the rest over HTTP/1.1 or HTTP/2), checked by one `Authenticator` (cargo features
//! `grpc` and `websocket`).
//!
//! ```text
//! cargo run -p axum-scopes --features grpc,websocket --example transports
//! TOKEN=...   # an HS256 token of the tutorial's secret with "scope": "items"
//! curl -i http://127.0.0.1:8095/items -H "Authorization: Bearer $TOKEN"
//! websocat -H "Authorization: Bearer $TOKEN" ws://127.0.0.1:8095/items/watch
//! grpcurl -plaintext -H "authorization: Bearer $TOKEN" 127.0.0.1:8095 example.Items/ReadItems
//! ```
//!
//! (`grpcurl` needs the service's descriptor: `-import-path`/`-proto` with the `.proto` below;
//! this example serves no reflection.) The gRPC service is `example.Items` of
//!
//! ```proto
//! syntax = "proto3";
//! package example;
//! service Items { rpc ReadItems (ItemsRequest) returns (ItemsReply); }
//! message ItemsRequest {}
//! message ItemsReply { string owner = 1; repeated string items = 2; }
//! ```
//!
//! its messages written with prost's derive and its service code generated once by
//! tonic-build's `manual` module (no build script, no `protoc`): module [`proto`].

use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use axum_scopes::grpc::Caller;
use axum_scopes::jwt::Key;
use axum_scopes::websocket::{Message, WebSocketUpgrade};
use axum_scopes::{Authenticated, Authenticator, Issuer, requires_scopes};
use serde::{Deserialize, Serialize};

use self::proto::items_server::{Items, ItemsServer};
use self::proto::{ItemsReply, ItemsRequest};

axum_scopes::oauth2_password_bearer! {
    /// The one catalogue of every transport.
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

/// What every transport reads from a token.
#[derive(Clone, Deserialize)]
pub(crate) struct Claims {
    /// The caller.
    pub(crate) sub: String,
}

/// The caller's items: what all three transports serve.
#[derive(Serialize)]
pub(crate) struct OwnedItems {
    /// The caller.
    pub(crate) owner: String,
    /// The items.
    pub(crate) items: Vec<String>,
}

fn items_of(owner: String) -> OwnedItems {
    OwnedItems {
        items: vec![format!("Foo of {owner}"), format!("Bar of {owner}")],
        owner,
    }
}

/// REST: `GET /items`.
#[requires_scopes("items")]
async fn read_items(claims: Authenticated<Claims, Api>) -> Json<OwnedItems> {
    Json(items_of(claims.into_inner().sub))
}

/// WebSocket: `GET /items/watch` sends the items, then stays open until the client leaves or
/// the token ends (closed with 1008).
#[requires_scopes("items")]
async fn watch_items(claims: Authenticated<Claims, Api>, ws: WebSocketUpgrade) -> Response {
    let items = items_of(claims.into_inner().sub);
    ws.on_upgrade(move |mut socket| async move {
        let text = serde_json::to_string(&items).unwrap_or_default();
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
        while let Some(Ok(_)) = socket.recv().await {}
    })
}

/// gRPC: `example.Items/ReadItems`.
#[derive(Debug, Default)]
pub(crate) struct Shop;

#[axum_scopes::grpc(Api)]
#[tonic::async_trait]
impl Items for Shop {
    #[requires_scopes("items")]
    async fn read_items(
        &self,
        request: tonic::Request<ItemsRequest>,
    ) -> Result<tonic::Response<ItemsReply>, tonic::Status> {
        let caller = request
            .extensions()
            .get::<Caller>()
            .ok_or_else(|| tonic::Status::internal("no caller"))?;
        let claims: Claims = caller
            .claims()
            .map_err(|_| tonic::Status::internal("unreadable claims"))?;
        let items = items_of(claims.sub);
        Ok(tonic::Response::new(ItemsReply {
            owner: items.owner,
            items: items.items,
        }))
    }
}

/// The three transports on one router.
pub(crate) fn app(authenticator: Authenticator) -> Router {
    let shop = axum_scopes::grpc::enforce(&authenticator, Shop, ItemsServer::new);
    Router::new()
        .route("/items", get(read_items))
        .route("/items/watch", get(watch_items))
        .with_state(authenticator)
        .merge(tonic::service::Routes::new(shop).into_axum_router())
}

/// An authenticator for HS256 tokens of `secret`.
pub(crate) async fn authenticator(secret: &[u8]) -> Authenticator {
    let key = Key::secret(secret, &[axum_scopes::jsonwebtoken::Algorithm::HS256])
        .expect("an HS256 secret");
    Authenticator::builder()
        .issuer(Issuer::any().key(key))
        .build()
        .await
        .expect("fixed keys need no network")
}

#[tokio::main]
async fn main() {
    let secret = std::env::var("SECRET_KEY").unwrap_or_else(|_| {
        "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7".to_owned()
    });
    let app = app(authenticator(secret.as_bytes()).await);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8095")
        .await
        .expect("port 8095 is free");
    println!("REST, WebSocket and gRPC on http://127.0.0.1:8095");
    axum::serve(listener, app).await.expect("the server runs");
}

/// The example's gRPC service, `example.Items`.
pub(crate) mod proto {
    #![allow(
        clippy::pedantic,
        missing_docs,
        unreachable_pub,
        reason = "generated by tonic-build's `manual` module; kept as it came"
    )]

    include!("proto/example_items.rs");
}
