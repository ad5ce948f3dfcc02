//! OpenAPI documents from the same static tree the runtime enforces (utoipa).
//!
//! `#[requires_scopes]` above `#[utoipa::path(..)]` documents the operation's security
//! requirement and its dependencies' failure answers; [`SchemeAddon`] adds the schemes to the
//! document's components. Nothing is written by hand: a scope the runtime requires is in the
//! document and the reverse, because both read the dependencies' static tree.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::marker::PhantomData;

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, AuthorizationCode, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder,
    Implicit, OAuth2, OpenIdConnect, Password, Scopes, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{OpenApi, RefOr};

use crate::dependency::tree::Param;
use crate::scheme::{Flow as OAuthFlow, KeyPlace, Scheme, SchemeInfo, SchemeKind};
use crate::scope::Scope;

#[cfg(feature = "swagger-ui")]
mod docs;
mod resource;

#[cfg(feature = "swagger-ui")]
pub use self::docs::{DocsOptions, docs_router, docs_router_with};
pub use self::resource::ProtectedResource;

/// The failure answers of an operation, by status.
pub type Responses = BTreeMap<String, RefOr<Response>>;

/// Adds `responses` to `out` when it is the map this module documents with, keeping answers
/// already there: what a dependency's documentation hook does.
pub(crate) fn insert_responses(out: &mut dyn Any, responses: Responses) {
    if let Some(out) = out.downcast_mut::<Responses>() {
        for (status, response) in responses {
            out.entry(status).or_insert(response);
        }
    }
}

impl utoipa::PartialSchema for crate::rejection::HttpError {
    /// `{"detail": "<text>"}`, the body of every `HttpError` with a text detail.
    fn schema() -> RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .property(
                "detail",
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .description(Some("What went wrong.")),
            )
            .required("detail")
            .into()
    }
}

impl utoipa::ToSchema for crate::rejection::HttpError {}

/// The failure answers of a `#[dependency(responses(401 = "..", 400 = ".."))]`: each an
/// [`HttpError`](crate::HttpError) body (`{"detail": "..."}`) with its description; 401 and 403
/// also document the `WWW-Authenticate` challenge.
pub fn document_http_errors(out: &mut dyn Any, answers: &[(u16, &str)]) {
    use utoipa::PartialSchema as _;
    let responses = answers
        .iter()
        .map(|&(status, description)| {
            let mut response = utoipa::openapi::ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(crate::rejection::HttpError::schema()))
                        .build(),
                );
            if matches!(status, 401 | 403) {
                response = response.header(
                    "WWW-Authenticate",
                    utoipa::openapi::HeaderBuilder::new()
                        .schema(Some(
                            utoipa::openapi::ObjectBuilder::new()
                                .schema_type(utoipa::openapi::Type::String),
                        ))
                        .description(Some(
                            "The challenge, with `scope=\"..\"` naming the required scopes",
                        ))
                        .build(),
                );
            }
            (status.to_string(), RefOr::T(response.build()))
        })
        .collect();
    insert_responses(out, responses);
}

/// The documentation hook of a dependency whose failure answers are those of `E`.
pub fn document_responses<E: utoipa::IntoResponses>(out: &mut dyn Any) {
    insert_responses(out, E::responses());
}

/// The security requirement of an operation whose parameters are `params`.
///
/// For each scheme a chain ends in, the scopes required along the chains, outermost first,
/// merged across chains (union, first seen first). `any(..)` requirements become alternatives:
/// the list holds one requirement object per way to satisfy the operation (OpenAPI reads the
/// list as "one of"), each naming every scheme it needs. An empty list means no chain ends in a
/// scheme: the operation is not secured.
#[must_use]
pub fn security_requirements(params: &[Param]) -> Vec<SecurityRequirement> {
    let mut schemes: Vec<(&'static str, Alternatives)> = Vec::new();
    collect(params, &vec![Vec::new()], &mut schemes);
    // One object per combination of the schemes' alternatives.
    let mut objects: Vec<Vec<(&'static str, &[Scope])>> = vec![Vec::new()];
    for (name, alternatives) in &schemes {
        objects = objects
            .iter()
            .flat_map(|object| {
                alternatives.iter().map(move |scopes| {
                    let mut object = object.clone();
                    object.push((*name, scopes.as_slice()));
                    object
                })
            })
            .collect();
    }
    objects
        .into_iter()
        .filter_map(|object| {
            let mut entries = object.into_iter();
            let (name, scopes) = entries.next()?;
            let first = SecurityRequirement::new(name, scopes.iter().map(|scope| scope.as_str()));
            Some(entries.fold(first, |requirement, (name, scopes)| {
                requirement.add(name, scopes.iter().map(|scope| scope.as_str()))
            }))
        })
        .collect()
}

/// Ways to satisfy a requirement: each a set of scopes, in the order first required.
type Alternatives = Vec<Vec<Scope>>;

fn collect(
    params: &[Param],
    above: &Alternatives,
    schemes: &mut Vec<(&'static str, Alternatives)>,
) {
    for param in params {
        match *param {
            Param::Credential(scheme) => {
                match schemes.iter_mut().find(|(name, _)| *name == scheme.name) {
                    // Both chains must pass: every pair of their alternatives, joined.
                    Some((_, existing)) => *existing = join(existing, above),
                    None => schemes.push((scheme.name, above.clone())),
                }
            }
            Param::Dependency {
                info,
                scopes,
                requirements,
                ..
            } => {
                let plain: Vec<Scope> = scopes.iter().chain(info.scopes).copied().collect();
                let mut below = join(above, &vec![plain]);
                for requirement in requirements.iter().chain(info.requirements) {
                    below = join(&below, &requirement.alternatives());
                }
                collect(info.params, &below, schemes);
            }
            _ => {}
        }
    }
}

/// The alternatives that satisfy both `left` and `right`.
fn join(left: &Alternatives, right: &Alternatives) -> Alternatives {
    let mut joined: Alternatives = Vec::new();
    for a in left {
        for b in right {
            let mut scopes = a.clone();
            for scope in b {
                if !scopes.contains(scope) {
                    scopes.push(*scope);
                }
            }
            if !joined.contains(&scopes) {
                joined.push(scopes);
            }
        }
    }
    joined
}

/// The failure answers of every dependency below `params`, first documented first.
#[must_use]
pub fn failure_responses(params: &[Param]) -> BTreeMap<String, RefOr<Response>> {
    let mut responses = BTreeMap::new();
    add_responses(params, &mut responses);
    responses
}

fn add_responses(params: &[Param], responses: &mut BTreeMap<String, RefOr<Response>>) {
    for param in params {
        if let Param::Dependency { info, .. } = param {
            if let Some(document) = info.responses {
                document(responses);
            }
            add_responses(info.params, responses);
        }
    }
}

/// `operation` with the security requirement and the failure answers of `params`.
///
/// The handler's own documented answers win over its dependencies' for the same status.
#[must_use]
pub fn secure_operation(mut operation: Operation, params: &[Param]) -> Operation {
    let requirements = security_requirements(params);
    if !requirements.is_empty() {
        operation.security = Some(requirements);
    }
    for (status, response) in failure_responses(params) {
        operation
            .responses
            .responses
            .entry(status)
            .or_insert(response);
    }
    operation
}

/// Puts the requirement of `params` (a router's, see the `routing` module) in front of every
/// operation of `openapi`: each alternative of the operation's `security` is combined with each
/// of the router's, the scopes of a scheme both name merged with the router's first; an
/// operation without `security` gets the router's. The dependency's failure answers are added
/// where the operation documents none for their status, and the schemes of its credentials to
/// the components where they are missing.
pub fn require_on_every_operation(openapi: &mut OpenApi, params: &[Param]) {
    let outer: Vec<Alternative> = security_requirements(params)
        .iter()
        .map(read_requirement)
        .collect();
    let responses = failure_responses(params);
    let mut schemes = Vec::new();
    credential_schemes(params, &mut schemes);
    let components = openapi.components.get_or_insert_with(Default::default);
    for scheme in schemes {
        if !components.security_schemes.contains_key(scheme.name) {
            components.add_security_scheme(scheme.name, security_scheme(scheme));
        }
    }
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            if !outer.is_empty() {
                let own: Vec<Alternative> = operation.security.as_ref().map_or_else(
                    || vec![Vec::new()],
                    |requirements| requirements.iter().map(read_requirement).collect(),
                );
                let combined = outer
                    .iter()
                    .flat_map(|router| own.iter().map(move |own| merge(router, own)))
                    .filter_map(|alternative| write_requirement(&alternative))
                    .collect();
                operation.security = Some(combined);
            }
            for (status, response) in &responses {
                operation
                    .responses
                    .responses
                    .entry(status.clone())
                    .or_insert_with(|| response.clone());
            }
        }
    }
}

/// The schemes of the credentials anywhere below `params`, each once.
fn credential_schemes(params: &[Param], schemes: &mut Vec<&'static SchemeInfo>) {
    for param in params {
        match *param {
            Param::Credential(scheme) if !schemes.iter().any(|known| known.name == scheme.name) => {
                schemes.push(scheme);
            }
            Param::Dependency { info, .. } => credential_schemes(info.params, schemes),
            _ => {}
        }
    }
}

/// `outer` and `inner` together: every scheme of either, the scopes of one both name merged,
/// `outer`'s first.
fn merge(outer: &Alternative, inner: &Alternative) -> Alternative {
    let mut merged = outer.clone();
    for (scheme, scopes) in inner {
        match merged.iter_mut().find(|(name, _)| name == scheme) {
            Some((_, existing)) => {
                for scope in scopes {
                    if !existing.contains(scope) {
                        existing.push(scope.clone());
                    }
                }
            }
            None => merged.push((scheme.clone(), scopes.clone())),
        }
    }
    merged
}

/// One security requirement object as `(scheme, scopes)` pairs. A requirement that does not
/// serialize to an object reads as an empty alternative, which [`Route::is_secured`] refuses.
fn read_requirement(requirement: &SecurityRequirement) -> Alternative {
    let value = serde_json::to_value(requirement).unwrap_or_default();
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(scheme, scopes)| {
            let scopes = scopes
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|scope| scope.as_str().map(str::to_owned))
                .collect();
            (scheme.clone(), scopes)
        })
        .collect()
}

/// The requirement object of `alternative`; `None` for an empty one.
fn write_requirement(alternative: &Alternative) -> Option<SecurityRequirement> {
    let mut entries = alternative.iter();
    let (name, scopes) = entries.next()?;
    let first = SecurityRequirement::new(name, scopes.iter().map(String::as_str));
    Some(entries.fold(first, |requirement, (name, scopes)| {
        requirement.add(name, scopes.iter().map(String::as_str))
    }))
}

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

/// One way to satisfy a route: every `(scheme, scopes)` listed.
pub type Alternative = Vec<(String, Vec<String>)>;

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
/// needs no credentials (the docs pages, static files), or document them.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::tree::DependencyInfo;
    use crate::scheme::ScopeInfo;

    const SCHEME: SchemeInfo = SchemeInfo::new(
        "OAuth2PasswordBearer",
        crate::scheme::SchemeKind::OAuth2(&[crate::scheme::Flow::Password {
            token_url: "token",
            refresh_url: None,
        }]),
        &[
            ScopeInfo::new(Scope::new("me"), "Me."),
            ScopeInfo::new(Scope::new("items"), "Items."),
        ],
    );
    const LEAF: DependencyInfo = DependencyInfo::new(
        "leaf",
        &[],
        &[Param::SecurityScopes, Param::Credential(&SCHEME)],
    );
    const MIDDLE: DependencyInfo = DependencyInfo::new(
        "middle",
        &[Scope::new("me")],
        &[Param::Dependency {
            info: &LEAF,
            scopes: &[],
            requirements: &[],
            use_cache: true,
        }],
    );

    const ITEMS: &[Scope] = &[Scope::new("items")];

    fn json(requirements: &[SecurityRequirement]) -> String {
        serde_json::to_string(requirements).unwrap()
    }

    #[test]
    fn tutorial_requirements() {
        let items = [Param::Dependency {
            info: &MIDDLE,
            scopes: ITEMS,
            requirements: &[],
            use_cache: true,
        }];
        assert_eq!(
            json(&security_requirements(&items)),
            r#"[{"OAuth2PasswordBearer":["items","me"]}]"#
        );
        let status = [Param::Dependency {
            info: &LEAF,
            scopes: &[],
            requirements: &[],
            use_cache: true,
        }];
        assert_eq!(
            json(&security_requirements(&status)),
            r#"[{"OAuth2PasswordBearer":[]}]"#
        );
        assert!(security_requirements(&[Param::Extractor]).is_empty());
    }

    #[test]
    fn chains_merge_per_scheme() {
        let params = [
            Param::Dependency {
                info: &LEAF,
                scopes: ITEMS,
                requirements: &[],
                use_cache: true,
            },
            Param::Dependency {
                info: &MIDDLE,
                scopes: &[],
                requirements: &[],
                use_cache: true,
            },
        ];
        assert_eq!(
            json(&security_requirements(&params)),
            r#"[{"OAuth2PasswordBearer":["items","me"]}]"#
        );
    }

    #[test]
    fn any_becomes_alternatives() {
        use crate::scope::Requirement;
        const ANY: &[Requirement] = &[Requirement::Any(&[
            Requirement::Scope(Scope::new("items")),
            Requirement::Scope(Scope::new("admin")),
        ])];
        let params = [Param::Dependency {
            info: &MIDDLE,
            scopes: &[],
            requirements: ANY,
            use_cache: true,
        }];
        assert_eq!(
            json(&security_requirements(&params)),
            r#"[{"OAuth2PasswordBearer":["me","items"]},{"OAuth2PasswordBearer":["me","admin"]}]"#
        );
    }

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
