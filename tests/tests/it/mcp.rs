//! An MCP-style resource server on a real `OpenID` provider (oidc-provider from npm, installed by
//! `tests/run-all.sh`, started here on 127.0.0.1): its client knows nothing but the resource's
//! URL and finds everything else from a 401 alone, as the MCP authorization specification
//! walks it: the challenge's `resource_metadata`, the RFC 9728 document's authorization server,
//! the provider's discovery document, a client-credentials token for the resource (RFC 8707
//! `resource`), then the call. The same app is `cargo run -p axum-scopes --example
//! mcp_resource_server`.

use axum::Router;
use axum::routing::get;
use axum_scopes::openapi::ProtectedResource;
use axum_scopes::{AuthConfig, Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use serde::Deserialize;
use serde_json::Value;

axum_scopes::oauth2_password_bearer! {
    /// The MCP server's scheme.
    pub(crate) Mcp { token_url: "token", scopes: { "tools" => "Call the server's tools." } }
}

#[derive(Clone, Deserialize)]
struct Claims {
    client_id: String,
}

#[requires_scopes("tools")]
async fn tools(claims: Authenticated<Claims, Mcp>) -> String {
    format!("tools for {}", claims.into_inner().client_id)
}

/// The resource server, serving on 127.0.0.1; returns its resource URL.
async fn start_resource_server(issuer: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resource = format!("http://{}/mcp", listener.local_addr().unwrap());
    let metadata = ProtectedResource::new(resource.clone());
    let config = AuthConfig::new().with_resource_metadata(metadata.metadata_url().unwrap());
    let auth = dangerous::allow_http(Authenticator::builder())
        .issuer(Issuer::discover(issuer).audience(resource.clone()))
        .require_access_token_type()
        .auth_config(config)
        .build()
        .await
        .expect("the provider's keys load through discovery");
    let metadata = metadata
        .authorization_servers(auth.issuers().iter().cloned())
        .scheme::<Mcp>();
    let app = Router::new()
        .route("/mcp", get(tools))
        .merge(metadata.router())
        .with_state(auth);
    tokio::spawn(async move { axum::serve(listener, app).await });
    resource
}

/// The provider's answer to a client-credentials request of the tests' client for `resource`.
async fn client_credentials(
    client: &reqwest::Client,
    token_endpoint: &str,
    scope: &str,
    resource: &str,
) -> Value {
    client
        .post(token_endpoint)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "bench"),
            ("client_secret", "bench-secret"),
            ("scope", scope),
            ("resource", resource),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `name="value"` of a challenge.
fn challenge_param<'a>(challenge: &'a str, name: &str) -> Option<&'a str> {
    let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
    let end = challenge[start..].find('"')? + start;
    Some(&challenge[start..end])
}

#[tokio::test]
async fn a_client_finds_the_authorization_server_from_a_401_alone() {
    let client = reqwest::Client::new();
    let provider = RealProvider::start(&ProviderConfig::new()).await;
    let resource = start_resource_server(&provider.issuer).await;

    // 1. The call without a token: 401, and the challenge names the metadata.
    let first = client.get(&resource).send().await.unwrap();
    assert_eq!(first.status(), 401);
    let challenge = first.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    let metadata_url = challenge_param(&challenge, "resource_metadata")
        .unwrap_or_else(|| panic!("no resource_metadata in {challenge}"))
        .to_owned();

    // 2. The metadata: the resource and its authorization server.
    let metadata: Value = client
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], resource.as_str());
    assert_eq!(metadata["scopes_supported"], serde_json::json!(["tools"]));
    let authorization_server = metadata["authorization_servers"][0].as_str().unwrap();
    assert_eq!(authorization_server, provider.issuer);

    // 3. The provider's discovery document: its token endpoint.
    let discovery: Value = client
        .get(format!(
            "{authorization_server}/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_endpoint = discovery["token_endpoint"].as_str().unwrap();

    // 4. A token for this resource, with the scopes the metadata lists.
    let scope = metadata["scopes_supported"][0].as_str().unwrap();
    let token = client_credentials(
        &client,
        token_endpoint,
        scope,
        metadata["resource"].as_str().unwrap(),
    )
    .await;
    let access_token = token["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {token}"));

    // 5. The call: 200.
    let answer = client
        .get(&resource)
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.text().await.unwrap(), "tools for bench");

    // A token for another resource is refused: its audience is not this server.
    let other = client_credentials(&client, token_endpoint, "tools", "urn:axum-scopes:es256").await;
    let refused = client
        .get(&resource)
        .bearer_auth(other["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")),
        "{challenge}"
    );
}
