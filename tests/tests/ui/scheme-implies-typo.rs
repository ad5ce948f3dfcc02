//! After the description only `implies [..]` may follow. The bad entry is reported and skipped;
//! the scheme is still declared with the others, so its users compile.

axum_scopes::oauth2_password_bearer! {
    pub Api { token_url: "token", scopes: { "admin" => "All." implied ["me"], "me" => "Me." } }
}

#[derive(Clone, serde::Deserialize)]
struct Claims {}

#[axum_scopes::requires_scopes("me")]
async fn me(claims: axum_scopes::Authenticated<Claims, Api>) {
    let _ = claims;
}

fn main() {
    let _ = me;
}
