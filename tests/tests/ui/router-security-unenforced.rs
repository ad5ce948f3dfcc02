//! A router's scopes must reach a dependency that takes `SecurityScopes`; a malformed scope
//! and a missing dependency are reported too.
use axum_scopes::routing::router_security;
use axum_scopes::{BearerToken, HttpError, dependency};

axum_scopes::oauth2_password_bearer! {
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

#[dependency]
async fn current_user(token: BearerToken<Api>) -> Result<String, HttpError> {
    Ok(token.as_bytes().len().to_string())
}

fn main() {
    let _ = router_security!(current_user, "items");
    let _ = router_security!(current_user, "items me", "items", "items");
    let _ = router_security!();
}
