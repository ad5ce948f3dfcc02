use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency};

axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "me" => "Me.", "items" => "Items." } }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, _token: BearerToken<Oauth2>) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

#[dependency]
#[axum_scopes::requires_scopes("admin")]
async fn admin(user: Security<current_user>) -> Result<String, HttpError> {
    Ok(user.into_inner())
}

fn main() {}
