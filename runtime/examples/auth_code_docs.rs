//! Swagger UI signing people in at an `OpenID` provider: an authorization-code scheme declared
//! with `security_scheme!`, served by `openapi::docs_router_with` with Swagger UI's `initOAuth`
//! options (the provider's public client `docs`, PKCE, and the RFC 8707 `resource` that makes
//! the access token an RFC 9068 JWT for this API). The Authorize dialog opens the provider's login
//! and consent pages; back on `/docs`, `GET /items` answers 200 with the scope `items` and 403
//! `insufficient_scope` without it.
//!
//! With the tests' provider (oidc-provider from npm; `bash tests/run-all.sh` installs it), whose
//! development login page takes any login and password:
//!
//! ```text
//! node target/oidc-provider/provider.mjs 4000 &
//! cargo run -p axum-scopes --example auth_code_docs
//! # open http://127.0.0.1:8080/docs, Authorize (client `docs` is filled in), tick `items`
//! ```
//!
//! `--openapi` prints the OpenAPI document and exits. `--issuer URL` and `--port N` pick another provider or port; the provider must then list
//! `http://127.0.0.1:N/docs/oauth2-redirect` among the `docs` client's redirect URIs
//! (`OIDC_DOCS_REDIRECT_URIS`). `tests/tests/it/oidc_browser.rs` walks this page in Chromium.
//!
//! The scheme's URLs are literals (a scheme is a compile-time declaration, checked against
//! every `#[requires_scopes]`); they name the provider this example expects by default. When
//! the provider is elsewhere, [`document`] points the document's flow at it at run time.

use axum::{Json, Router};
use axum_scopes::openapi::{DocsOptions, SchemeAddon, docs_router_with};
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use serde::Deserialize;
use utoipa::openapi::security::{Flow, SecurityScheme};
use utoipa::openapi::{Info, OpenApi, RefOr};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::security_scheme! {
    /// People signing in at the provider (oidc-provider's `/auth` and `/token`).
    pub Provider {
        oauth2: {
            authorization_code: {
                authorization_url: "http://127.0.0.1:4000/auth",
                token_url: "http://127.0.0.1:4000/token",
            },
        },
        scopes: {
            "items" => "Read items.",
            "me" => "Read yourself.",
        },
    }
}

/// What the API reads from an access token.
#[derive(Clone, Deserialize)]
struct Claims {
    sub: String,
}

/// The items, for tokens granted `items`.
#[requires_scopes("items")]
#[utoipa::path(get, path = "/items", responses((status = 200, description = "The items")))]
async fn items(claims: Authenticated<Claims, Provider>) -> Json<Vec<String>> {
    Json(vec![format!("an item of {}", claims.into_inner().sub)])
}

/// Who signed in, for tokens granted `me`.
#[requires_scopes("me")]
#[utoipa::path(get, path = "/users/me", responses((status = 200, description = "Who you are")))]
async fn me(claims: Authenticated<Claims, Provider>) -> Json<String> {
    Json(claims.into_inner().sub)
}

/// The routes with their OpenAPI document, the flow pointing at `issuer`'s endpoints
/// (oidc-provider's `/auth` and `/token`).
pub(crate) fn router(issuer: &str) -> (Router<Authenticator>, OpenApi) {
    let (router, mut openapi) = OpenApiRouter::<Authenticator>::new()
        .routes(routes!(items))
        .routes(routes!(me))
        .split_for_parts();
    openapi.info = Info::builder()
        .title("Authorization code")
        .version("0.1.0")
        .description(Some("Swagger UI signing in at an OpenID provider."))
        .build();
    SchemeAddon::<Provider>::apply(&mut openapi);
    point_flows_at(&mut openapi, issuer);
    (router, openapi)
}

/// The OpenAPI document the example serves for `issuer`.
pub(crate) fn document(issuer: &str) -> OpenApi {
    router(issuer).1
}

/// Rewrites the `Provider` scheme's authorization-code URLs to `issuer`'s endpoints.
fn point_flows_at(openapi: &mut OpenApi, issuer: &str) {
    let schemes = openapi
        .components
        .as_mut()
        .map(|components| &mut components.security_schemes);
    let Some(RefOr::T(SecurityScheme::OAuth2(oauth2))) =
        schemes.and_then(|schemes| schemes.get_mut(<Provider as axum_scopes::Scheme>::INFO.name))
    else {
        return;
    };
    for flow in oauth2.flows.values_mut() {
        if let Flow::AuthorizationCode(code) = flow {
            code.authorization_url = format!("{issuer}/auth");
            code.token_url = format!("{issuer}/token");
        }
    }
}

/// The app served at `origin` (its own URL, which is also the audience of its tokens) for the
/// provider `issuer`: the API, `/openapi.json` and Swagger UI at `/docs`.
pub(crate) async fn app(
    issuer: &str,
    origin: &str,
) -> Result<Router, axum_scopes::jwt::BuildError> {
    let builder = Authenticator::builder();
    // A provider on plain HTTP only on the loopback interface, for local runs.
    let builder = if issuer.starts_with("http://127.0.0.1") {
        dangerous::allow_http(builder)
    } else {
        builder
    };
    let authenticator = builder
        .issuer(Issuer::discover(issuer).audience(origin))
        .require_access_token_type()
        .build()
        .await?;
    let (router, openapi) = router(issuer);
    let docs = DocsOptions::new()
        .client_id("docs")
        .use_pkce_with_authorization_code_grant(true)
        // RFC 8707: ask for a token whose audience is this API.
        .additional_query_string_param("resource", origin);
    Ok(router
        .merge(docs_router_with(openapi, &docs))
        .with_state(authenticator))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut issuer, mut port, mut print) = ("http://127.0.0.1:4000".to_owned(), 8080u16, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--issuer" => issuer = args.next().ok_or("--issuer needs a URL")?,
            "--port" => port = args.next().ok_or("--port needs a number")?.parse()?,
            "--openapi" => print = true,
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    if print {
        println!("{}", document(&issuer).to_pretty_json()?);
        return Ok(());
    }
    let origin = format!("http://127.0.0.1:{port}");
    let app = app(&issuer, &origin).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Swagger UI on {origin}/docs, signing in at {issuer}");
    axum::serve(listener, app).await?;
    Ok(())
}
