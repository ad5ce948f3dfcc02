//! Serving the document and Swagger UI as FastAPI does: `/openapi.json`, `/docs`,
//! `/docs/oauth2-redirect`.

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::OpenApi;

use crate::rejection::HttpError;

/// The routes FastAPI serves its docs on, for `openapi`: `GET /openapi.json` (the document),
/// `GET /docs` (Swagger UI, titled `<info.title> - Swagger UI`), `GET /docs/oauth2-redirect`
/// (the page that completes browser OAuth2 flows) and Swagger UI's scripts under `/docs/`.
///
/// Swagger UI is served at `/docs` itself, not `/docs/`, so a scheme's relative `tokenUrl`
/// (`token`) resolves to `/token`, as under FastAPI. Merge it into your router:
///
/// ```
/// use axum::Router;
/// use axum_scopes::openapi::docs_router;
///
/// let document = utoipa::openapi::OpenApiBuilder::new().build();
/// let app: Router = Router::new().merge(docs_router(document));
/// ```
///
/// These routes need no credentials and are not in the document, so the route audit
/// ([`assert_secure`](super::assert_secure)) does not list them.
pub fn docs_router<S: Clone + Send + Sync + 'static>(openapi: OpenApi) -> Router<S> {
    let page: Arc<str> = swagger_ui_html(&openapi.info.title).into();
    let document = Arc::new(openapi);
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move { axum::Json(document.as_ref().clone()) }),
        )
        .route(
            "/docs",
            get(move || async move { Html(page.as_ref().to_owned()) }),
        )
        .route(
            "/docs/oauth2-redirect",
            get(|| async { asset("oauth2-redirect.html") }),
        )
        .route(
            "/docs/{file}",
            get(|Path(file): Path<String>| async move { asset(&file) }),
        )
}

/// FastAPI's `get_swagger_ui_html`, with the document's title.
fn swagger_ui_html(title: &str) -> String {
    // The title is text in an HTML element: escape what HTML would read as markup.
    let title: String = title
        .chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            other => other.to_string(),
        })
        .collect();
    format!(
        r##"<!DOCTYPE html>
<html>
<head>
<link type="text/css" rel="stylesheet" href="/docs/swagger-ui.css">
<title>{title} - Swagger UI</title>
</head>
<body>
<div id="swagger-ui">
</div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({{
    url: '/openapi.json',
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": true,
    "showExtensions": true,
    "showCommonExtensions": true,
    oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect',
    presets: [
        SwaggerUIBundle.presets.apis,
        SwaggerUIBundle.SwaggerUIStandalonePreset
    ],
}})
</script>
</body>
</html>
"##
    )
}

/// One of Swagger UI's files, vendored by utoipa-swagger-ui, or 404.
fn asset(file: &str) -> Response {
    let config = Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"));
    match utoipa_swagger_ui::serve(file, config) {
        Ok(Some(file)) => {
            let mut response =
                ([(CONTENT_TYPE, file.content_type)], file.bytes.into_owned()).into_response();
            if file.gzpipped {
                response
                    .headers_mut()
                    .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        }
        Ok(None) | Err(_) => HttpError::new(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
