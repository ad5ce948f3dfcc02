use axum_scopes::{SecurityScopes, requires_scopes};

#[requires_scopes("items")]
async fn read_items(scopes: SecurityScopes) -> String {
    scopes.scope_str()
}

fn main() {}
