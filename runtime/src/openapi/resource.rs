//! RFC 9728 OAuth 2.0 Protected Resource Metadata: [`ProtectedResource`].

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::rejection::{InvalidResourceMetadata, ResourceMetadata};
use crate::scheme::Scheme;

/// The RFC 9728 metadata document of a protected resource, built from the declarations: the
/// authorization servers from an `Authenticator`'s issuers, the scopes from the schemes'
/// catalogues, the bearer methods from the credential sources. The MCP authorization
/// specification asks resource servers for it, with its URL in every 401's challenge
/// ([`AuthConfig::with_resource_metadata`](crate::AuthConfig::with_resource_metadata)).
///
/// ```
/// use axum::Router;
/// use axum_scopes::openapi::ProtectedResource;
///
/// axum_scopes::oauth2_password_bearer! {
///     pub Api { token_url: "token", scopes: { "items" => "Read items." } }
/// }
///
/// let metadata = ProtectedResource::new("https://api.example.com/mcp")
///     .authorization_server("https://sso.example.com/realms/shop")
///     .scheme::<Api>();
/// assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(
///     metadata.metadata_url().unwrap().as_str(),
///     "https://api.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// assert_eq!(metadata.document()["scopes_supported"][0], "items");
/// let app: Router = Router::new().merge(metadata.router());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ProtectedResource {
    resource: String,
    authorization_servers: Vec<String>,
    scopes: Vec<&'static str>,
    bearer_methods: Vec<&'static str>,
    documentation: Option<String>,
}

impl ProtectedResource {
    /// The metadata of `resource`, the resource's identifier (its absolute URL, as clients
    /// send it as the `resource` parameter, RFC 8707). Bearer tokens go in the `Authorization`
    /// header by default (`bearer_methods_supported: ["header"]`).
    pub fn new(resource: impl Into<String>) -> Self {
        Self {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes: Vec::new(),
            bearer_methods: vec!["header"],
            documentation: None,
        }
    }

    /// Adds each of `issuers` as an authorization server: an `Authenticator`'s
    /// `issuers()`, say.
    pub fn authorization_servers<I>(mut self, issuers: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        for issuer in issuers {
            self = self.authorization_server(issuer);
        }
        self
    }

    /// Adds one authorization server (its issuer identifier).
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        if !self.authorization_servers.contains(&issuer) {
            self.authorization_servers.push(issuer);
        }
        self
    }

    /// Adds the scopes of `S`'s catalogue to `scopes_supported`.
    pub fn scheme<S: Scheme>(mut self) -> Self {
        for info in S::INFO.scopes {
            if !self.scopes.contains(&info.scope.as_str()) {
                self.scopes.push(info.scope.as_str());
            }
        }
        self
    }

    /// The ways the resource accepts bearer tokens, RFC 9728's `bearer_methods_supported`:
    /// `header` (the default), `body` or `query`. A token cookie is none of these, so an app
    /// that reads tokens from a cookie lists `header` for its other clients, or nothing.
    pub fn bearer_methods(mut self, methods: &[&'static str]) -> Self {
        self.bearer_methods = methods.to_vec();
        self
    }

    /// A page of human-readable documentation, `resource_documentation`.
    pub fn documentation(mut self, url: impl Into<String>) -> Self {
        self.documentation = Some(url.into());
        self
    }

    /// The resource's path (`/mcp` of `https://api.example.com/mcp`), empty for a bare origin.
    fn resource_path(&self) -> &str {
        let after_scheme = self
            .resource
            .split_once("://")
            .map_or(self.resource.as_str(), |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("", |at| &after_scheme[at..]);
        let path = path.split(['?', '#']).next().unwrap_or_default();
        path.trim_end_matches('/')
    }

    /// The path the document is served at (RFC 9728 §3.1): `/.well-known/oauth-protected-resource`
    /// followed by the resource's own path, if it has one.
    #[must_use]
    pub fn path(&self) -> String {
        format!(
            "/.well-known/oauth-protected-resource{}",
            self.resource_path()
        )
    }

    /// The document's absolute URL, for bearer challenges' `resource_metadata`.
    ///
    /// # Errors
    ///
    /// [`InvalidResourceMetadata`] when the resource is not an absolute `http(s)` URL that a
    /// challenge can quote.
    pub fn metadata_url(&self) -> Result<ResourceMetadata, InvalidResourceMetadata> {
        let after_scheme = self.resource.find("://").map_or(0, |at| at + 3);
        let origin_end = self.resource[after_scheme..]
            .find(['/', '?', '#'])
            .map_or(self.resource.len(), |at| after_scheme + at);
        ResourceMetadata::new(format!("{}{}", &self.resource[..origin_end], self.path()))
    }

    /// The metadata document.
    #[must_use]
    pub fn document(&self) -> Value {
        let mut document = json!({
            "resource": self.resource,
            "authorization_servers": self.authorization_servers,
            "scopes_supported": self.scopes,
            "bearer_methods_supported": self.bearer_methods,
        });
        if let Some(documentation) = &self.documentation {
            document["resource_documentation"] = json!(documentation);
        }
        document
    }

    /// A router serving the document as JSON at [`ProtectedResource::path`], public (the
    /// metadata is for clients that have no token yet).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let body = axum::Json(self.document());
        Router::new().route(&self.path(), get(move || async move { body.clone() }))
    }
}
