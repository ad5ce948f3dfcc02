use axum_scopes::scoped;

#[scoped]
async fn handler() {}

fn main() {}
