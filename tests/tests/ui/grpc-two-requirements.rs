//! A gRPC method declares one requirement: scopes, or public, not both.
use axum_scopes::requires_scopes;
use axum_scopes_tests::grpc::items_server::Items;
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

    #[requires_scopes("items")]
    #[public]
    async fn ping(&self, _: Request<ItemRequest>) -> Result<Response<Item>, Status> {
        Ok(Response::new(Item::default()))
    }

    async fn forgotten(&self, _: Request<ItemRequest>) -> Result<Response<Item>, Status> {
        Ok(Response::new(Item::default()))
    }
}

fn main() {}
