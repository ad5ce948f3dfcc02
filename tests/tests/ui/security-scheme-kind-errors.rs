// Every mistake in a kind is reported at once, and the scheme is still declared.
axum_scopes::security_scheme! {
    Idp {
        oauth2: {
            authorization_code: { authorization_url: "https://idp/authorize" },
            device: { token_url: "https://idp/token" },
            client_credentials: { token_url: "https://idp/token", scopes_url: "x" },
        },
        scopes: { "items" => "Items." },
    }
}

axum_scopes::security_scheme! {
    Oidc { openid_connect: { url: "idp.example.com" } }
}

axum_scopes::security_scheme! {
    Keys { api_key: { header: "X API Key" } }
}

axum_scopes::security_scheme! {
    Nowhere { api_key: {} }
}

axum_scopes::security_scheme! {
    Two { http_bearer: {}, token_cookie: { name: "session" } }
}

axum_scopes::security_scheme! {
    None { scopes: { "me" => "Me." } }
}

fn main() {
    use axum_scopes::Scheme;
    // Still usable: the errors above are the only ones.
    let _ = (Idp::INFO, Oidc::INFO, Keys::INFO, Nowhere::INFO, Two::INFO, None::INFO);
}
