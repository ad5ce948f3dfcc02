//! DPoP (RFC 9449) against the real provider: oidc-provider issues DPoP-bound tokens (client
//! credentials, `cnf.jkt`), panva's `dpop` client library makes the valid proofs, and the
//! malformed ones no library makes are forged here with the client's key. Every case of the
//! issue with its exact status and challenge: on `Authenticated`, a router requirement, the
//! FastAPI-style path (`AccessToken` + `verify_access`) and introspected opaque tokens; the
//! replay cache in memory and in a real redis-server shared by two replicas; server nonces.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum_scopes::dpop::{Dpop, ReplayCache};
use axum_scopes::jsonwebtoken::{Algorithm, EncodingKey};
use axum_scopes::jwt::{AccessToken, Introspection};
use axum_scopes::revocation::RedisOptions;
use axum_scopes::routing::{SecureRouter, router_security};
use axum_scopes::{
    AuthError, Authenticated, Authenticator, HttpError, Issuer, Security, SecurityScopes,
    TokenError, dangerous, dependency, requires_scopes,
};
use axum_scopes_tests::dpop::{DpopClient, ath, forge_proof};
use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use axum_scopes_tests::redis::RedisServer;
use axum_scopes_tests::request::{Answer, answer};
use axum_scopes_tests::token::now;
use serde::Deserialize;
use serde_json::json;

axum_scopes::security_scheme! {
    /// Services on the client-credentials grant of the provider.
    pub(crate) Service {
        oauth2: { client_credentials: { token_url: "http://127.0.0.1/token" } },
        scopes: { "items" => "Read items.", "reports:read" => "Read reports." },
    }
}

/// What a client-credentials token holds.
#[derive(Clone, Debug, Deserialize)]
struct Claims {
    client_id: String,
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Service>) -> String {
    format!("items for {}", claims.into_inner().client_id)
}

#[requires_scopes("reports:read")]
async fn reports(claims: Authenticated<Claims, Service>) -> String {
    claims.into_inner().client_id
}

/// The FastAPI-style path: the dependency verifies the token (and its proof) itself.
#[dependency]
async fn caller(
    scopes: SecurityScopes,
    token: AccessToken<Service>,
    State(authenticator): State<Authenticator>,
) -> Result<String, AuthError> {
    let verified = authenticator
        .verify_access::<Claims, _>(&token, &scopes)
        .await?;
    Ok(verified.claims.client_id)
}

/// A router requirement's dependency: `Authenticated` under the router's scopes.
#[dependency]
async fn service(claims: Authenticated<Claims, Service>) -> Result<String, HttpError> {
    Ok(claims.into_inner().client_id)
}

#[requires_scopes("items")]
async fn me(caller: Security<caller>) -> String {
    format!("me: {}", caller.into_inner())
}

/// Where the tests' server is, as its clients see it (requests go in process).
const ORIGIN: &str = "http://api.test";
const JWT: &str = "urn:axum-scopes:es256";
const OPAQUE: &str = "urn:axum-scopes:opaque";
/// What challenges announce with the test's algorithms.
const ALGS: &str = r#"algs="ES256 PS256""#;

fn dpop() -> Dpop {
    Dpop::new(ORIGIN)
        .unwrap()
        .algorithms(&[Algorithm::ES256, Algorithm::PS256])
        .unwrap()
}

async fn authenticator(provider: &RealProvider, dpop: Option<Dpop>) -> Authenticator {
    let mut builder = dangerous::allow_http(Authenticator::builder()).issuer(
        Issuer::discover(provider.issuer.clone())
            .audience(JWT)
            .audience(OPAQUE)
            .introspection(Introspection::new("rs", "rs-secret")),
    );
    if let Some(dpop) = dpop {
        builder = builder.dpop(dpop);
    }
    builder.build().await.expect("the provider is up")
}

fn app(authenticator: Authenticator) -> Router {
    Router::new()
        .route("/items", get(items))
        .route("/reports", get(reports))
        .route("/me", get(me))
        .with_state(authenticator)
}

/// `GET path` with `Authorization: <authorization>` and each of `proofs` as a `DPoP` header.
async fn send(app: &Router, path: &str, authorization: &str, proofs: &[&str]) -> Answer {
    send_with(app, Request::get(path), authorization, proofs).await
}

async fn send_with(
    app: &Router,
    mut request: http::request::Builder,
    authorization: &str,
    proofs: &[&str],
) -> Answer {
    request = request.header("authorization", authorization);
    for proof in proofs {
        request = request.header("dpop", *proof);
    }
    answer(app.clone(), request.body(Body::empty()).unwrap()).await
}

/// The status and the challenge of an answer.
fn verdict(answer: &Answer) -> (StatusCode, String) {
    (
        answer.status,
        answer.header("www-authenticate").unwrap_or_default(),
    )
}

fn invalid_proof(description: &str) -> (StatusCode, String) {
    (
        StatusCode::UNAUTHORIZED,
        format!(
            r#"DPoP error="invalid_dpop_proof", error_description="{description}", {ALGS}, Bearer"#
        ),
    )
}

/// A proof's claims as the client library writes them, for `GET <ORIGIN>/items`.
fn claims_for(token: &str, iat: u64) -> serde_json::Value {
    json!({
        "jti": format!("forged-{iat}-{}", rand_suffix()),
        "htm": "GET",
        "htu": format!("{ORIGIN}/items"),
        "iat": iat,
        "ath": ath(token),
    })
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn header_with(jwk: &serde_json::Value, alg: &str) -> serde_json::Value {
    json!({ "typ": "dpop+jwt", "alg": alg, "jwk": jwk })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_proof_check_answers_as_rfc_9449_says() {
    let provider = RealProvider::start(&ProviderConfig::new()).await;
    let app = app(authenticator(&provider, Some(dpop())).await);
    let mut client = DpopClient::start(&provider.issuer, JWT, "items");
    let token = client.access_token.clone();
    replay_method_and_uri(&app, &mut client, &token).await;
    token_hash_time_and_keys(&app, &mut client, &token).await;
    algorithms_and_types(&app, &client, &token).await;
    headers_schemes_and_scopes(&app, &mut client, &token).await;
}

/// A valid proof, its replay, `htm` and `htu`.
async fn replay_method_and_uri(app: &Router, client: &mut DpopClient, token: &str) {
    let dpop_auth = format!("DPoP {token}");
    let items = format!("{ORIGIN}/items");
    // A valid proof: 200; the same proof again: a replay.
    let proof = client.proof("GET", &items, None);
    let ok = send(app, "/items", &dpop_auth, &[&proof]).await;
    assert_eq!(
        (ok.status, ok.text()),
        (StatusCode::OK, "items for bench".into())
    );
    let again = send(app, "/items", &dpop_auth, &[&proof]).await;
    assert_eq!(verdict(&again), invalid_proof("DPoP proof replayed"));
    // A second fresh proof is a cache hit of the token, and passes.
    let proof = client.proof("GET", &items, None);
    assert_eq!(
        send(app, "/items", &dpop_auth, &[&proof]).await.status,
        StatusCode::OK
    );

    // `htm` and `htu`.
    let post = client.proof("POST", &items, None);
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&post]).await),
        invalid_proof("DPoP proof htm mismatch")
    );
    let other_path = client.proof("GET", &format!("{ORIGIN}/reports"), None);
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&other_path]).await),
        invalid_proof("DPoP proof htu mismatch")
    );
    for host in [
        "http://evil.test/items",
        "https://api.test/items",
        "http://api.test:8080/items",
    ] {
        let other_host = client.proof("GET", host, None);
        assert_eq!(
            verdict(&send(app, "/items", &dpop_auth, &[&other_host]).await),
            invalid_proof("DPoP proof htu mismatch"),
            "{host}"
        );
    }
    // The `Host` header naming the proof's host changes nothing: it is not trusted.
    let evil = client.proof("GET", "http://evil.test/items", None);
    let with_host = send_with(
        app,
        Request::get("/items").header("host", "evil.test"),
        &dpop_auth,
        &[&evil],
    )
    .await;
    assert_eq!(
        verdict(&with_host),
        invalid_proof("DPoP proof htu mismatch")
    );
    // Query and fragment are ignored; the URI is compared normalised.
    for htu in [
        format!("{ORIGIN}/items?page=2"),
        format!("{ORIGIN}/items#top"),
        "HTTP://API.TEST:80/./items".to_owned(),
    ] {
        let proof = client.proof("GET", &htu, None);
        let answer = send(app, "/items?page=2", &dpop_auth, &[&proof]).await;
        assert_eq!(answer.status, StatusCode::OK, "{htu}");
    }
}

/// `ath`, `iat`, and proofs signed by other keys.
async fn token_hash_time_and_keys(app: &Router, client: &mut DpopClient, token: &str) {
    let dpop_auth = format!("DPoP {token}");
    let items = format!("{ORIGIN}/items");
    // `ath`: missing, or the hash of another token.
    let no_ath = client.proof_without_ath("GET", &items);
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&no_ath]).await),
        invalid_proof("DPoP proof ath mismatch")
    );
    let foreign_hash = client.proof_for_token("GET", &items, "another-token");
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&foreign_hash]).await),
        invalid_proof("DPoP proof ath mismatch")
    );

    // Forged with the client's own key: stale and future `iat`.
    let key = client.signing_key();
    let jwk = client.public_jwk.clone();
    let now = now();
    let forged = |claims: serde_json::Value| {
        forge_proof(&header_with(&jwk, "ES256"), &claims, &key, Algorithm::ES256)
    };
    let control = forged(claims_for(token, now));
    assert_eq!(
        send(app, "/items", &dpop_auth, &[&control]).await.status,
        StatusCode::OK
    );
    let stale = forged(claims_for(token, now - 120));
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&stale]).await),
        invalid_proof("DPoP proof iat too old")
    );
    let future = forged(claims_for(token, now + 60));
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&future]).await),
        invalid_proof("DPoP proof iat in the future")
    );

    // Signed by another key: under the client's `jwk` (a bad signature), or with its own `jwk`
    // (a sound proof of a key the token is not bound to).
    let other_pem = other_ec_key();
    let other = EncodingKey::from_ec_pem(other_pem.0.as_bytes()).unwrap();
    let wrong_signer = forge_proof(
        &header_with(&jwk, "ES256"),
        &claims_for(token, now),
        &other,
        Algorithm::ES256,
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&wrong_signer]).await),
        invalid_proof("DPoP proof signature invalid")
    );
    let other_key = forge_proof(
        &header_with(&other_pem.1, "ES256"),
        &claims_for(token, now),
        &other,
        Algorithm::ES256,
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&other_key]).await),
        invalid_proof("Access token not bound to the DPoP proof key")
    );
}

/// A private key in the header, `alg: none`, HMAC, another `typ`.
async fn algorithms_and_types(app: &Router, client: &DpopClient, token: &str) {
    let dpop_auth = format!("DPoP {token}");
    // A private key in the header, `alg: none`, an HMAC proof, another `typ`.
    let key = client.signing_key();
    let jwk = client.public_jwk.clone();
    let now = now();
    let mut private = jwk.clone();
    private["d"] = json!("AAAA");
    let with_private = forge_proof(
        &header_with(&private, "ES256"),
        &claims_for(token, now),
        &key,
        Algorithm::ES256,
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&with_private]).await),
        invalid_proof("DPoP proof key must be public")
    );
    let none = format!(
        "{}.",
        axum_scopes_tests::token::forge(
            &header_with(&jwk, "none").to_string(),
            &claims_for(token, now).to_string(),
            |_| String::new()
        )
        .trim_end_matches('.')
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&none]).await),
        invalid_proof("DPoP proof algorithm not accepted")
    );
    let hmac = axum_scopes_tests::token::forge(
        &json!({ "typ": "dpop+jwt", "alg": "HS256", "jwk": { "kty": "oct", "k": "c2VjcmV0" } })
            .to_string(),
        &claims_for(token, now).to_string(),
        |message| axum_scopes_tests::token::hmac(message, b"secret", Algorithm::HS256),
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&hmac]).await),
        invalid_proof("DPoP proof algorithm not accepted")
    );
    let jwt_typ = forge_proof(
        &json!({ "typ": "JWT", "alg": "ES256", "jwk": jwk }),
        &claims_for(token, now),
        &key,
        Algorithm::ES256,
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&jwt_typ]).await),
        invalid_proof("DPoP proof typ must be dpop+jwt")
    );
}

/// The `DPoP` header count, Bearer downgrade, scopes and no credentials.
async fn headers_schemes_and_scopes(app: &Router, client: &mut DpopClient, token: &str) {
    let dpop_auth = format!("DPoP {token}");
    let items = format!("{ORIGIN}/items");
    // Two `DPoP` headers, none, garbage.
    let (first, second) = (
        client.proof("GET", &items, None),
        client.proof("GET", &items, None),
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[&first, &second]).await),
        invalid_proof("More than one DPoP proof")
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &[]).await),
        invalid_proof("No DPoP proof")
    );
    assert_eq!(
        verdict(&send(app, "/items", &dpop_auth, &["not.a.proof"]).await),
        invalid_proof("Malformed DPoP proof")
    );

    // The bound token as Bearer: no downgrade.
    let bearer = send(app, "/items", &format!("Bearer {token}"), &[]).await;
    assert_eq!(
        verdict(&bearer),
        (
            StatusCode::UNAUTHORIZED,
            format!(r#"Bearer error="invalid_token", DPoP {ALGS}"#)
        )
    );
    // A valid proof, a scope the token lacks: 403 on the DPoP challenge.
    let proof = client.proof("GET", &format!("{ORIGIN}/reports"), None);
    let forbidden = send(app, "/reports", &dpop_auth, &[&proof]).await;
    assert_eq!(
        verdict(&forbidden),
        (
            StatusCode::FORBIDDEN,
            format!(r#"DPoP error="insufficient_scope", scope="reports:read", {ALGS}, Bearer"#)
        )
    );
    // No credentials: both challenges, bare.
    let anonymous = answer(
        app.clone(),
        Request::get("/items").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        verdict(&anonymous),
        (StatusCode::UNAUTHORIZED, format!("Bearer, DPoP {ALGS}"))
    );
}

/// A P-256 key of the test's own, as PKCS#8 PEM and public JWK.
fn other_ec_key() -> (String, serde_json::Value) {
    // Generated once with `openssl ecparam -genkey -name prime256v1 | openssl pkcs8 -topk8
    // -nocrypt`; its public half exported by node's `crypto` as a JWK. A test key, trusted
    // by nothing.
    (
        "-----BEGIN PRIVATE KEY-----\n\
         MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdSp3tQNjSLlXRLT1\n\
         gzmWyVBG7KTD26G1OKNgrcc9bPWhRANCAAQOuhVUgRtR4JZOZhvGcj3D5a/iPgkj\n\
         ELAAcBEULMyztptU00h82OEKCafKHrX1Eszjn+xsrqakeKYdBxQcr8ab\n\
         -----END PRIVATE KEY-----\n"
            .to_owned(),
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": "DroVVIEbUeCWTmYbxnI9w-Wv4j4JIxCwAHARFCzMs7Y",
            "y": "m1TTSHzY4QoJp8oetfUSzOOf7GyupqR4ph0HFByvxps",
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_takes_dpop_and_refuses_a_bound_token_without_its_proof() {
    let provider = RealProvider::start(&ProviderConfig::new()).await;
    let authenticator = authenticator(&provider, Some(dpop())).await;
    let api = app(authenticator.clone());
    let mut client = DpopClient::start(&provider.issuer, JWT, "items");
    let token = client.access_token.clone();
    let me = format!("{ORIGIN}/me");

    // The FastAPI-style path: the same answers.
    let proof = client.proof("GET", &me, None);
    let ok = send(&api, "/me", &format!("DPoP {token}"), &[&proof]).await;
    assert_eq!((ok.status, ok.text()), (StatusCode::OK, "me: bench".into()));
    let replay = send(&api, "/me", &format!("DPoP {token}"), &[&proof]).await;
    assert_eq!(verdict(&replay), invalid_proof("DPoP proof replayed"));
    let bearer = send(&api, "/me", &format!("Bearer {token}"), &[]).await;
    assert_eq!(
        verdict(&bearer),
        (
            StatusCode::UNAUTHORIZED,
            format!(r#"Bearer error="invalid_token", DPoP {ALGS}"#)
        )
    );

    // A router requirement resolves `Authenticated` the same way.
    let secured: Router = Router::<Authenticator>::new()
        .route("/plain", get(|| async { "plain" }))
        .secure(router_security!(service, "items"), authenticator.clone())
        .with_state(authenticator.clone());
    let proof = client.proof("GET", &format!("{ORIGIN}/plain"), None);
    let plain = send(&secured, "/plain", &format!("DPoP {token}"), &[&proof]).await;
    assert_eq!(
        (plain.status, plain.text()),
        (StatusCode::OK, "plain".into())
    );
    let plain = send(&secured, "/plain", &format!("Bearer {token}"), &[]).await;
    assert_eq!(plain.status, StatusCode::UNAUTHORIZED);

    // The calls that take no proof refuse a bound token.
    let verified = authenticator
        .verify::<serde_json::Value>(token.as_bytes())
        .await;
    assert!(
        matches!(verified, Err(TokenError::DpopBound)),
        "{verified:?}"
    );

    // Introspected opaque tokens: bound by the answer's `cnf.jkt`.
    let mut opaque = DpopClient::start(&provider.issuer, OPAQUE, "items");
    let proof = opaque.proof("GET", &format!("{ORIGIN}/items"), None);
    let ok = send(
        &api,
        "/items",
        &format!("DPoP {}", opaque.access_token),
        &[&proof],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let bearer = send(
        &api,
        "/items",
        &format!("Bearer {}", opaque.access_token),
        &[],
    )
    .await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED);
    // The JWT client's proof does not fit the opaque token.
    let wrong = client.proof_for_token("GET", &format!("{ORIGIN}/items"), &opaque.access_token);
    let refused = send(
        &api,
        "/items",
        &format!("DPoP {}", opaque.access_token),
        &[&wrong],
    )
    .await;
    assert_eq!(
        verdict(&refused),
        invalid_proof("Access token not bound to the DPoP proof key")
    );

    // An unbound token presented as DPoP is refused too; as Bearer it passes.
    let plain_token = provider.client_credentials("items", JWT).await;
    let proof = client.proof_for_token("GET", &format!("{ORIGIN}/items"), &plain_token);
    let unbound = send(&api, "/items", &format!("DPoP {plain_token}"), &[&proof]).await;
    assert_eq!(
        verdict(&unbound),
        invalid_proof("Access token not bound to the DPoP proof key")
    );
    let bearer = send(&api, "/items", &format!("Bearer {plain_token}"), &[]).await;
    assert_eq!(bearer.status, StatusCode::OK);

    // Without DPoP configured, `Authorization: DPoP` is no credential at all.
    let bearer_only = app_without_dpop(&provider).await;
    let proof = client.proof("GET", &format!("{ORIGIN}/items"), None);
    let answer = send(&bearer_only, "/items", &format!("DPoP {token}"), &[&proof]).await;
    assert_eq!(
        verdict(&answer),
        (StatusCode::UNAUTHORIZED, "Bearer".into())
    );

    // DPoP only: a Bearer token is no credential, challenged with DPoP alone.
    let only = app(authenticator_with(&provider, dpop().dpop_only()).await);
    let answer = send(&only, "/items", &format!("Bearer {plain_token}"), &[]).await;
    assert_eq!(
        verdict(&answer),
        (StatusCode::UNAUTHORIZED, format!("DPoP {ALGS}"))
    );
    let proof = client.proof("GET", &format!("{ORIGIN}/items"), None);
    let answer = send(&only, "/items", &format!("DPoP {token}"), &[&proof]).await;
    assert_eq!(answer.status, StatusCode::OK);
}

async fn app_without_dpop(provider: &RealProvider) -> Router {
    app(authenticator(provider, None).await)
}

async fn authenticator_with(provider: &RealProvider, dpop: Dpop) -> Authenticator {
    authenticator(provider, Some(dpop)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_are_demanded_then_accepted_from_any_replica() {
    let provider = RealProvider::start(&ProviderConfig::new()).await;
    let secret = [42u8; 32];
    let with_nonces = || {
        dpop()
            .require_nonces(&secret, Duration::from_secs(300))
            .unwrap()
    };
    let replica_a = app(authenticator_with(&provider, with_nonces()).await);
    let replica_b = app(authenticator_with(&provider, with_nonces()).await);
    let mut client = DpopClient::start(&provider.issuer, JWT, "items");
    let auth = format!("DPoP {}", client.access_token);
    let items = format!("{ORIGIN}/items");

    let proof = client.proof("GET", &items, None);
    let demanded = send(&replica_a, "/items", &auth, &[&proof]).await;
    assert_eq!(
        verdict(&demanded),
        (
            StatusCode::UNAUTHORIZED,
            format!(
                r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", {ALGS}, Bearer"#
            )
        )
    );
    let nonce = demanded.header("dpop-nonce").expect("a DPoP-Nonce header");
    let proof = client.proof("GET", &items, Some(&nonce));
    assert_eq!(
        send(&replica_a, "/items", &auth, &[&proof]).await.status,
        StatusCode::OK
    );
    // Issued by replica A, accepted by replica B.
    let proof = client.proof("GET", &items, Some(&nonce));
    assert_eq!(
        send(&replica_b, "/items", &auth, &[&proof]).await.status,
        StatusCode::OK
    );
    // A nonce of another secret is refused with a fresh one.
    let other = app(authenticator_with(
        &provider,
        dpop()
            .require_nonces(&[7u8; 32], Duration::from_secs(300))
            .unwrap(),
    )
    .await);
    let proof = client.proof("GET", &items, Some(&nonce));
    let refused = send(&other, "/items", &auth, &[&proof]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(
        refused
            .header("dpop-nonce")
            .is_some_and(|fresh| fresh != nonce)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_replayed_against_another_replica_is_refused_through_redis() {
    let provider = RealProvider::start(&ProviderConfig::new()).await;
    let mut redis = RedisServer::start();
    let shared = || {
        let options = RedisOptions::new(redis.url()).write_timeout(Duration::from_millis(500));
        dpop().replay_cache(ReplayCache::redis(&options).unwrap())
    };
    let replica_a = app(authenticator_with(&provider, shared()).await);
    let replica_b = app(authenticator_with(&provider, shared()).await);
    // In memory, replicas do not see each other's proofs: why Redis is needed.
    let memory_a = app(authenticator_with(&provider, dpop()).await);
    let memory_b = app(authenticator_with(&provider, dpop()).await);
    let mut client = DpopClient::start(&provider.issuer, JWT, "items");
    let auth = format!("DPoP {}", client.access_token);
    let items = format!("{ORIGIN}/items");

    let proof = client.proof("GET", &items, None);
    assert_eq!(
        send(&replica_a, "/items", &auth, &[&proof]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        verdict(&send(&replica_b, "/items", &auth, &[&proof]).await),
        invalid_proof("DPoP proof replayed")
    );
    assert_eq!(
        verdict(&send(&replica_a, "/items", &auth, &[&proof]).await),
        invalid_proof("DPoP proof replayed")
    );
    let proof = client.proof("GET", &items, None);
    assert_eq!(
        send(&memory_a, "/items", &auth, &[&proof]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&memory_b, "/items", &auth, &[&proof]).await.status,
        StatusCode::OK
    );

    // Redis down: 503, never a proof accepted unchecked; served again once it is back.
    redis.stop();
    let proof = client.proof("GET", &items, None);
    let down = send(&replica_a, "/items", &auth, &[&proof]).await;
    assert_eq!(
        (
            down.status,
            down.header("retry-after"),
            down.header("www-authenticate")
        ),
        (StatusCode::SERVICE_UNAVAILABLE, Some("5".into()), None)
    );
    redis.restart();
    let proof = client.proof("GET", &items, None);
    assert_eq!(
        send(&replica_b, "/items", &auth, &[&proof]).await.status,
        StatusCode::OK
    );
}

/// The document says the scheme takes DPoP, and stays valid OpenAPI 3.1 (openapi-spec-validator).
#[test]
fn the_document_says_the_scheme_takes_dpop() {
    use utoipa::Modify as _;
    use utoipa_axum::{router::OpenApiRouter, routes};

    #[requires_scopes("items")]
    #[utoipa::path(get, path = "/items", responses((status = 200, description = "Items.")))]
    async fn listed(claims: Authenticated<Claims, Service>) -> String {
        claims.into_inner().client_id
    }

    let (_, mut document) = OpenApiRouter::<Authenticator>::new()
        .routes(routes!(listed))
        .split_for_parts();
    axum_scopes::openapi::SchemeAddon::<Service>::new().modify(&mut document);
    axum_scopes::openapi::document_dpop(&mut document, &dpop());
    let json = serde_json::to_value(&document).unwrap();
    let name = <Service as axum_scopes::Scheme>::INFO.name;
    let scheme = &json["components"]["securitySchemes"][name];
    assert_eq!(
        scheme["x-dpop"],
        json!({ "algs": ["ES256", "PS256"], "bearer": true }),
        "{scheme}"
    );
    assert!(
        scheme["description"]
            .as_str()
            .is_some_and(|text| text.contains("`Authorization: DPoP <token>`")),
        "{scheme}"
    );
    // The operation's requirement is untouched: the same scheme and scopes.
    assert_eq!(
        json["paths"]["/items"]["get"]["security"],
        json!([{ name: ["items"] }])
    );
    axum_scopes_tests::openapi::validate_openapi("dpop", &json);
}
