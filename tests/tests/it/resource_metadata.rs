//! RFC 9728: the protected-resource metadata document, served from the declarations, and its URL
//! in every bearer challenge of the RFC 6750 answers.

use axum::Router;
use axum::routing::get;
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::Key;
use axum_scopes::openapi::ProtectedResource;
use axum_scopes::rejection::ErrorStyle;
use axum_scopes::routing::{SecureRouter, router_security};
use axum_scopes::{
    AuthConfig, Authenticated, Authenticator, BearerToken, HttpError, Issuer, JwtKeys, Security,
    SecurityScopes, dependency, requires_scopes,
};
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

/// The tutorial's way: the app verifies in its own dependency and answers with `HttpError`s
/// built from `SecurityScopes`; nothing in it knows about RFC 9728.
#[dependency]
async fn current_agent(
    scopes: SecurityScopes,
    token: BearerToken<Mcp>,
) -> Result<String, HttpError> {
    let keys = JwtKeys::hs256(SECRET);
    let token = keys
        .verify_scoped::<serde_json::Value>(token.as_bytes())
        .map_err(|_| HttpError::unauthorized("Could not validate credentials", &scopes))?;
    if !scopes.is_satisfied_by(token.scopes.iter()) {
        return Err(HttpError::unauthorized("Not enough permissions", &scopes));
    }
    Ok(token.claims["sub"].as_str().unwrap_or_default().to_owned())
}

#[requires_scopes("tools")]
async fn fastapi_tools(agent: Security<current_agent>) -> String {
    agent.into_inner()
}

async fn listed() -> &'static str {
    "listed"
}

/// The config given once, as the router's layer: the FastAPI-style answers (`BearerToken`'s 401,
/// the app's own `HttpError`s, a router requirement's) name the metadata too.
#[tokio::test]
async fn the_routers_config_reaches_the_answers_the_app_builds_itself() {
    let resource = ProtectedResource::new("https://api.example.com/mcp");
    let config = AuthConfig::new().with_resource_metadata(resource.metadata_url().unwrap());
    let app = Router::new()
        .route("/mcp", get(fastapi_tools))
        .merge(
            Router::new()
                .route("/listed", get(listed))
                .secure(router_security!(current_agent, "tools"), ()),
        )
        .layer(config);
    let cases = [
        (
            "/mcp",
            None,
            format!("Bearer resource_metadata=\"{METADATA}\""),
        ),
        (
            "/mcp",
            Some("Bearer not.a.token".to_owned()),
            format!("Bearer scope=\"tools\", resource_metadata=\"{METADATA}\""),
        ),
        (
            "/mcp",
            Some(format!("Bearer {}", AGENT.scope("admin"))),
            format!("Bearer scope=\"tools\", resource_metadata=\"{METADATA}\""),
        ),
        (
            "/listed",
            None,
            format!("Bearer resource_metadata=\"{METADATA}\""),
        ),
        (
            "/listed",
            Some(format!("Bearer {}", AGENT.scope("admin"))),
            format!("Bearer scope=\"tools\", resource_metadata=\"{METADATA}\""),
        ),
    ];
    for (path, authorization, challenge) in cases {
        let answer = answer(app.clone(), request(path, authorization.as_deref())).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{path} {authorization:?}"
        );
        assert_eq!(answer.header("www-authenticate"), Some(challenge), "{path}");
    }
    for path in ["/mcp", "/listed"] {
        let token = format!("Bearer {}", AGENT.scope("tools"));
        let ok = answer(app.clone(), request(path, Some(&token))).await;
        assert_eq!(ok.status, StatusCode::OK, "{path}");
        assert_eq!(ok.header("www-authenticate"), None);
    }
}

/// `Authenticated` behind an authenticator built without a config: the router's layer is the
/// one place, for the challenge and the body style alike.
#[tokio::test]
async fn the_routers_config_is_the_guards_config() {
    let resource = ProtectedResource::new("https://api.example.com/mcp");
    let config = AuthConfig::new()
        .with_resource_metadata(resource.metadata_url().unwrap())
        .with_style(ErrorStyle::Problem);
    let auth = Authenticator::builder()
        .issuer(Issuer::new(ISS).key(Key::secret(SECRET, &[Algorithm::HS256]).unwrap()))
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .route("/mcp", get(tools))
        .with_state(auth)
        .layer(config);
    let token = format!("Bearer {}", AGENT.scope("admin"));
    let answer = answer(app, request("/mcp", Some(&token))).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.header("www-authenticate"),
        Some(format!(
            "Bearer error=\"insufficient_scope\", scope=\"tools\", resource_metadata=\"{METADATA}\""
        ))
    );
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/problem+json")
    );
}
