use axum_scopes::{BearerToken, HttpError, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "items" => "Items." } }
}

#[dependency]
#[requires_scopes("items")]
async fn current_user(token: BearerToken<Oauth2>) -> Result<usize, HttpError> {
    Ok(token.as_bytes().len())
}

fn main() {}
