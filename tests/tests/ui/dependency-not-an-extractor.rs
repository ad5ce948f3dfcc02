use axum_scopes::{HttpError, dependency};

#[derive(Clone)]
struct App;

#[dependency(state = App)]
async fn current_user(name: String, limit: u32) -> Result<String, HttpError> {
    Ok(format!("{name} {limit}"))
}

fn main() {}
