use axum_scopes::{BearerToken, HttpError, Security, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "items" => "Items." } }
}

#[dependency]
async fn current_user(token: BearerToken<Oauth2>) -> Result<usize, HttpError> {
    Ok(token.as_bytes().len())
}

#[requires_scopes]
async fn read_items(#[security(scopes = ["items"])] user: Security<current_user>) -> String {
    user.to_string()
}

fn main() {}
