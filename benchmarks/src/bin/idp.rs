//! The load script's identity-provider route on axum-scopes: `GET /idp/items/` requires `items` from an
//! access token of an `OpenID` provider, verified through discovery (keys from its JWKS, `iss`
//! and `aud` checked), exactly as the README's path 2 writes it. `GET /plain/items/` is the same
//! answer without auth. `GET /stats/token-cache` answers the token cache's counters
//! (`Authenticator::token_cache_stats`), for the many-users case.
//!
//! Usage: `idp --port PORT --issuer URL --audience AUD.. [--no-cache]`. The provider is local and
//! plain HTTP, so `dangerous::allow_http` is on.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use axum_scopes::jwt::TokenCacheOptions;
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use serde::Deserialize;
use serde_json::{Value, json};

axum_scopes::oauth2_password_bearer! {
    /// The provider's scheme (the benchmark only needs its scope catalogue).
    pub Idp { token_url: "token", scopes: { "items" => "Read items.", "me" => "Read yourself." } }
}

/// What the route reads from the provider's token.
#[derive(Clone, Deserialize)]
struct Claims {
    client_id: String,
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Idp>) -> Json<Value> {
    Json(json!([{ "item_id": "Foo", "owner": claims.into_inner().client_id }]))
}

async fn cache_stats(State(authenticator): State<Authenticator>) -> Json<Value> {
    let stats = authenticator.token_cache_stats();
    Json(json!({
        "entries": stats.entries,
        "bytes": stats.bytes,
        "hits": stats.hits,
        "misses": stats.misses,
        "evictions": stats.evictions,
    }))
}

async fn plain_items() -> Json<Value> {
    Json(json!([{ "item_id": "Foo", "owner": "johndoe" }]))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut port, mut issuer, mut cache) = (8002u16, String::new(), TokenCacheOptions::default());
    let mut audiences = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).expect("--port N"),
            "--issuer" => issuer = args.next().expect("--issuer URL"),
            "--audience" => audiences.push(args.next().expect("--audience AUD")),
            "--no-cache" => cache = TokenCacheOptions::disabled(),
            other => panic!("unknown argument {other}"),
        }
    }
    let issuer = audiences
        .into_iter()
        .fold(Issuer::discover(issuer), Issuer::audience);
    let authenticator = dangerous::allow_http(Authenticator::builder())
        .issuer(issuer)
        .token_cache(cache)
        .build()
        .await
        .expect("the provider's keys load");
    let app = Router::new()
        .route("/idp/items/", get(items))
        .route("/plain/items/", get(plain_items))
        .route("/stats/token-cache", get(cache_stats))
        .with_state(authenticator);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    println!("axum-scopes IdP route on http://127.0.0.1:{port}");
    axum::serve(listener, app).await.expect("serves");
}
