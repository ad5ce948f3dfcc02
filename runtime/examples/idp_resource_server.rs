//! A resource server for an identity provider's access tokens, keys through `OpenID` discovery,
//! with the settings of Keycloak, Auth0, Microsoft Entra ID and Okta spelled out
//! (`--provider NAME`; `local`, the default, is the tests' oidc-provider).
//!
//! ```text
//! node target/oidc-provider/provider.mjs 4000 &      # `bash tests/run-all.sh` installs it
//! cargo run -p axum-scopes --example idp_resource_server
//! curl -s http://127.0.0.1:4000/token -d grant_type=client_credentials -d client_id=bench \
//!     -d client_secret=bench-secret -d scope=items -d resource=urn:axum-scopes:es256
//! curl -s http://127.0.0.1:8082/items -H "Authorization: Bearer <access_token>"
//!
//! cargo run -p axum-scopes --example idp_resource_server -- --provider keycloak \
//!     --issuer https://sso.example.com/realms/shop --audience shop-api
//! ```
//!
//! What differs between providers (see [`preset`]): the issuer URL's form (it must equal the
//! tokens' `iss` exactly, trailing `/` included), the audience, the claim holding the scopes
//! (`scope` or `scp`) and whether access tokens are typed `at+jwt` (RFC 9068) or plain `JWT`.
//! `--openapi` prints the OpenAPI document and exits.

use axum::{Json, Router};
use axum_scopes::jwt::ScopesClaim;
use axum_scopes::openapi::SchemeAddon;
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use serde::Deserialize;
use utoipa::openapi::{Info, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::security_scheme! {
    /// An access token of the identity provider, in the `Authorization` header.
    pub IdpToken {
        http_bearer: { bearer_format: "JWT" },
        scopes: { "items" => "Read items.", "items:write" => "Write items." implies ["items"] },
    }
}

/// What the API reads from an access token.
#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

/// The items, for tokens granted `items` (or `items:write`).
#[requires_scopes("items")]
#[utoipa::path(get, path = "/items", responses((status = 200, description = "The items")))]
async fn items(claims: Authenticated<Claims, IdpToken>) -> Json<Vec<String>> {
    Json(vec![format!("an item of {}", claims.into_inner().sub)])
}

/// How one provider's access tokens look.
struct Preset {
    /// The issuer, exactly as the tokens' `iss` writes it.
    issuer: &'static str,
    /// The audience the API is registered with.
    audience: &'static str,
    /// Where the granted scopes are.
    scopes: ScopesClaim,
    /// Whether the header's `typ` is `at+jwt` (RFC 9068), so that it can be required.
    at_jwt: bool,
}

/// The settings of a provider, by name; placeholders in capitals are yours to fill in.
fn preset(name: &str) -> Option<Preset> {
    Some(match name {
        // The tests' oidc-provider: RFC 9068 tokens, audience = the requested `resource`.
        "local" => Preset {
            issuer: "http://127.0.0.1:4000",
            audience: "urn:axum-scopes:es256",
            scopes: ScopesClaim::Scope,
            at_jwt: true,
        },
        // Keycloak: the realm's URL; the audience comes from an audience mapper on the client
        // scope; `scope` is a string; the header's `typ` is `JWT`.
        "keycloak" => Preset {
            issuer: "https://KEYCLOAK_HOST/realms/REALM",
            audience: "API_CLIENT_ID",
            scopes: ScopesClaim::Scope,
            at_jwt: false,
        },
        // Auth0: the tenant's URL with a trailing `/`; the audience is the API's identifier
        // (clients ask with `audience=`); `scope` is a string; `typ` is `at+jwt` with the
        // API's "RFC 9068" token profile, `JWT` with the default "Auth0" profile.
        "auth0" => Preset {
            issuer: "https://TENANT.auth0.com/",
            audience: "https://API_IDENTIFIER",
            scopes: ScopesClaim::Scope,
            at_jwt: false,
        },
        // Microsoft Entra ID (v2.0 tokens: `accessTokenAcceptedVersion: 2` in the manifest):
        // the tenant's `/v2.0` URL; the audience is the API's application (client) id (v1.0
        // tokens carry the Application ID URI, `api://..`, instead); the scopes are in `scp`;
        // `typ` is `JWT`.
        "entra" => Preset {
            issuer: "https://login.microsoftonline.com/TENANT_ID/v2.0",
            audience: "API_APPLICATION_ID",
            scopes: ScopesClaim::Scp,
            at_jwt: false,
        },
        // Okta (a custom authorization server, here `default`): its URL; the audience is the
        // server's (`api://default`); the scopes are the `scp` array; `typ` is not `at+jwt`.
        "okta" => Preset {
            issuer: "https://ORG.okta.com/oauth2/default",
            audience: "api://default",
            scopes: ScopesClaim::Scp,
            at_jwt: false,
        },
        _ => return None,
    })
}

/// The routes with their OpenAPI document.
pub(crate) fn router() -> (Router<Authenticator>, OpenApi) {
    let (router, mut openapi) = OpenApiRouter::<Authenticator>::new()
        .routes(routes!(items))
        .split_for_parts();
    openapi.info = Info::builder()
        .title("Identity-provider resource server")
        .version("0.1.0")
        .build();
    SchemeAddon::<IdpToken>::apply(&mut openapi);
    (router, openapi)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut provider, mut issuer, mut audience, mut port) =
        ("local".to_owned(), None, None, 8082u16);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--provider" => provider = args.next().ok_or("--provider needs a name")?,
            "--issuer" => issuer = Some(args.next().ok_or("--issuer needs a URL")?),
            "--audience" => audience = Some(args.next().ok_or("--audience needs a value")?),
            "--port" => port = args.next().ok_or("--port needs a number")?.parse()?,
            "--openapi" => {
                println!("{}", router().1.to_pretty_json()?);
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let preset =
        preset(&provider).ok_or("--provider is one of local, keycloak, auth0, entra, okta")?;
    let issuer = issuer.unwrap_or_else(|| preset.issuer.to_owned());
    let audience = audience.unwrap_or_else(|| preset.audience.to_owned());
    let builder = Authenticator::builder();
    // Plain HTTP only for a provider on the loopback interface.
    let builder = if issuer.starts_with("http://127.0.0.1") {
        dangerous::allow_http(builder)
    } else {
        builder
    };
    let builder = builder
        .issuer(Issuer::discover(issuer.clone()).audience(audience))
        .scopes_claim(preset.scopes);
    let builder = if preset.at_jwt {
        builder.require_access_token_type()
    } else {
        builder
    };
    let authenticator = builder.build().await?;
    let app = router().0.with_state(authenticator);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("items on http://127.0.0.1:{port}/items, tokens of {issuer}");
    axum::serve(listener, app).await?;
    Ok(())
}
