//! A `Security<..>` under another name is still a `Security<..>`: the scopes required above it
//! are checked against its catalogue, here through a renamed import.
use axum_scopes::Security as Guard;
use axum_scopes::{BearerToken, HttpError, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, token: BearerToken<Api>) -> Result<String, HttpError> {
    Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
}

#[requires_scopes("itmes")]
async fn read_items(user: Guard<current_user>) -> String {
    user.into_inner()
}

fn main() {}
