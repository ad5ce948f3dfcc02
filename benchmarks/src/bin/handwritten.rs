//! The load script's yardstick: what a careful team writes by hand with axum and jsonwebtoken,
//! doing the checks the demo and the identity-provider route do, and nothing more.
//!
//! - `GET /users/me/items/`: the tutorial's route. HS256 with the tutorial's secret, `exp`
//!   required, `sub` and the `scopes` list read, `me` and `items` required, the user looked up and
//!   checked active; `[{"item_id":"Foo","owner":"johndoe"}]`.
//! - `GET /idp/items/` (with `--issuer URL --audience AUD`): an identity provider's access
//!   token. Keys from the issuer's JWKS through `OpenID` discovery, fetched once at start and
//!   chosen by `kid`; `iss`, `aud`, `exp` checked; `items` required in the `scope` string.
//! - `GET /dpop/items/`: the DPoP yardstick: the `DPoP` header's one ES256 signature checked
//!   against the key it embeds (`jsonwebtoken::decode`), and nothing else.
//! - `GET /plain/items/`: the same answer without any check, the no-auth limit.
//!
//! Usage: `handwritten --port PORT [--issuer URL --audience AUD..]`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use serde_json::json;

/// The tutorial's published secret.
const SECRET_KEY: &str = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7";

#[derive(Deserialize)]
struct TutorialClaims {
    sub: String,
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Deserialize)]
struct IdpClaims {
    #[serde(default)]
    scope: String,
}

struct User {
    disabled: bool,
}

struct Peer {
    hs256: DecodingKey,
    hs256_validation: Validation,
    users: HashMap<&'static str, User>,
    /// `kid` to key and validation, for the identity provider's tokens.
    idp: HashMap<String, (DecodingKey, Validation)>,
}

type Shared = Arc<Peer>;

fn fail(status: StatusCode, detail: &'static str) -> Response {
    (
        status,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({ "detail": detail })),
    )
        .into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token)
}

async fn tutorial_items(State(peer): State<Shared>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return fail(StatusCode::UNAUTHORIZED, "Not authenticated");
    };
    let Ok(data) = decode::<TutorialClaims>(token, &peer.hs256, &peer.hs256_validation) else {
        return fail(StatusCode::UNAUTHORIZED, "Could not validate credentials");
    };
    let claims = data.claims;
    for scope in ["items", "me"] {
        if !claims.scopes.iter().any(|granted| granted == scope) {
            return fail(StatusCode::UNAUTHORIZED, "Not enough permissions");
        }
    }
    match peer.users.get(claims.sub.as_str()) {
        None => fail(StatusCode::UNAUTHORIZED, "Could not validate credentials"),
        Some(user) if user.disabled => fail(StatusCode::BAD_REQUEST, "Inactive user"),
        Some(_) => Json(json!([{ "item_id": "Foo", "owner": claims.sub }])).into_response(),
    }
}

async fn idp_items(State(peer): State<Shared>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return fail(StatusCode::UNAUTHORIZED, "Not authenticated");
    };
    let Some((key, validation)) = decode_header(token)
        .ok()
        .and_then(|header| header.kid)
        .and_then(|kid| peer.idp.get(&kid))
    else {
        return fail(StatusCode::UNAUTHORIZED, "Could not validate credentials");
    };
    let Ok(data) = decode::<IdpClaims>(token, key, validation) else {
        return fail(StatusCode::UNAUTHORIZED, "Could not validate credentials");
    };
    if !data.claims.scope.split(' ').any(|scope| scope == "items") {
        return fail(StatusCode::FORBIDDEN, "Not enough permissions");
    }
    Json(json!([{ "item_id": "Foo", "owner": "client" }])).into_response()
}

async fn plain_items() -> Response {
    Json(json!([{ "item_id": "Foo", "owner": "johndoe" }])).into_response()
}

/// The identity provider's keys through discovery, each with its validation.
async fn idp_keys(
    issuer: &str,
    audiences: &[String],
) -> Result<HashMap<String, (DecodingKey, Validation)>, Box<dyn std::error::Error>> {
    #[derive(Deserialize)]
    struct Discovery {
        jwks_uri: String,
    }
    let client = reqwest::Client::new();
    let discovery: Discovery = client
        .get(format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))
        .send()
        .await?
        .json()
        .await?;
    let jwks: JwkSet = client.get(discovery.jwks_uri).send().await?.json().await?;
    let mut keys = HashMap::new();
    for jwk in &jwks.keys {
        let (Some(kid), Some(alg)) = (&jwk.common.key_id, &jwk.common.key_algorithm) else {
            continue;
        };
        let Ok(alg) = Algorithm::try_from(*alg) else {
            continue;
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[issuer]);
        validation.set_audience(audiences);
        validation.leeway = 0;
        keys.insert(kid.clone(), (DecodingKey::from_jwk(jwk)?, validation));
    }
    Ok(keys)
}

/// One ES256 signature per request: the `DPoP` proof's, by the key in its header.
async fn dpop_items(headers: HeaderMap) -> Response {
    let verified = headers
        .get("dpop")
        .and_then(|proof| proof.to_str().ok())
        .and_then(|proof| {
            let header = decode_header(proof).ok()?;
            let key = DecodingKey::from_jwk(header.jwk.as_ref()?).ok()?;
            let mut validation = Validation::new(Algorithm::ES256);
            validation.required_spec_claims.clear();
            validation.validate_exp = false;
            decode::<serde_json::Value>(proof, &key, &validation).ok()
        });
    match verified {
        Some(_) => Json(json!([{ "item_id": "Foo", "owner": "johndoe" }])).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    let mut args = std::env::args().skip(1);
    let (mut port, mut issuer, mut audiences) = (8001u16, None, Vec::new());
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--port" => port = value.parse().expect("--port takes a number"),
            "--issuer" => issuer = Some(value),
            "--audience" => audiences.push(value),
            other => panic!("unknown argument {other}"),
        }
    }
    let idp = match &issuer {
        Some(issuer) => idp_keys(issuer, &audiences)
            .await
            .expect("the provider's keys load"),
        None => HashMap::new(),
    };
    let mut hs256_validation = Validation::new(Algorithm::HS256);
    hs256_validation.leeway = 0;
    let peer = Arc::new(Peer {
        hs256: DecodingKey::from_secret(SECRET_KEY.as_bytes()).expect("HMAC key"),
        hs256_validation,
        users: HashMap::from([
            ("johndoe", User { disabled: false }),
            ("alice", User { disabled: true }),
        ]),
        idp,
    });
    let app = Router::new()
        .route("/users/me/items/", get(tutorial_items))
        .route("/idp/items/", get(idp_items))
        .route("/plain/items/", get(plain_items))
        .route("/dpop/items/", get(dpop_items))
        .with_state(peer);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the port is free");
    println!("handwritten peer on http://127.0.0.1:{port}");
    axum::serve(listener, app).await.expect("serves");
}
