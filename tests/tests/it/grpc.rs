//! gRPC with the same declarations: a tonic service whose methods declare their scopes with
//! `#[grpc(Api)]`, served behind `grpc::enforce` beside axum routes and a WebSocket in one server
//! on 127.0.0.1, called by a real tonic client over HTTP/2. Refusals carry the HTTP challenge in
//! their metadata; a stream that outlives its token ends with `UNAUTHENTICATED`; and the same
//! tokens get the same decision over REST, WebSocket and gRPC.

use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use axum_scopes::grpc::{Caller, enforce};
use axum_scopes::jwt::Key;
use axum_scopes::revocation::{Revocation, RevocationOptions, Revocations};
use axum_scopes::websocket::WebSocketUpgrade;
use axum_scopes::{Authenticated, Authenticator, Issuer, requires_scopes};
use axum_scopes_tests::grpc::items_client::ItemsClient;
use axum_scopes_tests::grpc::items_server::{Items, ItemsServer};
use axum_scopes_tests::grpc::{Item, ItemRequest};
use axum_scopes_tests::server::serve;
use axum_scopes_tests::token::{mint, now};
use futures_util::{Stream, StreamExt as _};
use serde::Deserialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

axum_scopes::oauth2_password_bearer! {
    /// The scheme of every transport here.
    pub(crate) Api { token_url: "token", scopes: { "items" => "Read items.", "admin" => "Administer." } }
}

#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

/// The service: one method per kind of declaration.
#[derive(Default)]
struct Shop;

impl Shop {
    fn item(request: &Request<ItemRequest>) -> Result<Item, Status> {
        let caller = request
            .extensions()
            .get::<Caller>()
            .ok_or_else(|| Status::internal("no caller"))?;
        let claims: Claims = caller.claims().map_err(|_| Status::internal("claims"))?;
        Ok(Item {
            name: request.get_ref().name.clone(),
            owner: claims.sub,
        })
    }
}

type ItemStream = Pin<Box<dyn Stream<Item = Result<Item, Status>> + Send>>;

#[axum_scopes::grpc(Api)]
#[tonic::async_trait]
impl Items for Shop {
    #[requires_scopes("items")]
    async fn get(&self, request: Request<ItemRequest>) -> Result<tonic::Response<Item>, Status> {
        Shop::item(&request).map(tonic::Response::new)
    }

    #[requires_scopes("admin")]
    async fn admin(&self, request: Request<ItemRequest>) -> Result<tonic::Response<Item>, Status> {
        Shop::item(&request).map(tonic::Response::new)
    }

    type WatchStream = ItemStream;

    /// One item every 100 ms, for as long as the client listens.
    #[requires_scopes("items")]
    async fn watch(
        &self,
        request: Request<ItemRequest>,
    ) -> Result<tonic::Response<ItemStream>, Status> {
        let item = Shop::item(&request)?;
        let stream = futures_util::stream::unfold(item, |item| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((Ok(item.clone()), item))
        });
        Ok(tonic::Response::new(Box::pin(stream)))
    }

    #[public]
    async fn ping(&self, request: Request<ItemRequest>) -> Result<tonic::Response<Item>, Status> {
        Ok(tonic::Response::new(Item {
            name: request.into_inner().name,
            owner: String::new(),
        }))
    }

    async fn forgotten(
        &self,
        _request: Request<ItemRequest>,
    ) -> Result<tonic::Response<Item>, Status> {
        Ok(tonic::Response::new(Item::default()))
    }
}

#[requires_scopes("items")]
async fn rest_items(claims: Authenticated<Claims, Api>) -> String {
    claims.into_inner().sub
}

#[requires_scopes("items")]
async fn socket_items(_claims: Authenticated<Claims, Api>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|_socket| async {})
}

const SECRET: &[u8] = axum_scopes_demo::DEFAULT_SECRET_KEY.as_bytes();

/// REST, WebSocket and gRPC from one server and one authenticator; its base URL.
async fn server(revocations: Option<Revocations>) -> String {
    let key = Key::secret(SECRET, &[axum_scopes::jsonwebtoken::Algorithm::HS256]).unwrap();
    let mut builder = Authenticator::builder().issuer(Issuer::any().key(key));
    if let Some(revocations) = revocations {
        builder = builder.revocations(revocations);
    }
    let authenticator = builder.build().await.unwrap();
    let shop = enforce(&authenticator, Shop, ItemsServer::new);
    let app = Router::new()
        .route("/items", get(rest_items))
        .route("/socket", get(socket_items))
        .with_state(authenticator)
        .merge(tonic::service::Routes::new(shop).into_axum_router());
    serve(app).await
}

async fn client(base: &str) -> ItemsClient<Channel> {
    let channel = Channel::from_shared(base.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    ItemsClient::new(channel)
}

/// A call of `method` with `token` (none when empty).
fn request(token: &str) -> Request<ItemRequest> {
    let mut request = Request::new(ItemRequest {
        name: "plumbus".into(),
    });
    if !token.is_empty() {
        let value = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
    }
    request
}

fn token(scopes: &str) -> String {
    revocable(scopes, "t")
}

fn revocable(scopes: &str, jti: &str) -> String {
    mint(&json!({ "sub": "ann", "scope": scopes, "jti": jti, "iat": now(), "exp": now() + 60 }))
}

fn challenge(status: &Status) -> String {
    status
        .metadata()
        .get("www-authenticate")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn each_method_is_served_as_declared() {
    let base = server(None).await;
    let mut items = client(&base).await;
    let item = items
        .get(request(&token("items")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (item.name.as_str(), item.owner.as_str()),
        ("plumbus", "ann")
    );
    // No token, a forged one: UNAUTHENTICATED with the Bearer challenge.
    let refused = items.get(request("")).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(challenge(&refused), "Bearer");
    let forged = format!("{}x", token("items"));
    let refused = items.get(request(&forged)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(challenge(&refused).contains(r#"error="invalid_token""#));
    assert!(
        !refused.message().contains("ignature"),
        "no library error text"
    );
    // A missing scope: PERMISSION_DENIED naming what is required.
    let refused = items.admin(request(&token("items"))).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let said = challenge(&refused);
    assert!(said.contains(r#"error="insufficient_scope""#) && said.contains(r#"scope="admin""#));
    let admin = items.admin(request(&token("admin"))).await.unwrap();
    assert_eq!(admin.into_inner().owner, "ann");
    // Public: no token needed. Undeclared: refused whatever the token.
    assert_eq!(
        items.ping(request("")).await.unwrap().into_inner().name,
        "plumbus"
    );
    let refused = items
        .forgotten(request(&token("items admin")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

/// Reads `stream` until it ends with an error; how many items came first.
async fn until_refused(stream: &mut tonic::Streaming<Item>, within: Duration) -> (usize, Status) {
    let mut received = 0;
    let read = async {
        loop {
            match stream.next().await {
                Some(Ok(_)) => received += 1,
                Some(Err(status)) => return status,
                None => panic!("the stream ended without a status"),
            }
        }
    };
    let status = tokio::time::timeout(within, read)
        .await
        .expect("the stream did not end in time");
    (received, status)
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires_or_is_revoked() {
    let revocations = Revocations::in_memory(RevocationOptions::default());
    let base = server(Some(revocations.clone())).await;
    let mut items = client(&base).await;
    let exp = now() + 2;
    let short =
        mint(&json!({ "sub": "ann", "scope": "items", "jti": "s", "iat": now(), "exp": exp }));
    let mut stream = items.watch(request(&short)).await.unwrap().into_inner();
    let (received, status) = until_refused(&mut stream, Duration::from_secs(6)).await;
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status.message().ends_with("expired"),
        "{}",
        status.message()
    );
    assert!(now() > exp);
    assert!(received >= 5, "items flowed until then: {received}");
    // Revoked while streaming.
    let mut stream = items
        .watch(request(&revocable("items", "doomed")))
        .await
        .unwrap()
        .into_inner();
    assert!(stream.next().await.unwrap().is_ok());
    revocations
        .revoke(Revocation::token("", "doomed", now() + 60))
        .await
        .unwrap();
    let (_, status) = until_refused(&mut stream, Duration::from_secs(2)).await;
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status.message().ends_with("revoked"),
        "{}",
        status.message()
    );
}

/// What one transport decided for one token.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Allowed,
    Unauthenticated,
    Forbidden,
}

#[tokio::test]
async fn rest_websocket_and_grpc_decide_alike() {
    let base = server(None).await;
    let http = reqwest::Client::new();
    let mut items = client(&base).await;
    let expired = mint(
        &json!({ "sub": "ann", "scope": "items", "jti": "e", "iat": now() - 120, "exp": now() - 60 }),
    );
    let forged = format!("{}x", token("items"));
    let cases = [
        ("valid", token("items"), Decision::Allowed),
        ("missing scope", token("admin"), Decision::Forbidden),
        ("expired", expired, Decision::Unauthenticated),
        ("forged", forged, Decision::Unauthenticated),
        ("none", String::new(), Decision::Unauthenticated),
    ];
    for (case, token, expected) in cases {
        let mut rest = http.get(format!("{base}/items"));
        if !token.is_empty() {
            rest = rest.bearer_auth(&token);
        }
        let rest = match rest.send().await.unwrap().status().as_u16() {
            200 => Decision::Allowed,
            401 => Decision::Unauthenticated,
            403 => Decision::Forbidden,
            other => panic!("{case}: REST answered {other}"),
        };
        let mut upgrade = format!("{}/socket", base.replace("http://", "ws://"))
            .into_client_request()
            .unwrap();
        if !token.is_empty() {
            let value = format!("Bearer {token}").parse().unwrap();
            upgrade.headers_mut().insert("authorization", value);
        }
        let socket = match tokio_tungstenite::connect_async(upgrade).await {
            Ok(_) => Decision::Allowed,
            Err(WsError::Http(response)) => match response.status().as_u16() {
                401 => Decision::Unauthenticated,
                403 => Decision::Forbidden,
                other => panic!("{case}: the upgrade answered {other}"),
            },
            Err(other) => panic!("{case}: {other}"),
        };
        let grpc = match items.get(request(&token)).await {
            Ok(_) => Decision::Allowed,
            Err(status) if status.code() == Code::Unauthenticated => Decision::Unauthenticated,
            Err(status) if status.code() == Code::PermissionDenied => Decision::Forbidden,
            Err(status) => panic!("{case}: gRPC answered {status:?}"),
        };
        eprintln!("{case:>13}: REST {rest:?}, WebSocket {socket:?}, gRPC {grpc:?}");
        assert_eq!(
            (&rest, &socket, &grpc),
            (&expected, &expected, &expected),
            "{case}"
        );
    }
}

/// The cargo example (`runtime/examples/transports.rs`): one `items` requirement on a REST
/// route, a WebSocket and a gRPC method of one server, each answering the caller's items, and
/// each refusing a token without the scope.
#[tokio::test]
async fn the_example_serves_one_declaration_on_three_transports() {
    use crate::examples::transports::proto::ItemsRequest as ExampleRequest;
    use crate::examples::transports::proto::items_client::ItemsClient as ExampleClient;
    use crate::examples::transports::{app, authenticator};

    let base = serve(app(authenticator(SECRET).await)).await;
    let (good, lacking) = (token("items"), token("other"));
    let http = reqwest::Client::new();
    let rest = |token: String| {
        let request = http.get(format!("{base}/items")).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    let answer = rest(good.clone()).await;
    assert_eq!(answer.status(), 200);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["owner"], "ann");
    assert_eq!(rest(lacking.clone()).await.status(), 403);

    let url = format!("{}/items/watch", base.replace("http://", "ws://"));
    let upgrade = |token: &str| {
        let mut request = url.as_str().into_client_request().unwrap();
        let value = format!("Bearer {token}").parse().unwrap();
        request.headers_mut().insert("authorization", value);
        request
    };
    let (mut socket, _) = tokio_tungstenite::connect_async(upgrade(&good))
        .await
        .unwrap();
    let first = socket.next().await.unwrap().unwrap().into_text().unwrap();
    let first: serde_json::Value = serde_json::from_str(first.as_str()).unwrap();
    assert_eq!(first["owner"], "ann");
    match tokio_tungstenite::connect_async(upgrade(&lacking)).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("upgraded without the scope: {:?}", other.map(|_| ())),
    }

    let channel = Channel::from_shared(base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut items = ExampleClient::new(channel);
    let call = |token: &str| {
        let mut request = Request::new(ExampleRequest {});
        let value = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
        request
    };
    let reply = items.read_items(call(&good)).await.unwrap().into_inner();
    assert_eq!(reply.owner, "ann");
    assert_eq!(reply.items.len(), 2);
    let refused = items.read_items(call(&lacking)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}
