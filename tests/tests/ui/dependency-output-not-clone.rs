use axum_scopes::{HttpError, dependency};

struct Connection;

#[dependency]
async fn connection() -> Result<Connection, HttpError> {
    Ok(Connection)
}

fn main() {}
