axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "read items" => "Items." } }
}

fn main() {}
