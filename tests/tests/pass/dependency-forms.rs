//! Every accepted form of the macros.
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    /// A scheme.
    pub Oauth2 { name: "Custom", token_url: "token", scopes: { "me" => "Me.", "items" => "Items." } }
}

#[derive(Clone)]
struct App;

// Generic over the state: no `State` parameter.
#[dependency]
async fn token(scopes: SecurityScopes, token: BearerToken<Oauth2>) -> Result<String, HttpError> {
    Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
}

// State inferred from `State<App>`.
#[dependency]
async fn with_state(State(_app): State<App>, headers: HeaderMap) -> Result<usize, HttpError> {
    Ok(headers.len())
}

// State given explicitly; a plain (infallible) return type; attributes in the other order.
#[requires_scopes("me")]
#[dependency(state = App)]
async fn explicit(user: Security<token>, #[security(scopes = ["items"], use_cache = false)] again: Security<token>) -> String {
    format!("{} {}", *user, *again)
}

// No return type at all.
#[dependency]
async fn side_effect() {}

#[axum_scopes::requires_scopes("items")]
async fn handler(
    user: Security<explicit>,
    n: Security<with_state>,
    _unit: Security<side_effect>,
) -> String {
    format!("{} {}", *user, *n)
}

#[requires_scopes]
async fn no_scopes_of_its_own(#[security(scopes = ["me"])] user: Security<token>) -> String {
    user.into_inner()
}

async fn plain_handler(user: Security<token>) -> String {
    user.into_inner()
}

fn main() {
    let _app: Router = Router::new()
        .route("/", get(handler))
        .route("/a", get(no_scopes_of_its_own))
        .route("/b", get(plain_handler))
        .with_state(App);
}
