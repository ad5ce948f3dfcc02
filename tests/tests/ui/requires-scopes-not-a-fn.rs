use axum_scopes::requires_scopes;

#[requires_scopes("items")]
struct Items;

fn main() {}
