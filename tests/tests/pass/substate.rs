//! axum's substate idiom: a dependency takes `State<Keys>` in an app whose router state is
//! `AppState`, with `Keys: FromRef<AppState>` (here from `#[derive(FromRef)]`).
use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::get;
use axum_scopes::{BearerToken, HttpError, Security, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    /// A scheme.
    pub Oauth2 { token_url: "token", scopes: { "items" => "Items." } }
}

#[derive(Clone)]
struct Keys;

#[derive(Clone)]
struct Database;

#[derive(Clone, FromRef)]
struct AppState {
    keys: Keys,
    database: Database,
}

#[dependency]
async fn current_user(
    scopes: SecurityScopes,
    token: BearerToken<Oauth2>,
    State(_keys): State<Keys>,
) -> Result<String, HttpError> {
    Ok(format!("{} {}", scopes.scope_str(), token.as_bytes().len()))
}

#[requires_scopes("items")]
async fn items(user: Security<current_user>, State(_db): State<Database>) -> String {
    user.into_inner()
}

fn main() {
    let state = AppState { keys: Keys, database: Database };
    let _app: Router = Router::new().route("/items", get(items)).with_state(state);
}
