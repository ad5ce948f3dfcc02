use axum::Router;
use axum::routing::get;
use axum_scopes::SecurityScopes;

// Without `#[requires_scopes]`, `SecurityScopes` in a handler is not an extractor either.
async fn read_items(scopes: SecurityScopes) -> String {
    scopes.scope_str()
}

fn main() {
    let _router: Router = Router::new().route("/items", get(read_items));
}
