//! A `Security<..>` under another name in a dependency: `#[security]` on it is checked against
//! the catalogue below, as on `Security<..>`.
use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency};

axum_scopes::oauth2_password_bearer! {
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, token: BearerToken<Api>) -> Result<String, HttpError> {
    Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
}

type User = Security<current_user>;

#[dependency]
async fn active_user(#[security(scopes = ["itmes"])] user: User) -> Result<String, HttpError> {
    Ok(user.into_inner())
}

fn main() {}
