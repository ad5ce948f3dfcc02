//! A `Security<..>` under another name would get no scopes from the handler: refused.
use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

type User = Security<current_user>;

#[requires_scopes("items")]
async fn read_items(first: Security<current_user>, again: User) -> String {
    format!("{} {}", *first, *again)
}

fn main() {}
