//! A scoped handler and a dependency as associated functions need `#[scoped]` on the block.
use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

struct Items;

impl Items {
    #[requires_scopes("items")]
    async fn list(user: Security<current_user>) -> String {
        user.into_inner()
    }

    #[dependency]
    async fn owner(user: Security<current_user>) -> Result<String, HttpError> {
        Ok(user.into_inner())
    }
}

fn main() {}
