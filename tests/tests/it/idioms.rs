//! axum's idioms with axum-scopes: substates, associated functions, the short path with one
//! thing in the state, and `iss` as exactly one string. Served through the router (`oneshot`).

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing;
use axum_scopes::jwt::{GrantedScopes, Key};
use axum_scopes::{
    Authenticated, Authenticator, BearerToken, HttpError, Issuer, JwtKeys, Security,
    SecurityScopes, TokenError, dependency, requires_scopes, scoped,
};
use axum_scopes_tests::request::call;
use axum_scopes_tests::token::{Tokens, mint_with, now};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

axum_scopes::oauth2_password_bearer! {
    /// The scheme of these apps.
    pub(crate) Api { token_url: "token", scopes: { "items" => "Read items.", "me" => "Read yourself." } }
}

const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for tests";
const ISSUER: &str = "https://issuer.example";

#[derive(Clone)]
struct Keys(JwtKeys);

#[derive(Clone)]
struct Greeting(&'static str);

#[derive(Clone, FromRef)]
struct AppState {
    keys: Keys,
    greeting: Greeting,
}

#[derive(Debug, Clone, Deserialize)]
struct Claims {
    sub: String,
    #[serde(flatten)]
    scopes: GrantedScopes,
}

/// Takes the substate `Keys` under the router state `AppState`.
#[dependency]
async fn current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Api>,
    State(Keys(keys)): State<Keys>,
) -> Result<String, HttpError> {
    let claims: Claims = keys
        .verify(token.as_bytes())
        .map_err(|_| HttpError::unauthorized("Could not validate credentials", &security_scopes))?;
    if !security_scopes.is_satisfied_by(claims.scopes.iter()) {
        return Err(HttpError::unauthorized(
            "Not enough permissions",
            &security_scopes,
        ));
    }
    Ok(claims.sub)
}

#[requires_scopes("items")]
async fn items(user: Security<current_user>, State(greeting): State<Greeting>) -> String {
    format!("{} {}", greeting.0, *user)
}

struct Handlers;

#[scoped]
impl Handlers {
    #[requires_scopes("me")]
    async fn me(user: Security<current_user>) -> String {
        user.into_inner()
    }

    #[dependency]
    #[requires_scopes("items")]
    async fn item_reader(user: Security<current_user>) -> Result<String, HttpError> {
        Ok(format!("reader {}", *user))
    }

    #[requires_scopes]
    async fn reader(reader: Security<item_reader>) -> String {
        reader.into_inner()
    }
}

/// The same parameters under other names: a renamed import and a type alias.
mod renamed {
    pub(crate) use axum_scopes::Authenticated as Auth;
    pub(crate) use axum_scopes::Security as Guard;
}

type User = Security<current_user>;

#[requires_scopes("me")]
async fn aliased_me(#[security(scopes = ["items"])] user: User) -> String {
    user.into_inner()
}

#[dependency]
#[requires_scopes("items")]
async fn aliased_reader(user: User) -> Result<String, HttpError> {
    Ok(format!("reader {}", *user))
}

#[requires_scopes("me")]
async fn aliased_read(reader: renamed::Guard<aliased_reader>) -> String {
    reader.into_inner()
}

fn substate_app() -> Router {
    let state = AppState {
        keys: Keys(JwtKeys::hs256(SECRET)),
        greeting: Greeting("hello"),
    };
    Router::new()
        .route("/items", routing::get(items))
        .route("/me", routing::get(Handlers::me))
        .route("/reader", routing::get(Handlers::reader))
        .route("/aliased-me", routing::get(aliased_me))
        .route("/aliased-read", routing::get(aliased_read))
        .with_state(state)
}

/// ann's tokens, signed with [`SECRET`].
const ANN: Tokens = Tokens::new(SECRET, "ann");

#[tokio::test]
async fn a_dependency_takes_a_substate() {
    let (status, body, _) = call(&substate_app(), "/items", Some(&ANN.scopes(&["items"]))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "hello ann"));
    let (status, body, challenge) =
        call(&substate_app(), "/items", Some(&ANN.scopes(&["me"]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, r#"{"detail":"Not enough permissions"}"#);
    assert_eq!(challenge, r#"Bearer scope="items""#);
}

#[tokio::test]
async fn associated_functions_are_handlers_and_dependencies() {
    let (status, body, _) = call(&substate_app(), "/me", Some(&ANN.scopes(&["me"]))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ann"));
    let (status, _, challenge) = call(&substate_app(), "/me", Some(&ANN.scopes(&["items"]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer scope="me""#);
    // The associated dependency's own scope reaches the innermost dependency.
    let (status, body, _) = call(&substate_app(), "/reader", Some(&ANN.scopes(&["items"]))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "reader ann"));
    let (status, _, challenge) = call(&substate_app(), "/reader", Some(&ANN.scopes(&[]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer scope="items""#);
}

#[tokio::test]
async fn aliases_and_renamed_imports_behave_as_the_names_they_stand_for() {
    // `User` = `Security<current_user>` gets the handler's scope, then its own `#[security]`.
    let (status, body, _) = call(
        &substate_app(),
        "/aliased-me",
        Some(&ANN.scopes(&["me", "items"])),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ann"));
    let (status, _, challenge) =
        call(&substate_app(), "/aliased-me", Some(&ANN.scopes(&["me"]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer scope="me items""#);
    // In a dependency, under a renamed `Security`: outer scopes first.
    let (status, body, _) = call(
        &substate_app(),
        "/aliased-read",
        Some(&ANN.scopes(&["me", "items"])),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "reader ann"));
    let (status, _, challenge) = call(
        &substate_app(),
        "/aliased-read",
        Some(&ANN.scopes(&["items"])),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer scope="me items""#);
}

async fn authenticator() -> Authenticator {
    let key = Key::secret(SECRET, &[axum_scopes::jsonwebtoken::Algorithm::HS256]).unwrap();
    Authenticator::builder()
        .issuer(Issuer::new(ISSUER).key(key))
        .build()
        .await
        .unwrap()
}

#[derive(Debug, Clone, Deserialize)]
struct Subject {
    sub: String,
}

#[requires_scopes("items")]
async fn guarded(claims: Authenticated<Subject, Api>) -> String {
    claims.into_inner().sub
}

#[requires_scopes("items")]
async fn guarded_renamed(claims: renamed::Auth<Subject, Api>) -> String {
    claims.into_inner().sub
}

#[tokio::test]
async fn a_renamed_authenticated_requires_the_handler_scopes() {
    let app = Router::new()
        .route("/guarded", routing::get(guarded_renamed))
        .with_state(authenticator().await);
    let (status, body, _) = call(&app, "/guarded", Some(&issuer_token(&json!(ISSUER)))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ann"));
    let lesser = mint_with(
        SECRET,
        axum_scopes::jsonwebtoken::Algorithm::HS256,
        &json!({ "sub": "ann", "iss": ISSUER, "scope": "me", "exp": now() + 600 }),
    );
    let (status, _, challenge) = call(&app, "/guarded", Some(&lesser)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge,
        r#"Bearer error="insufficient_scope", scope="items""#
    );
}

fn issuer_token(iss: &serde_json::Value) -> String {
    mint_with(
        SECRET,
        axum_scopes::jsonwebtoken::Algorithm::HS256,
        &json!({ "sub": "ann", "iss": iss, "scope": "items", "exp": now() + 600 }),
    )
}

#[tokio::test]
async fn the_short_path_needs_only_the_authenticator_in_the_state() {
    let app = Router::new()
        .route("/guarded", routing::get(guarded))
        .with_state(authenticator().await);
    let (status, body, _) = call(&app, "/guarded", Some(&issuer_token(&json!(ISSUER)))).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ann"));
    // RFC 9068 §4: `iss` is one string; a list holding the issuer is refused.
    let (status, _, challenge) =
        call(&app, "/guarded", Some(&issuer_token(&json!([ISSUER])))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenge, r#"Bearer error="invalid_token""#);
}

#[tokio::test]
async fn iss_must_be_exactly_one_string() {
    let authenticator = authenticator().await;
    for iss in [
        json!([ISSUER]),
        json!([ISSUER, "https://other.example"]),
        json!(7),
    ] {
        let error = authenticator
            .verify::<serde_json::Value>(issuer_token(&iss).as_bytes())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                // A number is no string: jsonwebtoken cannot read it as an issuer at all.
                TokenError::InvalidIssuer(_) | TokenError::MissingClaim { claim: "iss", .. }
            ),
            "{iss}: {error:?}"
        );
    }
    let keys = JwtKeys::hs256(SECRET).issuer(&[ISSUER]);
    let error = keys
        .verify::<serde_json::Value>(issuer_token(&json!([ISSUER])))
        .unwrap_err();
    assert!(matches!(error, TokenError::InvalidIssuer(_)), "{error:?}");
}
