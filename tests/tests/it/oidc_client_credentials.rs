//! The client-credentials grant of a real `OpenID` provider (oidc-provider from npm, run on
//! 127.0.0.1 by `axum_scopes_tests::oidc`): RFC 9068 `at+jwt` access tokens, whose audience is
//! the resource indicator (RFC 8707) and whose granted scopes are a `scope` string, verified
//! through discovery by `Authenticated`: 200 with the scope, 403 `insufficient_scope` without
//! it, 401 `invalid_token` for a tampered token, for an ES256 and an RS256 resource.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use axum_scopes::jsonwebtoken::{Algorithm, decode_header};
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use axum_scopes_tests::request::call;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

axum_scopes::security_scheme! {
    /// Services on the client-credentials grant of the provider.
    pub(crate) Service {
        oauth2: { client_credentials: { token_url: "http://127.0.0.1/token" } },
        scopes: { "items" => "Read items.", "me" => "Read yourself." },
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

/// `token` with one character of its payload changed, its signature kept.
fn tampered(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap())
        .expect("the payload is JSON");
    payload["sub"] = Value::String("mallory".to_owned());
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    parts.join(".")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_tokens_verify_through_discovery() {
    let provider = RealProvider::start(&ProviderConfig::new()).await;
    for (resource, algorithm) in [
        ("urn:axum-scopes:es256", Algorithm::ES256),
        ("urn:axum-scopes:rs256", Algorithm::RS256),
    ] {
        let auth = dangerous::allow_http(Authenticator::builder())
            .issuer(Issuer::discover(provider.issuer.clone()).audience(resource))
            .require_access_token_type()
            .build()
            .await
            .expect("the provider's keys load through discovery");
        let app = Router::new().route("/items", get(items)).with_state(auth);

        let token = provider.client_credentials("items", resource).await;
        axum_scopes::jwt::install_crypto_provider();
        let header = decode_header(&token).expect("a JWS header");
        assert_eq!(
            (header.alg, header.typ.as_deref()),
            (algorithm, Some("at+jwt")),
            "RFC 9068 tokens of {resource}"
        );
        let (status, body, _) = call(&app, "/items", Some(&token)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "items for bench"));

        let lesser = provider.client_credentials("me", resource).await;
        let (status, _, challenge) = call(&app, "/items", Some(&lesser)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{resource}");
        assert_eq!(
            challenge,
            r#"Bearer error="insufficient_scope", scope="items""#
        );

        let (status, _, challenge) = call(&app, "/items", Some(&tampered(&token))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{resource}");
        assert_eq!(challenge, r#"Bearer error="invalid_token""#);

        // A token for the other resource: its audience is not this server's.
        let other = if resource.ends_with("es256") {
            "urn:axum-scopes:rs256"
        } else {
            "urn:axum-scopes:es256"
        };
        let foreign = provider.client_credentials("items", other).await;
        let (status, _, challenge) = call(&app, "/items", Some(&foreign)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{resource}");
        assert_eq!(challenge, r#"Bearer error="invalid_token""#);
    }
}
