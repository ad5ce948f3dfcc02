// Every kind of `security_scheme!`, each as the parameter of the extractor that reads it.
use axum::Router;
use axum::routing::get;
use axum_scopes::credential::{ApiKey, ApiKeys, AuthConfig};
use axum_scopes::{Authenticated, Authenticator, MaybeAuthenticated, requires_scopes};

axum_scopes::security_scheme! {
    /// All four flows on one catalogue.
    pub Idp {
        name: "Idp",
        description: "The company's identity provider.",
        oauth2: {
            authorization_code: { authorization_url: "https://idp/authorize", token_url: "https://idp/token" },
            client_credentials: { token_url: "https://idp/token", refresh_url: "https://idp/token" },
            password: { token_url: "token" },
            implicit: { authorization_url: "https://idp/authorize" },
        },
        scopes: { "admin" => "Everything." implies ["items"], "items" => "Items." },
    }
}
axum_scopes::security_scheme! {
    pub Oidc { openid_connect: { url: "https://idp/.well-known/openid-configuration" }, scopes: { "items" => "Items." } }
}
axum_scopes::security_scheme! { pub Bearer { http_bearer: {}, scopes: { "items" => "Items." } } }
axum_scopes::security_scheme! { pub Session { token_cookie: { name: "__Host-session" }, scopes: { "items" => "Items." } } }
axum_scopes::security_scheme! { pub HeaderKey { api_key: { header: "X-API-Key" } } }
axum_scopes::security_scheme! { pub QueryKey { api_key: { query: "key" } } }
axum_scopes::security_scheme! { pub CookieKey { api_key: { cookie: "key" } } }

#[derive(Clone, serde::Deserialize)]
struct Claims {}

#[requires_scopes("items")]
async fn idp(_: Authenticated<Claims, Idp>) {}
#[requires_scopes("items")]
async fn oidc(_: Authenticated<Claims, Oidc>) {}
#[requires_scopes("items")]
async fn bearer(_: Authenticated<Claims, Bearer>) {}
#[requires_scopes("items")]
async fn session(_: MaybeAuthenticated<Claims, Session>) {}
async fn keys(_: ApiKey<HeaderKey>, _: Option<ApiKey<QueryKey>>, _: Option<ApiKey<CookieKey>>) {}

#[derive(Clone, axum::extract::FromRef)]
struct App {
    authenticator: Authenticator,
    keys: ApiKeys,
    config: AuthConfig,
}

fn main() {
    let _: Router<App> = Router::new()
        .route("/idp", get(idp))
        .route("/oidc", get(oidc))
        .route("/bearer", get(bearer))
        .route("/session", get(session))
        .route("/keys", get(keys));
}
