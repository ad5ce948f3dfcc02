//! Key rotation at a real `OpenID` provider (oidc-provider from npm, run on 127.0.0.1 by
//! `axum_scopes_tests::oidc`): an `Authenticator` built through discovery meets the provider
//! restarted on the same port with a new key of another algorithm (ES256 `rotation-1`, then
//! RS256 `rotation-2`). The new tokens verify within the JWKS refresh rate limit
//! (`JwksOptions::min_refresh_interval`, 4 s here) and not before it, the withdrawn key's tokens
//! are refused, and with the provider killed the tokens of the keys already loaded keep verifying.
//!
//! The verified-token cache is off: every verification goes to the keys, so a token accepted from
//! the cache cannot hide a key that is gone.

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_scopes::jsonwebtoken::{Algorithm, decode_header};
use axum_scopes::jwt::{JwksOptions, TokenCacheOptions, TokenError, Verified};
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use axum_scopes_tests::request::call;
use axum_scopes_tests::token::forge;
use serde::Deserialize;

/// The audience the tokens are asked for (RFC 8707 `resource`); the provider signs them with its
/// first key's algorithm.
const RESOURCE: &str = "urn:axum-scopes:rotation";
/// The JWKS refresh rate limit of the authenticator: longer than a restart of the provider
/// takes (under a second here), so the new key is seen to wait for it.
const MIN_REFRESH: Duration = Duration::from_secs(4);
/// What a refresh may take beyond the rate limit: a poll period and a fetch on loopback.
const SLACK: Duration = Duration::from_secs(1);

axum_scopes::security_scheme! {
    /// Services on the client-credentials grant of the provider.
    pub(crate) Service {
        oauth2: { client_credentials: { token_url: "http://127.0.0.1/token" } },
        scopes: { "items" => "Read items." },
    }
}

#[derive(Clone, Debug, Deserialize)]
struct Claims {
    sub: String,
}

#[requires_scopes("items")]
async fn items(claims: Authenticated<Claims, Service>) -> String {
    format!("items for {}", claims.into_inner().sub)
}

/// The `alg` and `kid` of a token's header.
fn signed_with(token: &str) -> (Algorithm, String) {
    axum_scopes::jwt::install_crypto_provider();
    let header = decode_header(token).expect("the provider's tokens have a JWS header");
    (header.alg, header.kid.unwrap_or_default())
}

async fn verify(auth: &Authenticator, token: &str) -> Result<Verified<Claims>, TokenError> {
    auth.verify::<Claims>(token.as_bytes()).await
}

/// A token naming `kid`, which no key of the provider carries (its signature is never checked:
/// the key lookup refuses it first).
fn unknown_kid(kid: &str) -> String {
    forge(
        &format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"{kid}"}}"#),
        r#"{"iss":"x","sub":"bench","aud":"urn:axum-scopes:rotation","exp":4102444800,"scope":"items"}"#,
        |_| "c2lnbmF0dXJl".to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_follows_a_key_rotation_and_survives_the_provider_down() {
    let mut config = ProviderConfig::new();
    config.keys = Some("ES256:rotation-1".to_owned());
    let mut provider = RealProvider::start(&config).await;
    // The restart below takes the same port.
    config.port = provider.port;
    let auth = dangerous::allow_http(Authenticator::builder())
        .issuer(Issuer::discover(provider.issuer.clone()).audience(RESOURCE))
        .require_access_token_type()
        .jwks_options(JwksOptions::default().min_refresh_interval(MIN_REFRESH))
        .token_cache(TokenCacheOptions::disabled())
        .build()
        .await
        .expect("the provider's keys load through discovery");
    let app = Router::new()
        .route("/items", get(items))
        .with_state(auth.clone());

    // Before the rotation: ES256 tokens of `rotation-1`.
    let old = provider.client_credentials("items", RESOURCE).await;
    assert_eq!(
        signed_with(&old),
        (Algorithm::ES256, "rotation-1".to_owned())
    );
    let verified = verify(&auth, &old)
        .await
        .expect("a token of the current key");
    assert_eq!(verified.claims.sub, "bench");
    assert_eq!(call(&app, "/items", Some(&old)).await.0, StatusCode::OK);

    // Past the build's rate limit, a `kid` nobody has makes the authenticator fetch the keys:
    // the last fetch is now.
    tokio::time::sleep(MIN_REFRESH).await;
    let fetched = Instant::now();
    assert!(
        matches!(
            verify(&auth, &unknown_kid("made-up")).await,
            Err(TokenError::UnknownKey)
        ),
        "a made-up kid"
    );

    // The rotation: the same issuer and port, a new key of another algorithm; `rotation-1` is
    // withdrawn.
    provider.stop();
    config.keys = Some("RS256:rotation-2".to_owned());
    let mut provider = RealProvider::start(&config).await;
    let new = provider.client_credentials("items", RESOURCE).await;
    assert_eq!(
        signed_with(&new),
        (Algorithm::RS256, "rotation-2".to_owned())
    );
    assert!(
        fetched.elapsed() < MIN_REFRESH,
        "the provider took {:?} to restart, more than the rate limit this test relies on",
        fetched.elapsed()
    );

    // Within the rate limit the new `kid` is unknown and nothing is fetched; once the limit
    // lets a refresh through, it verifies.
    let mut refused_before = 0;
    let verified = loop {
        match verify(&auth, &new).await {
            Ok(verified) => break verified,
            Err(TokenError::UnknownKey) if fetched.elapsed() < MIN_REFRESH + SLACK => {
                refused_before += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(other) => panic!(
                "the new key's token, {:?} after the last fetch: {other:?}",
                fetched.elapsed()
            ),
        }
    };
    let took = fetched.elapsed();
    eprintln!(
        "rotation: the new key verified {took:?} after the last fetch ({refused_before} refusals before)"
    );
    assert!(
        refused_before > 0,
        "the new kid was refused within the rate limit"
    );
    assert!(
        took >= MIN_REFRESH,
        "a fetch {took:?} after the last, within the rate limit"
    );
    assert!(
        took <= MIN_REFRESH + SLACK,
        "accepted {took:?} after the last fetch"
    );
    assert_eq!(verified.claims.sub, "bench");
    assert!(verified.scopes.iter().any(|scope| scope == "items"));
    assert_eq!(call(&app, "/items", Some(&new)).await.0, StatusCode::OK);

    // The withdrawn key's token: no key carries `rotation-1` any more.
    assert!(
        matches!(verify(&auth, &old).await, Err(TokenError::UnknownKey)),
        "the withdrawn key's token"
    );
    let (status, _, challenge) = call(&app, "/items", Some(&old)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );

    // The provider down: the key already loaded keeps verifying its tokens.
    provider.stop();
    with_the_provider_down(&auth, &app, &new).await;
}

/// With the provider killed: `new`'s key, loaded before, keeps verifying; an unknown `kid`
/// is answered 503.
async fn with_the_provider_down(auth: &Authenticator, app: &Router, new: &str) {
    let verified = verify(auth, new)
        .await
        .expect("a loaded key, provider down");
    assert_eq!(verified.claims.sub, "bench");
    assert_eq!(call(app, "/items", Some(new)).await.0, StatusCode::OK);

    // A `kid` nobody has seen, past the rate limit: the refresh it causes fails, so the key may
    // exist but cannot be had: 503, not 401.
    tokio::time::sleep(MIN_REFRESH + Duration::from_millis(200)).await;
    let unknown = unknown_kid("rotation-3");
    assert!(
        matches!(
            verify(auth, &unknown).await,
            Err(TokenError::KeysUnavailable)
        ),
        "an unknown kid with the provider down"
    );
    assert_eq!(
        call(app, "/items", Some(&unknown)).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The failed refresh kept the keys it had.
    assert!(
        verify(auth, new).await.is_ok(),
        "a loaded key after a failed refresh"
    );
    assert_eq!(call(app, "/items", Some(new)).await.0, StatusCode::OK);
}
