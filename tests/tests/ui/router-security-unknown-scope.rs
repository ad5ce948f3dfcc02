//! A router's scope is checked against the catalogue below its dependency, at the literal.
use axum_scopes::routing::router_security;
use axum_scopes::{BearerToken, HttpError, SecurityScopes, dependency};

axum_scopes::oauth2_password_bearer! {
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, token: BearerToken<Api>) -> Result<String, HttpError> {
    Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
}

fn main() {
    let _ = router_security!(current_user, "itmes");
}
