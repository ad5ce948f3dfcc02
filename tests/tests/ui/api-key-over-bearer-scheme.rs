// `ApiKey<S>` over a scheme that is not an API-key scheme: refused at the parameter, not ten
// lines away at `.route(..)`.
use axum::Router;
use axum::routing::get;
use axum_scopes::credential::ApiKey;

axum_scopes::security_scheme! { pub Bearer { http_bearer: {}, scopes: { "items" => "Items." } } }

async fn keys(_: ApiKey<Bearer>) {}

fn main() {
    let _: Router = Router::new().route("/keys", get(keys));
}
