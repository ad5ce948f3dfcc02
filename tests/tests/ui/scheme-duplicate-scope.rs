axum_scopes::oauth2_password_bearer! {
    Oauth2 { token_url: "token", scopes: { "me" => "Me.", "items" => "Items.", "me" => "Me again." } }
}

fn main() {}
