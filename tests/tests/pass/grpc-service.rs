//! A `#[grpc]` service under `deny(warnings)`: the macro's imports count as used, the
//! generated items are quiet, and the service is served through its layer.
#![deny(warnings)]
use axum_scopes::requires_scopes;
use axum_scopes_tests::grpc::items_server::{Items, ItemsServer};
use axum_scopes_tests::grpc::{Item, ItemRequest};
use tonic::{Request, Response, Status};

axum_scopes::oauth2_password_bearer! {
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

struct Shop;

type Stream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Item, Status>> + Send>>;

#[axum_scopes::grpc(Api)]
#[tonic::async_trait]
impl Items for Shop {
    #[requires_scopes("items")]
    async fn get(&self, _: Request<ItemRequest>) -> Result<Response<Item>, Status> {
        Ok(Response::new(Item::default()))
    }

    #[requires_scopes("items")]
    async fn admin(&self, _: Request<ItemRequest>) -> Result<Response<Item>, Status> {
        Ok(Response::new(Item::default()))
    }

    type WatchStream = Stream;

    #[requires_scopes("items")]
    async fn watch(&self, _: Request<ItemRequest>) -> Result<Response<Stream>, Status> {
        Err(Status::unimplemented("watch"))
    }

    #[public]
    async fn ping(&self, _: Request<ItemRequest>) -> Result<Response<Item>, Status> {
        Ok(Response::new(Item::default()))
    }

    async fn forgotten(&self, _: Request<ItemRequest>) -> Result<Response<Item>, Status> {
        Ok(Response::new(Item::default()))
    }
}

#[tokio::main]
async fn main() {
    let key = axum_scopes::jwt::Key::secret(b"secret", &[axum_scopes::jsonwebtoken::Algorithm::HS256])
        .unwrap();
    let authenticator = axum_scopes::Authenticator::builder()
        .issuer(axum_scopes::Issuer::any().key(key))
        .build()
        .await
        .unwrap();
    let shop = axum_scopes::grpc::enforce(&authenticator, Shop, ItemsServer::new);
    let _: axum::Router = tonic::service::Routes::new(shop).into_axum_router();
}
