//! The catalogue lives in another crate (the demo): the check still reaches it through the types.
use axum_scopes::{Security, requires_scopes};
use axum_scopes_demo::get_current_active_user;

#[requires_scopes("Items")]
async fn read_items(user: Security<get_current_active_user>) -> String {
    user.username.clone()
}

fn main() {}
