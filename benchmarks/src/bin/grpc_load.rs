//! The gRPC benchmark (benchmarks/grpc.sh): the example's service `example.Items/ReadItems`
//! (runtime/examples/transports.rs) behind `grpc::enforce`, the same answer from a tonic server
//! without auth, and a tonic client load loop.
//!
//! - `grpc_load serve enforced PORT`: the example's router (REST, WebSocket and gRPC; the load
//!   calls gRPC): each call's token verified (a verified-token cache hit after the first), the
//!   scope checked, the caller's claims read.
//! - `grpc_load serve plain PORT`: the same reply (the same two items of `ann`) from the same
//!   tonic server code with no layer and no token.
//! - `grpc_load token`: an HS256 token of the tutorial's secret with `items`, valid an hour.
//! - `grpc_load load URL TOKEN SECONDS CONCURRENCY`: `CONCURRENCY` callers on one HTTP/2
//!   connection, each calling `ReadItems` in a loop for `SECONDS`; prints the calls per second
//!   and the calls made.

#[path = "../../../runtime/examples/transports.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's `main` is not called here, its app and service are"
)]
mod transports;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum_scopes::jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};
use transports::proto::items_client::ItemsClient;
use transports::proto::items_server::{Items, ItemsServer};
use transports::proto::{ItemsReply, ItemsRequest};

/// The tutorial's published secret.
const SECRET: &[u8] = b"09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

/// The same answer without any check.
struct Plain;

#[tonic::async_trait]
impl Items for Plain {
    async fn read_items(
        &self,
        _request: Request<ItemsRequest>,
    ) -> Result<Response<ItemsReply>, Status> {
        let owner = "ann".to_owned();
        Ok(Response::new(ItemsReply {
            items: vec![format!("Foo of {owner}"), format!("Bar of {owner}")],
            owner,
        }))
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["serve", kind, port] => serve(kind, port.parse().expect("a port")).await,
        ["token"] => println!("{}", token()),
        ["load", url, token, seconds, concurrency] => {
            load(
                url,
                token,
                Duration::from_secs(seconds.parse().expect("seconds")),
                concurrency.parse().expect("a concurrency"),
            )
            .await;
        }
        _ => {
            eprintln!(
                "usage: grpc_load serve enforced|plain PORT | token | load URL TOKEN SECONDS CONCURRENCY"
            );
            std::process::exit(2);
        }
    }
}

async fn serve(kind: &str, port: u16) {
    let app = match kind {
        "enforced" => transports::app(transports::authenticator(SECRET).await),
        "plain" => tonic::service::Routes::new(ItemsServer::new(Plain)).into_axum_router(),
        other => panic!("no server {other}"),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    axum::serve(listener, app).await.expect("the server runs");
}

fn token() -> String {
    axum_scopes::jwt::install_crypto_provider();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let claims = json!({ "sub": "ann", "scope": "items", "iat": now, "exp": now + 3600 });
    let key = EncodingKey::from_secret(SECRET).expect("an HMAC secret");
    encode(&Header::default(), &claims, &key).expect("signs")
}

async fn load(url: &str, token: &str, seconds: Duration, concurrency: usize) {
    let channel = Channel::from_shared(url.to_owned())
        .expect("a URL")
        .connect()
        .await
        .expect("the server answers");
    let authorization: tonic::metadata::MetadataValue<_> =
        format!("Bearer {token}").parse().expect("a header value");
    let started = Instant::now();
    let callers: Vec<_> = (0..concurrency)
        .map(|_| {
            let mut client = ItemsClient::new(channel.clone());
            let authorization = authorization.clone();
            tokio::spawn(async move {
                let mut calls = 0_u64;
                while started.elapsed() < seconds {
                    let mut request = Request::new(ItemsRequest {});
                    request
                        .metadata_mut()
                        .insert("authorization", authorization.clone());
                    let reply = client.read_items(request).await.expect("the call succeeds");
                    assert_eq!(reply.get_ref().items.len(), 2);
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let mut calls = 0;
    for caller in callers {
        calls += caller.await.expect("a caller finishes");
    }
    #[expect(clippy::cast_precision_loss, reason = "a rate")]
    let rate = calls as f64 / started.elapsed().as_secs_f64();
    println!("{rate:.0} {calls}");
}
