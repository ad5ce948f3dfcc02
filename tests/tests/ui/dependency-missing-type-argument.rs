use axum_scopes::{HttpError, Security, dependency};

#[dependency]
async fn current_user(user: Security) -> Result<String, HttpError> {
    Ok(user.into_inner())
}

fn main() {}
