//! The load script's identity-provider route on axum-scopes: `GET /idp/items/` requires `items` from an
//! access token of an `OpenID` provider, verified through discovery (keys from its JWKS, `iss`
//! and `aud` checked), exactly as the README's path 2 writes it. `GET /plain/items/` is the same
//! answer without auth. `GET /stats/token-cache` answers the token cache's counters
//! (`Authenticator::token_cache_stats`), for the many-users case.
//!
//! Usage: `idp --port PORT --issuer URL --audience AUD.. [--no-cache] [--redis URL --revoked N]
//! [--introspect CLIENT:SECRET] [--dpop ORIGIN [--dpop-redis URL]]`. The provider is local and plain HTTP, so
//! `dangerous::allow_http` is on. `--redis` checks every token against revocations shared
//! through that Redis, after revoking `N` made-up token ids there (the held revocations of a
//! busy service); `--introspect` introspects the provider's opaque tokens as that client;
//! `--dpop ORIGIN` accepts DPoP-bound tokens whose proofs name ORIGIN (the defaults: proofs up
//! to 60 s old, which the load client's proofs, signed just before each run, are), their `jti`s
//! kept in memory, or with `--dpop-redis URL` in that Redis.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use axum_scopes::dpop::{Dpop, ReplayCache};
use axum_scopes::jwt::{Introspection, TokenCacheOptions};
use axum_scopes::revocation::{RedisOptions, Revocation, RevocationOptions, Revocations};
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
    let (mut redis, mut revoked, mut introspect) = (None, 0_usize, None::<String>);
    let (mut dpop, mut dpop_redis) = (None::<String>, None::<String>);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|v| v.parse().ok()).expect("--port N"),
            "--issuer" => issuer = args.next().expect("--issuer URL"),
            "--audience" => audiences.push(args.next().expect("--audience AUD")),
            "--no-cache" => cache = TokenCacheOptions::disabled(),
            "--redis" => redis = Some(args.next().expect("--redis URL")),
            "--revoked" => {
                revoked = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--revoked N");
            }
            "--introspect" => introspect = Some(args.next().expect("--introspect CLIENT:SECRET")),
            "--dpop" => dpop = Some(args.next().expect("--dpop ORIGIN")),
            "--dpop-redis" => dpop_redis = Some(args.next().expect("--dpop-redis URL")),
            other => panic!("unknown argument {other}"),
        }
    }
    let iss = issuer.clone();
    let mut issuer = audiences
        .into_iter()
        .fold(Issuer::discover(issuer), Issuer::audience);
    if let Some(client) = introspect {
        let (id, secret) = client.split_once(':').expect("--introspect CLIENT:SECRET");
        issuer = issuer.introspection(Introspection::new(id, secret));
    }
    let mut builder = dangerous::allow_http(Authenticator::builder())
        .issuer(issuer)
        .token_cache(cache);
    if let Some(url) = redis {
        let revocations = Revocations::redis(RedisOptions::new(url), RevocationOptions::default())
            .expect("a Redis URL");
        while !revocations.is_current() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
            + 3600;
        let held: Vec<_> = (0..revoked)
            .map(|i| Revocation::token(&iss, format!("bench-revoked-{i}"), exp))
            .collect();
        revocations
            .revoke_all(held)
            .await
            .expect("Redis takes the revocations");
        builder = builder.revocations(revocations);
    }
    if let Some(origin) = dpop {
        let mut dpop = Dpop::new(&origin).expect("--dpop takes an origin");
        if let Some(url) = dpop_redis {
            dpop = dpop
                .replay_cache(ReplayCache::redis(&RedisOptions::new(url)).expect("a Redis URL"));
        }
        builder = builder.dpop(dpop);
    }
    let authenticator = builder.build().await.expect("the provider's keys load");
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
