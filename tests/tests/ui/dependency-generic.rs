use axum_scopes::{HttpError, dependency};

#[dependency]
async fn current_user<T: Default>() -> Result<String, HttpError> {
    Ok(String::new())
}

fn main() {}
