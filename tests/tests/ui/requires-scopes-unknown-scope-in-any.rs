use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "items:read" => "Read items.", "admin" => "Everything." } }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, _token: BearerToken<Oauth2>) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[requires_scopes(any("items:read", all("admin", "items:wirte")))]
async fn read_items(user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {}
