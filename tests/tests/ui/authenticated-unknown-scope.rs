use axum_scopes::{Authenticated, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    Api { token_url: "token", scopes: { "items" => "Read items." } }
}

#[derive(Clone, serde::Deserialize)]
struct Claims {
    sub: String,
}

#[requires_scopes("item")]
async fn read_items(claims: Authenticated<Claims, Api>) -> String {
    claims.into_inner().sub
}

fn main() {}
