//! An implied scope must be in the catalogue: the error is at the literal and names the fix.

axum_scopes::oauth2_password_bearer! {
    pub Api {
        token_url: "token",
        scopes: {
            "items:write" => "Write items." implies ["items:raed"],
            "items:read" => "Read items.",
        }
    }
}

fn main() {}
