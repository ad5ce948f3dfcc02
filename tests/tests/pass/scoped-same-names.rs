//! Two `#[scoped]` blocks in one module, each with a dependency named `current`: each block's
//! `Security<current>` is its own, and outside the blocks they are `Users_current` and
//! `Items_current`.
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

struct Users;

#[scoped]
impl Users {
    #[dependency]
    async fn current(scopes: SecurityScopes, token: BearerToken<Oauth2>) -> Result<String, HttpError> {
        Ok(format!("user {} {}", scopes.scope_str(), token.as_bytes().len()))
    }

    #[requires_scopes("me")]
    async fn me(user: Security<current>) -> String {
        user.into_inner()
    }
}

struct Items;

#[scoped]
impl Items {
    #[dependency]
    async fn current(scopes: SecurityScopes, token: BearerToken<Oauth2>) -> Result<String, HttpError> {
        Ok(format!("item {} {}", scopes.scope_str(), token.as_bytes().len()))
    }

    #[requires_scopes("items")]
    async fn list(item: Security<current>) -> String {
        item.into_inner()
    }
}

#[requires_scopes("items", "me")]
async fn both(user: Security<Users_current>, item: Security<Items_current>) -> String {
    format!("{} {}", *user, *item)
}

fn main() {
    let _app: Router = Router::new()
        .route("/me", get(Users::me))
        .route("/items", get(Items::list))
        .route("/both", get(both));
}
