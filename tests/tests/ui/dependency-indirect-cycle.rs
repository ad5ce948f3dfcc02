//! A cycle through two dependencies is not caught by the macro (it sees one function at a time);
//! rustc reports it as a cycle, which is accepted.
use axum_scopes::{HttpError, Security, dependency};

#[dependency]
async fn first(other: Security<second>) -> Result<String, HttpError> {
    Ok(other.into_inner())
}

#[dependency]
async fn second(other: Security<first>) -> Result<String, HttpError> {
    Ok(other.into_inner())
}

fn main() {}
