use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

struct Api;

impl Api {
    #[requires_scopes("items")]
    async fn read_items(&self, user: Security<current_user>) -> String {
        user.into_inner()
    }
}

fn main() {}
