//! Implications may not loop, nor a scope imply itself: errors at the literals, with the fix.

axum_scopes::oauth2_password_bearer! {
    pub Api {
        token_url: "token",
        scopes: {
            "a" => "A." implies ["b"],
            "b" => "B." implies ["c"],
            "c" => "C." implies ["a"],
            "d" => "D." implies ["d"],
        }
    }
}

fn main() {}
