//! What Starlette does around FastAPI's routes, so that a client cannot tell the difference:
//! a 307 to the path with its trailing slash toggled when that path exists, 404 `Not Found`
//! otherwise, 405 with `Allow` naming the route's one method, and no HEAD for GET routes.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::header::{ALLOW, HOST, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::head;
use axum_scopes::HttpError;
use utoipa::openapi::OpenApi;

/// A route as (path, method).
type Routes = &'static [(String, &'static str)];

/// The documented routes and FastAPI's docs pages, built once for the process: the demo serves
/// one document, and every fallback borrows the table.
pub(crate) fn routes(openapi: &OpenApi) -> Routes {
    static TABLE: OnceLock<Vec<(String, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let documented = axum_scopes::openapi::routes(openapi).into_iter();
        let mut routes: Vec<_> = documented.map(|route| (route.path, route.method)).collect();
        for docs in ["/openapi.json", "/docs", "/docs/oauth2-redirect"] {
            routes.push((docs.to_owned(), "GET"));
        }
        routes
    })
}

/// `router` with Starlette's answers around the `routes` it serves.
pub(crate) fn emulate(mut router: Router, table: Routes) -> Router {
    for (path, method) in table {
        // FastAPI routes do not answer HEAD for GET; axum's `get` would.
        if *method == "GET" && !path.starts_with("/docs") {
            let head_405 = head(move |uri| async move { method_not_allowed(uri, table) });
            router = router.route(path, head_405);
        }
    }
    router
        .fallback(move |uri, headers| async move { not_found(uri, &headers, table) })
        .method_not_allowed_fallback(move |uri| async move { method_not_allowed(uri, table) })
}

fn not_found(OriginalUri(uri): OriginalUri, headers: &HeaderMap, routes: Routes) -> Response {
    match slash_redirect(&uri, headers, routes) {
        Some(location) => (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]).into_response(),
        None => HttpError::new(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

fn slash_redirect(uri: &Uri, headers: &HeaderMap, routes: Routes) -> Option<String> {
    let path = uri.path();
    let toggled = match path.strip_suffix('/') {
        Some(_) if path == "/" => return None,
        Some(stripped) => stripped.to_owned(),
        None => format!("{path}/"),
    };
    routes.iter().find(|(route, _)| *route == toggled)?;
    let host = headers.get(HOST)?.to_str().ok()?;
    let query = uri.query().map(|query| format!("?{query}"));
    Some(format!(
        "http://{host}{toggled}{}",
        query.unwrap_or_default()
    ))
}

fn method_not_allowed(OriginalUri(uri): OriginalUri, routes: Routes) -> HttpError {
    let error = HttpError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    match routes.iter().find(|(route, _)| route == uri.path()) {
        Some((_, method)) => error.with_header(ALLOW, HeaderValue::from_static(method)),
        None => error,
    }
}
