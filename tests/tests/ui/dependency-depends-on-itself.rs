use axum_scopes::{HttpError, Security, dependency};

#[dependency]
async fn current_user(user: Security<current_user>) -> Result<String, HttpError> {
    Ok(user.into_inner())
}

fn main() {}
