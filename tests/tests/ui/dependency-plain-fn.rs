use axum_scopes::{HttpError, Security, requires_scopes};

async fn current_user() -> Result<String, HttpError> {
    Ok(String::new())
}

#[requires_scopes("items")]
async fn read_items(user: Security<current_user>) -> String {
    user.into_inner()
}

fn main() {}
