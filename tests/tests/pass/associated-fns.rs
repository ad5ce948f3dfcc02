//! Scoped handlers and dependencies as associated functions, under `#[scoped]`: the attributes
//! are imported as anywhere else, and their imports count as used (no warning).
#![deny(warnings)]
use axum::Router;
use axum::routing::get;
use axum_scopes::{
    BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes, scoped,
};

axum_scopes::oauth2_password_bearer! {
    /// A scheme.
    pub Oauth2 { token_url: "token", scopes: { "items" => "Items.", "me" => "Me." } }
}

struct Items;

#[scoped]
impl Items {
    #[dependency]
    async fn current_user(
        scopes: SecurityScopes,
        token: BearerToken<Oauth2>,
    ) -> Result<String, HttpError> {
        Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
    }

    #[requires_scopes("items")]
    async fn list(user: Security<current_user>) -> String {
        user.into_inner()
    }

    #[requires_scopes("me")]
    async fn me(user: Security<current_user>) -> String {
        user.into_inner()
    }
}

fn main() {
    let _app: Router = Router::new()
        .route("/items", get(Items::list))
        .route("/me", get(Items::me));
}
