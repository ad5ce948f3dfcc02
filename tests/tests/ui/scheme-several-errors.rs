//! Every error of the declaration at once, and the scheme still usable with its valid scopes.
use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    /// A scheme with three mistakes.
    pub Oauth2 {
        token_url: "token",
        token_uri: "typo",
        scopes: { "items" => "Items.", "bad scope" => "Space.", "items" => "Again." },
    }
}

#[dependency]
async fn current_user(scopes: SecurityScopes, token: BearerToken<Oauth2>) -> Result<String, HttpError> {
    let _ = token;
    Ok(scopes.scope_str())
}

// `items` is still in the catalogue: no error here.
#[requires_scopes("items")]
async fn read_items(user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {
    let _router: axum::Router = axum::Router::new().route("/items", axum::routing::get(read_items));
}
