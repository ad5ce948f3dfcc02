use axum_scopes::requires_scopes;

#[requires_scopes("items")]
async fn read_items() -> &'static str {
    "nothing checks the scope"
}

fn main() {}
