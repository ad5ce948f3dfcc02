//! The audit of a finished document: every route with what it requires, as a table, and the
//! check that each is secured or declared public.

use std::fmt::Write as _;

use utoipa::openapi::OpenApi;

use super::requirements::{Alternative, read_requirement};

/// One route of a document and what it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// The method, upper case.
    pub method: &'static str,
    /// The path.
    pub path: String,
    /// The operation's security requirement: one entry per alternative; `None` when the
    /// operation documents none.
    pub security: Option<Vec<Alternative>>,
}

impl Route {
    /// Whether the route requires authentication: it documents a requirement, and every
    /// alternative of it names a scheme. An empty alternative (`{}`: anonymous access allowed)
    /// or a requirement this crate could not read counts as not secured, so the audit never
    /// fails open.
    #[must_use]
    pub fn is_secured(&self) -> bool {
        self.security.as_ref().is_some_and(|alternatives| {
            !alternatives.is_empty()
                && alternatives
                    .iter()
                    .all(|alternative| !alternative.is_empty())
        })
    }
}

/// Every route of `openapi` with its effective requirement, in path order.
///
/// An axum `Router` cannot list its routes, so this reads the OpenAPI document of utoipa-axum's
/// `OpenApiRouter` (or `#[derive(OpenApi)]`), whose security entries `#[requires_scopes]`
/// wrote from the same tree the runtime enforces.
///
/// The audit sees only documented operations: a route added with axum's own `Router::route`
/// (outside utoipa-axum's `routes!`), a `nest_service` or a fallback is not in the document, so
/// neither [`route_table`] nor [`assert_secure`] can vouch for it. Serve those only for what
/// needs no credentials (the docs pages, static files), or document them; in tests, the test
/// kit's `RouteAudit` (feature `test-util`) sees every route the tests reach and asks each
/// again without credentials.
#[must_use]
pub fn routes(openapi: &OpenApi) -> Vec<Route> {
    let mut routes = Vec::new();
    for (path, item) in &openapi.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("OPTIONS", &item.options),
            ("HEAD", &item.head),
            ("PATCH", &item.patch),
            ("TRACE", &item.trace),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let security = operation
                .security
                .as_ref()
                .map(|requirements| requirements.iter().map(read_requirement).collect());
            routes.push(Route {
                method,
                path: path.clone(),
                security,
            });
        }
    }
    routes
}

/// The route table: one line per route, `METHOD path  requirement`, the requirement written
/// `scheme: scope scope` (alternatives joined with ` | `), `authenticated` for a scheme without
/// scopes and `public` for none.
#[must_use]
pub fn route_table(openapi: &OpenApi) -> String {
    let routes = routes(openapi);
    let width = routes
        .iter()
        .map(|route| route.method.len() + 1 + route.path.len())
        .max()
        .unwrap_or(0);
    let mut table = String::new();
    for route in &routes {
        let requirement = match &route.security {
            Some(alternatives) if !alternatives.is_empty() => alternatives
                .iter()
                .map(|alternative| {
                    alternative
                        .iter()
                        .map(|(scheme, scopes)| {
                            if scopes.is_empty() {
                                format!("{scheme}: authenticated")
                            } else {
                                format!("{scheme}: {}", scopes.join(" "))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" + ")
                })
                .collect::<Vec<_>>()
                .join(" | "),
            _ => "public".to_owned(),
        };
        let route_name = format!("{} {}", route.method, route.path);
        // Writing to a `String` cannot fail.
        let _ = writeln!(table, "{route_name:width$}  {requirement}");
    }
    table
}

/// Routes that are neither secured nor declared public.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("routes neither secured nor declared public: {}", .routes.join(", "))]
pub struct UnsecuredRoutes {
    /// The routes, as `METHOD path`.
    pub routes: Vec<String>,
}

/// Checks that every route of `openapi` is secured or listed in `public` (as `"POST /token"`):
/// secure by default, for a test or at start-up.
///
/// # Errors
///
/// [`UnsecuredRoutes`] naming every route that is neither.
pub fn assert_secure(openapi: &OpenApi, public: &[&str]) -> Result<(), UnsecuredRoutes> {
    let routes: Vec<String> = routes(openapi)
        .into_iter()
        .filter(|route| !route.is_secured())
        .map(|route| format!("{} {}", route.method, route.path))
        .filter(|route| !public.contains(&route.as_str()))
        .collect();
    if routes.is_empty() {
        Ok(())
    } else {
        Err(UnsecuredRoutes { routes })
    }
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::security::SecurityRequirement;

    use super::*;

    fn document(security: Option<Vec<SecurityRequirement>>) -> OpenApi {
        use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
        let mut operation = OperationBuilder::new().build();
        operation.security = security;
        let mut openapi = utoipa::openapi::OpenApiBuilder::new().build();
        openapi.paths.paths.insert(
            "/items/".to_owned(),
            PathItem::new(HttpMethod::Get, operation),
        );
        openapi
    }

    #[test]
    fn the_audit_never_fails_open() {
        let secured = document(Some(vec![SecurityRequirement::new("OAuth2", ["items"])]));
        assert!(assert_secure(&secured, &[]).is_ok());
        // `{}` among the alternatives lets anonymous requests through.
        let anonymous = document(Some(vec![
            SecurityRequirement::new("OAuth2", ["items"]),
            SecurityRequirement::default(),
        ]));
        assert_eq!(
            assert_secure(&anonymous, &[]),
            Err(UnsecuredRoutes {
                routes: vec!["GET /items/".to_owned()]
            })
        );
        // An empty list of requirements and no requirement at all are not secured either.
        assert!(assert_secure(&document(Some(Vec::new())), &[]).is_err());
        assert!(assert_secure(&document(None), &[]).is_err());
        assert!(assert_secure(&document(None), &["GET /items/"]).is_ok());
    }
}
