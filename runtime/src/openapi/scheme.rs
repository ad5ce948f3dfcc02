//! The OpenAPI security scheme of a declared [`Scheme`], and [`SchemeAddon`], which adds it
//! to a document.

use std::fmt::Write as _;
use std::marker::PhantomData;

use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, AuthorizationCode, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder,
    Implicit, OAuth2, OpenIdConnect, Password, Scopes, SecurityScheme,
};

use crate::scheme::{Flow as OAuthFlow, KeyPlace, Scheme, SchemeInfo, SchemeKind};

/// The OpenAPI security scheme of `info`, per its kind: OAuth2 with its flows, each listing the
/// catalogue (every scope with its description and what it implies); OpenID Connect with its
/// discovery URL; HTTP bearer with its format; an API key or a token cookie in its place. The
/// kinds that have no scope map in OpenAPI list the catalogue in their description.
#[must_use]
pub fn security_scheme(info: &SchemeInfo) -> SecurityScheme {
    let described = |entry: &crate::scheme::ScopeInfo| {
        let implied = info.implied_by(entry.scope.as_str());
        if implied.is_empty() {
            return entry.description.to_owned();
        }
        let names: Vec<String> = implied
            .iter()
            .map(|s| format!("`{}`", s.as_str()))
            .collect();
        format!("{} Implies {}.", entry.description, names.join(", "))
    };
    let scopes = || {
        info.scopes
            .iter()
            .map(|entry| (entry.scope.as_str().to_owned(), described(entry)))
            .collect::<Scopes>()
    };
    // For the kinds without a scope map: the given description, then the catalogue.
    let description = |what: String| {
        let mut text = info.description.map_or(what, str::to_owned);
        if !info.scopes.is_empty() {
            text.push_str("\n\nScopes:");
            for entry in info.scopes {
                let _ = write!(text, "\n- `{}`: {}", entry.scope.as_str(), described(entry));
            }
        }
        text
    };
    let key = |name: &str, text: String| ApiKeyValue::with_description(name.to_owned(), text);
    match info.kind {
        SchemeKind::OAuth2(flows) => {
            let flows = flows.iter().map(|flow| oauth2_flow(*flow, scopes()));
            match info.description {
                Some(text) => SecurityScheme::OAuth2(OAuth2::with_description(flows, text)),
                None => SecurityScheme::OAuth2(OAuth2::new(flows)),
            }
        }
        SchemeKind::OpenIdConnect { url } => {
            let text = description(String::from("OpenID Connect."));
            SecurityScheme::OpenIdConnect(OpenIdConnect::with_description(url.to_owned(), text))
        }
        SchemeKind::HttpBearer { bearer_format } => {
            let mut http = HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description(String::from(
                    "A bearer token in the `Authorization` header.",
                ))));
            if let Some(format) = bearer_format {
                http = http.bearer_format(format);
            }
            SecurityScheme::Http(http.build())
        }
        SchemeKind::ApiKey { place, name } => {
            let text = description(format!("An API key in the {} `{name}`.", place_word(place)));
            SecurityScheme::ApiKey(match place {
                KeyPlace::Header => ApiKey::Header(key(name, text)),
                KeyPlace::Query => ApiKey::Query(key(name, text)),
                KeyPlace::Cookie => ApiKey::Cookie(key(name, text)),
            })
        }
        SchemeKind::TokenCookie { name } => {
            let text = description(format!(
                "A bearer token (JWT) in the cookie `{name}`; state-changing requests must pass the CSRF rule."
            ));
            SecurityScheme::ApiKey(ApiKey::Cookie(key(name, text)))
        }
    }
}

/// One OAuth2 flow object, listing `scopes`.
fn oauth2_flow(flow: OAuthFlow, scopes: Scopes) -> Flow {
    match flow {
        OAuthFlow::Password {
            token_url,
            refresh_url: None,
        } => Flow::Password(Password::new(token_url, scopes)),
        OAuthFlow::Password {
            token_url,
            refresh_url: Some(refresh),
        } => Flow::Password(Password::with_refresh_url(token_url, scopes, refresh)),
        OAuthFlow::AuthorizationCode {
            authorization_url,
            token_url,
            refresh_url: None,
        } => Flow::AuthorizationCode(AuthorizationCode::new(authorization_url, token_url, scopes)),
        OAuthFlow::AuthorizationCode {
            authorization_url,
            token_url,
            refresh_url: Some(refresh),
        } => Flow::AuthorizationCode(AuthorizationCode::with_refresh_url(
            authorization_url,
            token_url,
            scopes,
            refresh,
        )),
        OAuthFlow::ClientCredentials {
            token_url,
            refresh_url: None,
        } => Flow::ClientCredentials(ClientCredentials::new(token_url, scopes)),
        OAuthFlow::ClientCredentials {
            token_url,
            refresh_url: Some(refresh),
        } => Flow::ClientCredentials(ClientCredentials::with_refresh_url(
            token_url, scopes, refresh,
        )),
        OAuthFlow::Implicit {
            authorization_url,
            refresh_url: None,
        } => Flow::Implicit(Implicit::new(authorization_url, scopes)),
        OAuthFlow::Implicit {
            authorization_url,
            refresh_url: Some(refresh),
        } => Flow::Implicit(Implicit::with_refresh_url(
            authorization_url,
            scopes,
            refresh,
        )),
    }
}

/// `header`, `query parameter` or `cookie`.
fn place_word(place: KeyPlace) -> &'static str {
    match place {
        KeyPlace::Header => "header",
        KeyPlace::Query => "query parameter",
        KeyPlace::Cookie => "cookie",
    }
}

/// Adds the scheme `S` to an OpenAPI document's components, under its name.
///
/// Use it as a utoipa modifier, `#[openapi(modifiers(&SchemeAddon::<Oauth2>::new()))]`, or call
/// [`SchemeAddon::apply`] on a document built by utoipa-axum's `OpenApiRouter`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SchemeAddon<S>(PhantomData<fn() -> S>);

impl<S: Scheme> SchemeAddon<S> {
    /// The addon.
    #[must_use]
    pub const fn new() -> Self {
        Self(PhantomData)
    }

    /// Adds the scheme to `openapi`.
    pub fn apply(openapi: &mut OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(S::INFO.name, security_scheme(&S::INFO));
    }
}

impl<S: Scheme> utoipa::Modify for SchemeAddon<S> {
    fn modify(&self, openapi: &mut OpenApi) {
        Self::apply(openapi);
    }
}
