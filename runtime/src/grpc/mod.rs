//! gRPC with tonic: the scopes of each method of a tonic service, declared with
//! `#[grpc(Scheme)]`, checked at compile time against the scheme's catalogue, and enforced by a
//! layer over the same [`Authenticator`](crate::Authenticator) as the handlers
//! ([`enforce`]).
//!
//! ```ignore
//! #[axum_scopes::grpc(Api)]
//! #[tonic::async_trait]
//! impl Greeter for MyGreeter {
//!     #[requires_scopes("items")]
//!     async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
//!         let caller = request.extensions().get::<Caller>();
//!         // ...
//!     }
//!
//!     #[public]
//!     async fn check(&self, request: Request<Empty>) -> Result<Response<Empty>, Status> {
//!         // ...
//!     }
//! }
//!
//! let greeter = axum_scopes::grpc::enforce(&authenticator, MyGreeter::default(), GreeterServer::new);
//! let app = axum::Router::new()
//!     .route("/items/", get(read_items))
//!     .merge(tonic::service::Routes::new(greeter).into_axum_router());
//! ```
//!
//! - **Declared per method.** `#[requires_scopes(..)]` (the scopes, `any(..)`/`all(..)`, as on
//!   handlers; an unknown scope is a compile error with a suggestion), `#[public]`, or neither:
//!   refused with `PERMISSION_DENIED` (deny by default). The method's gRPC name is its Rust name
//!   in `UpperCamelCase`, as tonic-build derives one from the other.
//! - **No service without its layer.** The attribute implements the service trait on a wrapper
//!   it defines beside `MyGreeter` (which derefs to it, so the methods read its fields as
//!   before), built only by [`enforce`]: `GreeterServer::new(MyGreeter)` does not compile.
//! - **Other services.** tonic-health, reflection and any service without `#[grpc]` are served
//!   as they are, beside the enforced ones: they are public by being outside the layer.
//! - **Calls that outlive their token** (a server stream, a slow unary call) end with
//!   `UNAUTHENTICATED` when the token expires or a revocation naming it arrives, as a WebSocket
//!   is closed.
//!
//! See the [gRPC chapter](crate::guide::grpc). Requires the cargo feature `grpc`.

mod body;
mod caller;
mod layer;
mod method;
mod status;

pub use self::caller::Caller;
pub use self::layer::{Enforced, enforce};
pub use self::method::{GrpcMethod, GrpcService};
