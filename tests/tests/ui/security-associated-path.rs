// `Security<Users::current>` cannot name an associated dependency (inherent associated types are
// unstable): one error, naming the type that works.
use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes, scoped};

axum_scopes::oauth2_password_bearer! {
    /// A scheme.
    pub Oauth2 { token_url: "token", scopes: { "me" => "Me." } }
}

struct Users;

#[scoped]
impl Users {
    #[dependency]
    async fn current(scopes: SecurityScopes, token: BearerToken<Oauth2>) -> Result<String, HttpError> {
        Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
    }
}

#[requires_scopes("me")]
async fn me(user: Security<Users::current>) -> String {
    user.into_inner()
}

fn main() {
    let _ = me;
}
