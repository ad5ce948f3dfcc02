//! An MCP-style resource server: `/mcp` requires the scope `tools` from an access token of an
//! `OpenID` provider, and a client finds that provider from a 401 alone, through the RFC 9728
//! metadata document that `ProtectedResource` serves and every challenge names.
//!
//! With the tests' provider (oidc-provider from npm; `bash tests/run-all.sh` installs it):
//!
//! ```text
//! node target/oidc-provider/provider.mjs 4000 &
//! cargo run -p axum-scopes --example mcp_resource_server -- --issuer http://127.0.0.1:4000
//! curl -si http://127.0.0.1:8080/mcp          # 401, WWW-Authenticate: Bearer resource_metadata="…"
//! curl -s http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp
//! curl -s http://127.0.0.1:4000/token -d grant_type=client_credentials -d client_id=bench \
//!     -d client_secret=bench-secret -d scope=tools -d resource=http://127.0.0.1:8080/mcp
//! curl -s http://127.0.0.1:8080/mcp -H "Authorization: Bearer <access_token>"
//! ```
//!
//! `tests/tests/it/mcp.rs` walks exactly that path. A provider on plain HTTP needs
//! `dangerous::allow_http`, which this example turns on only for `http://127.0.0.1` issuers.

use axum::Router;
use axum::routing::get;
use axum_scopes::openapi::ProtectedResource;
use axum_scopes::{AuthConfig, Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use serde::Deserialize;

axum_scopes::oauth2_password_bearer! {
    /// The MCP server's scheme.
    pub Mcp { token_url: "token", scopes: { "tools" => "Call the server's tools." } }
}

/// What the server reads from a token.
#[derive(Clone, Deserialize)]
struct Claims {
    client_id: String,
}

#[requires_scopes("tools")]
async fn tools(claims: Authenticated<Claims, Mcp>) -> String {
    format!("tools for {}\n", claims.into_inner().client_id)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut issuer, mut port) = ("http://127.0.0.1:4000".to_owned(), 8080u16);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--issuer" => issuer = args.next().ok_or("--issuer needs a URL")?,
            "--port" => port = args.next().ok_or("--port needs a number")?.parse()?,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let metadata = ProtectedResource::new(resource.clone());
    let builder = Authenticator::builder();
    let builder = if issuer.starts_with("http://127.0.0.1") {
        dangerous::allow_http(builder)
    } else {
        builder
    };
    let authenticator = builder
        // Tokens must be for this resource (their `aud`), RFC 9068 access tokens.
        .issuer(Issuer::discover(issuer).audience(resource))
        .require_access_token_type()
        .auth_config(AuthConfig::new().with_resource_metadata(metadata.metadata_url()?))
        .build()
        .await?;
    let metadata = metadata
        .authorization_servers(authenticator.issuers().iter().cloned())
        .scheme::<Mcp>();
    let app = Router::new()
        .route("/mcp", get(tools))
        .merge(metadata.router())
        .with_state(authenticator);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("MCP resource server on http://127.0.0.1:{port}/mcp");
    axum::serve(listener, app).await?;
    Ok(())
}
