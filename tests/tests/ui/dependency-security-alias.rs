//! A `Security<..>` under another name in a dependency would not see the scopes above it.
use axum_scopes::{HttpError, Security, SecurityScopes, dependency};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

type User = Security<current_user>;

#[dependency]
async fn active_user(user: User) -> Result<String, HttpError> {
    Ok(user.into_inner())
}

fn main() {}
