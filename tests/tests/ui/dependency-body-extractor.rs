use axum::Json;
use axum::extract::State;
use axum_scopes::{HttpError, dependency};

#[derive(Clone)]
struct App;

#[dependency]
async fn current_user(State(_app): State<App>, body: Json<String>) -> Result<String, HttpError> {
    Ok(body.0)
}

fn main() {}
