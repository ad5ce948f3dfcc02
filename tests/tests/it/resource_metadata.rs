//! RFC 9728: the protected-resource metadata document, served from the declarations, and its URL
//! in every bearer challenge of the RFC 6750 answers.

use axum::Router;
use axum::routing::get;
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::openapi::ProtectedResource;
use axum_scopes::{AuthConfig, Authenticated, Authenticator, Issuer, requires_scopes};
use axum_scopes_tests::request::{answer, get as request};
use axum_scopes_tests::token::Tokens;
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

axum_scopes::oauth2_password_bearer! {
    /// The resource's scheme.
    pub(crate) Mcp { token_url: "token", scopes: { "tools" => "Call tools.", "admin" => "Administer." } }
}

const ISS: &str = "https://sso.example.com/realms/mcp";
const SECRET: &[u8] = b"the resource metadata tests' secret, 32 bytes or more";

#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

#[requires_scopes("tools")]
async fn tools(claims: Authenticated<Claims, Mcp>) -> String {
    claims.into_inner().sub
}

async fn app() -> (Router, ProtectedResource) {
    // The challenges need the document's URL before the authenticator is built; the document
    // lists the authenticator's issuers after.
    let resource = ProtectedResource::new("https://api.example.com/mcp");
    let config = AuthConfig::new().with_resource_metadata(resource.metadata_url().unwrap());
    let auth = Authenticator::builder()
        .issuer(Issuer::new(ISS).key(Key::secret(SECRET, &[Algorithm::HS256]).unwrap()))
        .auth_config(config)
        .build()
        .await
        .unwrap();
    let metadata = resource
        .authorization_servers(auth.issuers().iter().cloned())
        .scheme::<Mcp>()
        .documentation("https://api.example.com/docs");
    let app = Router::new()
        .route("/mcp", get(tools))
        .merge(metadata.router())
        .with_state(auth);
    (app, metadata)
}

/// The agent's tokens, signed with [`SECRET`] and issued by [`ISS`].
const AGENT: Tokens = Tokens::new(SECRET, "agent").issuer(ISS);

const METADATA: &str = "https://api.example.com/.well-known/oauth-protected-resource/mcp";

#[tokio::test]
async fn the_document_is_served_at_the_path_suffixed_well_known_url() {
    let (app, metadata) = app().await;
    assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource/mcp");
    let answer = answer(app, request(&metadata.path(), None)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({
            "resource": "https://api.example.com/mcp",
            "authorization_servers": [ISS],
            "scopes_supported": ["tools", "admin"],
            "bearer_methods_supported": ["header"],
            "resource_documentation": "https://api.example.com/docs",
        })
    );
}

#[tokio::test]
async fn every_bearer_challenge_points_at_the_metadata() {
    let (app, _) = app().await;
    let cases = [
        (
            None,
            StatusCode::UNAUTHORIZED,
            format!("Bearer resource_metadata=\"{METADATA}\""),
        ),
        (
            Some("Bearer not.a.token".to_owned()),
            StatusCode::UNAUTHORIZED,
            format!("Bearer error=\"invalid_token\", resource_metadata=\"{METADATA}\""),
        ),
        (
            Some(format!("Bearer {}", AGENT.scope("admin"))),
            StatusCode::FORBIDDEN,
            format!(
                "Bearer error=\"insufficient_scope\", scope=\"tools\", resource_metadata=\"{METADATA}\""
            ),
        ),
    ];
    for (authorization, status, challenge) in cases {
        let answer = answer(app.clone(), request("/mcp", authorization.as_deref())).await;
        assert_eq!(answer.status, status);
        assert_eq!(answer.header("www-authenticate"), Some(challenge));
    }
    let ok = answer(
        app,
        request("/mcp", Some(&format!("Bearer {}", AGENT.scope("tools")))),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.text(), "agent");
}

#[test]
fn a_resource_without_a_path_is_served_at_the_bare_well_known_url() {
    let metadata = ProtectedResource::new("https://api.example.com");
    assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource");
    assert_eq!(
        metadata.metadata_url().unwrap().as_str(),
        "https://api.example.com/.well-known/oauth-protected-resource"
    );
    assert!(ProtectedResource::new("not a url").metadata_url().is_err());
    assert!(axum_scopes::rejection::ResourceMetadata::new("https://x/\"quote").is_err());
}
