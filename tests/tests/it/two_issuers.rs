//! Two real `OpenID` providers (oidc-provider from npm, on 127.0.0.1) trusted by one
//! `Authenticator` through discovery, both naming their signing key `key-a`, as tenants and
//! realms of real providers do: each issuer's tokens are accepted; a token that mixes one
//! issuer's claims with the other's signature, or names the other's audience, is refused; an
//! unknown `kid` refreshes only its issuer's keys; and with one provider down the other's tokens
//! are untouched.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_scopes::jwt::{JwksOptions, TokenCacheOptions, TokenError, Verified};
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use axum_scopes_tests::request::{answer, get as request};
use axum_scopes_tests::token::forge;
use base64::Engine as _;
use serde::Deserialize;

/// Each provider's tokens are asked for its own audience (RFC 8707 `resource`).
const AUD_A: &str = "urn:axum-scopes:tenant-a";
const AUD_B: &str = "urn:axum-scopes:tenant-b";
/// The one key of both providers: ES256, `kid` `key-a`.
const KEYS: &str = "ES256:key-a";

axum_scopes::security_scheme! {
    /// Services of either tenant.
    pub Service {
        oauth2: { client_credentials: { token_url: "http://127.0.0.1/token" } },
        scopes: { "items" => "Read items." },
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Claims {
    iss: String,
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Service>) -> String {
    claims.into_inner().iss
}

async fn verify(auth: &Authenticator, token: &str) -> Result<Verified<Claims>, TokenError> {
    auth.verify::<Claims>(token.as_bytes()).await
}

/// The status and body of `GET /items` with `token`.
async fn call(app: &Router, token: &str) -> (StatusCode, String) {
    let seen = answer(
        app.clone(),
        request("/items", Some(&format!("Bearer {token}"))),
    )
    .await;
    (
        seen.status,
        String::from_utf8_lossy(&seen.body).into_owned(),
    )
}

/// `token`'s three segments.
fn segments(token: &str) -> [&str; 3] {
    let mut parts = token.split('.');
    [(); 3].map(|()| parts.next().expect("a compact JWS"))
}

/// `token` with its header's `kid` replaced by `kid` (the signature no longer matches; the key
/// lookup decides first).
fn with_kid(token: &str, kid: &str) -> String {
    let [_, payload, signature] = segments(token);
    let header = format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#);
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = engine.decode(payload).expect("base64url payload");
    forge(&header, std::str::from_utf8(&payload).unwrap(), |_| {
        signature.to_owned()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_providers_with_colliding_kids() {
    let keys = Some(KEYS.to_owned());
    let a = RealProvider::start(&ProviderConfig {
        keys: keys.clone(),
        ..ProviderConfig::new()
    })
    .await;
    let mut b = RealProvider::start(&ProviderConfig {
        keys,
        ..ProviderConfig::new()
    })
    .await;
    let auth = dangerous::allow_http(Authenticator::builder())
        .issuer(Issuer::discover(a.issuer.clone()).audience(AUD_A))
        .issuer(Issuer::discover(b.issuer.clone()).audience(AUD_B))
        // Every answer below comes from the keys, not from an earlier acceptance.
        .token_cache(TokenCacheOptions::disabled())
        .jwks_options(JwksOptions::default().min_refresh_interval(Duration::from_secs(60)))
        .build()
        .await
        .expect("both providers' keys load");
    let app = Router::new()
        .route("/items", get(items))
        .with_state(auth.clone());

    // Each issuer's tokens, signed by keys that share a kid, are accepted.
    let token_a = a.client_credentials("items", AUD_A).await;
    let token_b = b.client_credentials("items", AUD_B).await;
    assert_eq!(
        call(&app, &token_a).await,
        (StatusCode::OK, a.issuer.clone())
    );
    assert_eq!(
        call(&app, &token_b).await,
        (StatusCode::OK, b.issuer.clone())
    );

    // A's signature over B's claims: B's key is chosen by B's `iss`, and refuses it.
    let [header_a, _, signature_a] = segments(&token_a);
    let [_, payload_b, _] = segments(&token_b);
    let mixed = format!("{header_a}.{payload_b}.{signature_a}");
    let error = verify(&auth, &mixed).await.unwrap_err();
    assert!(
        matches!(error, TokenError::InvalidSignature(_)),
        "{error:?}"
    );
    assert_eq!(call(&app, &mixed).await.0, StatusCode::UNAUTHORIZED);

    // A token of A for B's audience: A's issuer requires its own.
    let wrong_audience = a.client_credentials("items", AUD_B).await;
    let error = verify(&auth, &wrong_audience).await.unwrap_err();
    assert!(matches!(error, TokenError::InvalidAudience(_)), "{error:?}");
    assert_eq!(
        call(&app, &wrong_audience).await.0,
        StatusCode::UNAUTHORIZED
    );

    // B goes down. A's tokens are untouched, also one with a kid A does not know (A's keys
    // are refreshed, not B's: a plain unknown key, 401); B's keys already loaded keep
    // verifying B's tokens; a kid unknown to B cannot be looked up now: 503.
    b.stop();
    assert_eq!(
        call(&app, &token_a).await,
        (StatusCode::OK, a.issuer.clone())
    );
    let error = verify(&auth, &with_kid(&token_a, "key-z"))
        .await
        .unwrap_err();
    assert!(matches!(error, TokenError::UnknownKey), "{error:?}");
    assert_eq!(call(&app, &token_b).await.0, StatusCode::OK);
    let error = verify(&auth, &with_kid(&token_b, "key-z"))
        .await
        .unwrap_err();
    assert!(matches!(error, TokenError::KeysUnavailable), "{error:?}");
    assert_eq!(
        call(&app, &with_kid(&token_b, "key-y")).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // And A still answers as before.
    let fresh_a = a.client_credentials("items", AUD_A).await;
    assert_eq!(
        call(&app, &fresh_a).await,
        (StatusCode::OK, a.issuer.clone())
    );
}
