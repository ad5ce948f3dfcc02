// `router_security!` over a function that is not a `#[dependency]`: one error that says so.
use axum_scopes::{BearerToken, HttpError};

axum_scopes::oauth2_password_bearer! {
    /// The scheme.
    pub Api { token_url: "token", scopes: { "items" => "Read items." } }
}

async fn current_user(token: BearerToken<Api>) -> Result<String, HttpError> {
    Ok(token.to_str().unwrap_or_default().to_owned())
}

fn main() {
    let _ = axum_scopes::routing::router_security!(current_user, "items");
}
