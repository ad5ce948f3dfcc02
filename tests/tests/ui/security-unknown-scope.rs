use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "me" => "Me.", "items" => "Items." } }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, _token: BearerToken<Oauth2>) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes("me")]
async fn read_items(#[security(scopes = ["item"])] user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {}
