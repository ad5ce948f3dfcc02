//! Serving the document and Swagger UI as FastAPI does: `/openapi.json`, `/docs`,
//! `/docs/oauth2-redirect`.

use std::collections::BTreeMap;
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
/// ([`assert_secure`](super::assert_secure)) does not list them. To prefill Swagger UI's
/// Authorize dialog (a client id, PKCE for the authorization-code flow), use
/// [`docs_router_with`].
pub fn docs_router<S: Clone + Send + Sync + 'static>(openapi: OpenApi) -> Router<S> {
    docs_router_with(openapi, &DocsOptions::default())
}

/// [`docs_router`] with Swagger UI's `initOAuth` options, FastAPI's `swagger_ui_init_oauth`:
/// what the Authorize dialog sends to an identity provider in a browser flow.
///
/// For an authorization-code scheme on a public client, the provider's login page and PKCE:
///
/// ```
/// use axum::Router;
/// use axum_scopes::openapi::{DocsOptions, docs_router_with};
///
/// let document = utoipa::openapi::OpenApiBuilder::new().build();
/// let options = DocsOptions::new()
///     .client_id("docs")
///     .use_pkce_with_authorization_code_grant(true)
///     .scopes(["items"])
///     // RFC 8707: the access token is for this API (Auth0 calls it `audience`).
///     .additional_query_string_param("resource", "https://api.example.com");
/// let app: Router = Router::new().merge(docs_router_with(document, &options));
/// ```
///
/// With [`DocsOptions::default`] the page is exactly [`docs_router`]'s (no `initOAuth` call).
pub fn docs_router_with<S: Clone + Send + Sync + 'static>(
    openapi: OpenApi,
    options: &DocsOptions,
) -> Router<S> {
    let page: Arc<str> = swagger_ui_html(&openapi.info.title, options).into();
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

/// Swagger UI's `initOAuth` options for [`docs_router_with`]: what the Authorize dialog fills in
/// and sends in browser OAuth2 flows. Every option defaults to unset, and then Swagger UI's own
/// default applies.
///
/// There is no client secret: the page is public, so whatever it holds is not a secret. Browser
/// flows use a public client (`token_endpoint_auth_method: none`) with PKCE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct DocsOptions {
    client_id: Option<String>,
    app_name: Option<String>,
    scopes: Option<Vec<String>>,
    use_pkce: Option<bool>,
    query: BTreeMap<String, String>,
}

impl DocsOptions {
    /// No option set: the same as [`DocsOptions::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// `clientId`: the OAuth2 client the dialog prefills, registered at the provider with the
    /// redirect URI `<origin>/docs/oauth2-redirect`.
    ///
    /// Defaults to none (the reader types it).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// `appName`: the application name some providers show on their consent page.
    ///
    /// Defaults to none.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = Some(name.into());
        self
    }

    /// `scopes`: the scopes the dialog ticks when it opens (the reader may change them).
    ///
    /// Defaults to none ticked.
    pub fn scopes<I>(mut self, scopes: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// `usePkceWithAuthorizationCodeGrant`: send a PKCE (RFC 7636, `S256`) challenge in the
    /// authorization-code flow, which public clients need.
    ///
    /// Defaults to Swagger UI's default, off.
    pub fn use_pkce_with_authorization_code_grant(mut self, enabled: bool) -> Self {
        self.use_pkce = Some(enabled);
        self
    }

    /// Adds `name=value` to `additionalQueryStringParams`, the parameters the authorization
    /// request carries besides OAuth2's own: `resource` (RFC 8707), Auth0's `audience`,
    /// Keycloak's `kc_idp_hint`...
    ///
    /// Defaults to none.
    pub fn additional_query_string_param(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.query.insert(name.into(), value.into());
        self
    }

    /// The argument of `ui.initOAuth(..)`, or `None` when no option is set.
    fn init_oauth(&self) -> Option<serde_json::Value> {
        if *self == Self::default() {
            return None;
        }
        let mut options = serde_json::Map::new();
        if let Some(client_id) = &self.client_id {
            options.insert("clientId".into(), client_id.as_str().into());
        }
        if let Some(name) = &self.app_name {
            options.insert("appName".into(), name.as_str().into());
        }
        if let Some(scopes) = &self.scopes {
            options.insert("scopes".into(), scopes.clone().into());
        }
        if let Some(enabled) = self.use_pkce {
            options.insert("usePkceWithAuthorizationCodeGrant".into(), enabled.into());
        }
        if !self.query.is_empty() {
            let query: serde_json::Map<String, serde_json::Value> = self
                .query
                .iter()
                .map(|(name, value)| (name.clone(), value.as_str().into()))
                .collect();
            options.insert("additionalQueryStringParams".into(), query.into());
        }
        Some(options.into())
    }
}

/// JSON text safe inside a `<script>` element: `<`, `>` and `&` as JSON escapes, so no value can
/// close the element or start a comment.
fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// FastAPI's `get_swagger_ui_html`, with the document's title and, when set, the `initOAuth`
/// call of `swagger_ui_init_oauth`.
fn swagger_ui_html(title: &str, options: &DocsOptions) -> String {
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
    let init_oauth = options
        .init_oauth()
        .map(|init| format!("ui.initOAuth({})\n", script_json(&init)))
        .unwrap_or_default();
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
{init_oauth}</script>
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

#[cfg(test)]
mod tests {
    use super::{DocsOptions, swagger_ui_html};

    #[test]
    fn the_default_page_calls_no_init_oauth() {
        let page = swagger_ui_html("Shop", &DocsOptions::default());
        assert!(!page.contains("initOAuth"), "{page}");
        assert!(page.contains("<title>Shop - Swagger UI</title>"), "{page}");
    }

    #[test]
    fn init_oauth_carries_the_options_as_json() {
        let options = DocsOptions::new()
            .client_id("docs")
            .use_pkce_with_authorization_code_grant(true)
            .scopes(["items", "me"])
            .additional_query_string_param("resource", "http://127.0.0.1:8080");
        let page = swagger_ui_html("Shop", &options);
        assert!(
            page.contains(
                r#"ui.initOAuth({"additionalQueryStringParams":{"resource":"http://127.0.0.1:8080"},"clientId":"docs","scopes":["items","me"],"usePkceWithAuthorizationCodeGrant":true})"#
            ),
            "{page}"
        );
    }

    #[test]
    fn an_option_cannot_close_the_script() {
        let page = swagger_ui_html("Shop", &DocsOptions::new().client_id("</script><b>&"));
        assert!(
            page.contains(r#""clientId":"\u003c/script\u003e\u003cb\u003e\u0026""#),
            "{page}"
        );
        assert_eq!(page.matches("</script>").count(), 2, "{page}");
    }
}
