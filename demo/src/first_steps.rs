//! FastAPI's "Security - First Steps": `/items/` answers the bearer token it was sent.

use axum::routing::get;
use axum::{Json, Router};
use axum_scopes::BearerToken;

axum_scopes::oauth2_password_bearer! {
    /// The page's `oauth2_scheme`: no scopes.
    pub Oauth2 { token_url: "token", scopes: {} }
}

/// `GET /items/`: `{"token": <the bearer token>}`, or 401 `Not authenticated`.
pub async fn read_items(token: BearerToken<Oauth2>) -> Json<serde_json::Value> {
    // Starlette decodes header bytes as Latin-1; so does this, byte for byte.
    let token: String = token.as_bytes().iter().copied().map(char::from).collect();
    Json(serde_json::json!({ "token": token }))
}

/// The page's router.
pub fn app() -> Router {
    Router::new().route("/items/", get(read_items))
}
