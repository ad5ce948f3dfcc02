//! A catalogue with implications: a handler and a dependency may require implied scopes, and the
//! compile-time scope check accepts them.

use axum_scopes::{Authenticated, BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    pub Api {
        token_url: "token",
        scopes: {
            "admin" => "Everything." implies ["items:write"],
            "items:write" => "Write items." implies ["items:read"],
            "items:read" => "Read items.",
        }
    }
}

#[derive(Clone, serde::Deserialize)]
struct Claims {
    sub: String,
}

#[dependency]
async fn current_user(scopes: SecurityScopes, token: BearerToken<Api>) -> Result<String, HttpError> {
    let _ = token;
    Ok(scopes.scope_str())
}

#[requires_scopes("items:read")]
async fn read(user: Security<current_user>) -> String {
    user.into_inner()
}

#[requires_scopes("admin")]
async fn administer(claims: Authenticated<Claims, Api>) -> String {
    claims.into_inner().sub
}

fn main() {
    let _ = (read, administer);
    assert_eq!(<Api as axum_scopes::scheme::Scheme>::INFO.implied_by("admin").len(), 2);
}
