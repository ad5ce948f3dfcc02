//! A service-to-service API on the client-credentials grant: services get tokens from the
//! provider's token endpoint with their own id and secret (no person involved) and call
//! `/reports` with them. `reports:write` implies `reports:read`.
//!
//! With the tests' provider (oidc-provider from npm; `bash tests/run-all.sh` installs it) and
//! its client `bench`:
//!
//! ```text
//! node target/oidc-provider/provider.mjs 4000 &
//! cargo run -p axum-scopes --example client_credentials_service
//! curl -s http://127.0.0.1:4000/token -d grant_type=client_credentials -d client_id=bench \
//!     -d client_secret=bench-secret -d scope=reports:read -d resource=urn:axum-scopes:es256
//! curl -s http://127.0.0.1:8081/reports -H "Authorization: Bearer <access_token>"
//! curl -si -X POST http://127.0.0.1:8081/reports -H "Authorization: Bearer <access_token>"
//! # 403, WWW-Authenticate: Bearer error="insufficient_scope", scope="reports:write"
//! ```
//!
//! `--issuer URL`, `--audience AUD` and `--port N`
//! change the defaults; `--openapi` prints the OpenAPI document and exits.

use axum::{Json, Router};
use axum_scopes::openapi::SchemeAddon;
use axum_scopes::{Authenticated, Authenticator, Issuer, dangerous, requires_scopes};
use serde::Deserialize;
use utoipa::openapi::{Info, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

axum_scopes::security_scheme! {
    /// Services with a client id and secret of the provider.
    pub Services {
        oauth2: { client_credentials: { token_url: "http://127.0.0.1:4000/token" } },
        scopes: {
            "reports:write" => "Write reports." implies ["reports:read"],
            "reports:read" => "Read reports.",
        },
    }
}

/// What the API reads from a client-credentials token: the calling client.
#[derive(Clone, Deserialize)]
struct Claims {
    client_id: String,
}

/// The reports, for services granted `reports:read` (or `reports:write`).
#[requires_scopes("reports:read")]
#[utoipa::path(get, path = "/reports", responses((status = 200, description = "The reports")))]
async fn reports(claims: Authenticated<Claims, Services>) -> Json<Vec<String>> {
    Json(vec![format!(
        "a report for {}",
        claims.into_inner().client_id
    )])
}

/// A new report, for services granted `reports:write`.
#[requires_scopes("reports:write")]
#[utoipa::path(post, path = "/reports", responses((status = 200, description = "Stored")))]
async fn write_report(claims: Authenticated<Claims, Services>) -> Json<String> {
    Json(format!("stored for {}", claims.into_inner().client_id))
}

/// The routes with their OpenAPI document.
pub(crate) fn router() -> (Router<Authenticator>, OpenApi) {
    let (router, mut openapi) = OpenApiRouter::<Authenticator>::new()
        .routes(routes!(reports, write_report))
        .split_for_parts();
    openapi.info = Info::builder()
        .title("Client credentials service")
        .version("0.1.0")
        .build();
    SchemeAddon::<Services>::apply(&mut openapi);
    (router, openapi)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut issuer = "http://127.0.0.1:4000".to_owned();
    let mut audience = "urn:axum-scopes:es256".to_owned();
    let mut port = 8081u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--issuer" => issuer = args.next().ok_or("--issuer needs a URL")?,
            "--audience" => audience = args.next().ok_or("--audience needs a value")?,
            "--port" => port = args.next().ok_or("--port needs a number")?.parse()?,
            "--openapi" => {
                println!("{}", router().1.to_pretty_json()?);
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let builder = Authenticator::builder();
    // Plain HTTP only for a provider on the loopback interface.
    let builder = if issuer.starts_with("http://127.0.0.1") {
        dangerous::allow_http(builder)
    } else {
        builder
    };
    let authenticator = builder
        .issuer(Issuer::discover(issuer).audience(audience))
        .build()
        .await?;
    let app = router().0.with_state(authenticator);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("reports on http://127.0.0.1:{port}/reports");
    axum::serve(listener, app).await?;
    Ok(())
}
