//! An implied scope far from every declared one: the error offers the other scopes, never the
//! implying scope itself (which would imply itself).

axum_scopes::oauth2_password_bearer! {
    pub Api {
        token_url: "token",
        scopes: {
            "admin" => "Everything." implies ["reporting"],
            "items" => "Read items.",
        }
    }
}

fn main() {}
