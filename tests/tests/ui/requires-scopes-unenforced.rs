use axum_scopes::{BearerToken, HttpError, Security, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "items" => "Items." } }
}

// Verifies the token but never looks at the scopes the callers require.
#[dependency]
async fn current_user(token: BearerToken<Oauth2>) -> Result<usize, HttpError> {
    Ok(token.as_bytes().len())
}

#[requires_scopes("items")]
async fn read_items(user: Security<current_user>) -> String {
    user.to_string()
}

fn main() {}
