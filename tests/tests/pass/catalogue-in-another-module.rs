//! The scheme and the dependency live in other modules than the handler.
mod auth {
    axum_scopes::oauth2_password_bearer! {
        /// The scheme.
        pub Oauth2 { token_url: "token", scopes: { "me" => "Me.", "items" => "Items." } }
    }

    pub mod deps {
        use axum_scopes::{BearerToken, HttpError, SecurityScopes, dependency};

        /// Checks the scopes.
        #[dependency]
        pub async fn current_user(
            scopes: SecurityScopes,
            _token: BearerToken<super::Oauth2>,
        ) -> Result<String, HttpError> {
            Ok(scopes.scope_str())
        }
    }
}

mod handlers {
    use axum_scopes::{Security, requires_scopes};

    #[requires_scopes("items", "me")]
    pub async fn read_items(user: Security<crate::auth::deps::current_user>) -> String {
        user.into_inner()
    }
}

// And in another crate: the demo's catalogue.
#[axum_scopes::requires_scopes("items")]
async fn demo_items(user: axum_scopes::Security<axum_scopes_demo::get_current_active_user>) -> String {
    user.username.clone()
}

fn main() {
    let _router: axum::Router = axum::Router::new()
        .route("/items", axum::routing::get(handlers::read_items))
        .route(
            "/demo",
            axum::routing::get(demo_items)
                .with_state(axum_scopes_demo::AppState::new(b"0123456789abcdef0123456789abcdef")),
        );
}
