//! Dependency overrides for tests (feature `test-util`, public as `testing::Overrides`) (`FastAPI`'s `app.dependency_overrides`): a `#[dependency]`
//! replaced by a fixed value for one router, the scope requirements still checked.

use std::any::{Any, TypeId};
use std::sync::Arc;

use axum::middleware::AddExtension;
use axum::response::{IntoResponse as _, Response};
use http::request::Parts;
use tower_layer::Layer;

use super::Dependency;
use crate::rejection::AuthError;
use crate::scope::SecurityScopes;

/// Dependencies replaced by fixed values, for the router it is layered on (never a global):
/// `FastAPI`'s `app.dependency_overrides`.
///
/// Each override names the scopes its value stands for. Wherever the request resolves the
/// dependency (as `Security<D>` of a handler, of another dependency, or of a router
/// requirement), the scopes required there, the dependency's own included, are checked
/// against them: a route that requires a scope the override lacks answers 403
/// `insufficient_scope` naming the required scopes, as a token lacking it would. So a test
/// that grants only `items` catches a handler that forgot to require `admin`. The dependency's
/// function, and every dependency below it, does not run.
///
/// Only with the `test-util` feature: without it, nothing looks overrides up on the request
/// path.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use axum::{Router, body::Body, routing::get};
/// use axum_scopes::testing::{Overrides, assert_insufficient_scope};
/// use axum_scopes::{BearerToken, HttpError, JwtKeys, Security, SecurityScopes, dependency, requires_scopes};
/// use tower::ServiceExt;
///
/// axum_scopes::oauth2_password_bearer! {
///     /// The scheme.
///     pub Oauth2 { token_url: "token", scopes: { "items" => "Read items.", "admin" => "Administer." } }
/// }
///
/// // The app's verification, which the test replaces.
/// #[dependency]
/// async fn current_user(scopes: SecurityScopes, token: BearerToken<Oauth2>) -> Result<String, HttpError> {
///     let keys = JwtKeys::hs256(b"the app's secret of thirty-two bytes");
///     let token = keys
///         .verify_scoped::<serde_json::Value>(token.as_bytes())
///         .map_err(|_| HttpError::unauthorized("Could not validate credentials", &scopes))?;
///     if !scopes.is_satisfied_by(token.scopes.iter()) {
///         return Err(HttpError::unauthorized("Not enough permissions", &scopes));
///     }
///     Ok(token.claims["sub"].as_str().unwrap_or_default().to_owned())
/// }
///
/// #[requires_scopes("items")]
/// async fn items(user: Security<current_user>) -> String {
///     format!("items of {}", *user)
/// }
///
/// #[requires_scopes("admin")]
/// async fn admin(user: Security<current_user>) -> String {
///     format!("admin for {}", *user)
/// }
///
/// let app = Router::new()
///     .route("/items", get(items))
///     .route("/admin", get(admin))
///     .layer(Overrides::new().replace::<current_user>("ann".to_owned(), ["items"]));
/// let get = |uri| http::Request::get(uri).body(Body::empty()).unwrap();
///
/// let response = app.clone().oneshot(get("/items")).await.unwrap();
/// assert_eq!(response.status(), 200);
/// let response = app.oneshot(get("/admin")).await.unwrap();
/// assert_insufficient_scope(&response, "admin");
/// # })
/// ```
#[derive(Clone, Default)]
pub struct Overrides {
    entries: Arc<Vec<Entry>>,
}

#[derive(Clone)]
struct Entry {
    dependency: TypeId,
    name: &'static str,
    value: Arc<dyn Any + Send + Sync>,
    scopes: Vec<String>,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|entry| (entry.name, &entry.scopes)))
            .finish()
    }
}

impl Overrides {
    /// No override.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the dependency `D` (the type `#[dependency]` generates, named like the
    /// function) with `value`, standing for a caller granted `scopes`. A second override of
    /// `D` replaces the first.
    #[must_use]
    pub fn replace<D: Dependency>(
        mut self,
        value: D::Output,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let entries = Arc::make_mut(&mut self.entries);
        entries.retain(|entry| entry.dependency != TypeId::of::<D>());
        entries.push(Entry {
            dependency: TypeId::of::<D>(),
            name: D::INFO.name,
            value: Arc::new(value),
            scopes: scopes.into_iter().map(Into::into).collect(),
        });
        self
    }
}

impl<S> Layer<S> for Overrides {
    type Service = AddExtension<S, Self>;

    fn layer(&self, inner: S) -> Self::Service {
        axum::Extension(self.clone()).layer(inner)
    }
}

/// The override of `D` the request carries, if any: its value, or the refusal when the
/// scopes `required` where `D` is resolved (`D`'s own included) exceed those it stands for.
/// Called first by every resolution of a dependency; `required` is computed only for an
/// overridden dependency.
pub(crate) fn overridden<D: Dependency>(
    parts: &Parts,
    required: impl FnOnce() -> SecurityScopes,
) -> Option<Result<D::Output, Response>> {
    let overrides = parts.extensions.get::<Overrides>()?;
    let entry = overrides
        .entries
        .iter()
        .find(|entry| entry.dependency == TypeId::of::<D>())?;
    let value = entry.value.downcast_ref::<D::Output>()?;
    let required = required();
    if required.is_satisfied_by(entry.scopes.iter().map(String::as_str)) {
        Some(Ok(value.clone()))
    } else {
        Some(Err(AuthError::insufficient_scope(&required).into_response()))
    }
}
