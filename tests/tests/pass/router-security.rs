//! Every form of a router requirement: scopes, `any(..)`, none (authentication only), on an
//! axum `Router` and a utoipa-axum `OpenApiRouter`, nested.
use axum::Router;
use axum_scopes::routing::{SecureRouter, router_security};
use axum_scopes::{BearerToken, HttpError, SecurityScopes, dependency};
use utoipa_axum::router::OpenApiRouter;

axum_scopes::oauth2_password_bearer! {
    pub Api { token_url: "token", scopes: { "items" => "Read items.", "me" => "Read yourself." } }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, token: BearerToken<Api>) -> Result<String, HttpError> {
    Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
}

async fn hello() -> &'static str {
    "hello"
}

fn main() {
    let inner: Router = Router::new()
        .route("/hello", axum::routing::get(hello))
        .secure(router_security!(current_user, "items", any("me", "items")), ());
    let _app: Router = Router::new()
        .nest("/v1", inner)
        .secure(router_security!(current_user), ());
    let documented: OpenApiRouter = OpenApiRouter::new()
        .route("/hello", axum::routing::get(hello))
        .secure(router_security!(current_user, "me"), ());
    let _ = documented.split_for_parts();
}
