//! The kind of a `security_scheme!` (`oauth2`, `openid_connect`, `http_bearer`, `api_key`,
//! `token_cookie`): its fields checked, and the `SchemeKind` and credential source it expands to.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, LitStr};

use super::{Fields, KindDecl};
use crate::ast::Errors;

/// Takes the fields `allowed` from `fields`, reporting unknown and repeated ones, and the
/// `required` ones that are missing (at `owner`).
fn take(
    fields: &Fields,
    allowed: &[&str],
    required: &[&str],
    owner: &Ident,
    errors: &mut Errors,
) -> Vec<Option<LitStr>> {
    let mut found: Vec<Option<LitStr>> = vec![None; allowed.len()];
    for (key, value) in fields {
        match allowed.iter().position(|name| key == name) {
            Some(at) if found[at].is_some() => errors.push(syn::Error::new(
                key.span(),
                format!("`{key}` is given twice; keep one"),
            )),
            Some(at) => found[at] = Some(value.clone()),
            None => errors.push(syn::Error::new(
                key.span(),
                format!(
                    "unknown field `{key}` of `{owner}`; expected {}",
                    allowed
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    for name in required {
        let at = allowed.iter().position(|allowed| allowed == name);
        if at.is_some_and(|at| found[at].is_none()) {
            errors.push(syn::Error::new(
                owner.span(),
                format!("`{owner}` needs `{name}: \"..\"`"),
            ));
        }
    }
    found
}

/// `Some(..)` or `None` as tokens.
fn option(value: Option<&LitStr>) -> TokenStream {
    value.map_or_else(
        || quote!(::core::option::Option::None),
        |value| quote!(::core::option::Option::Some(#value)),
    )
}

/// Whether `text` is an RFC 9110 token (a header or cookie name).
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Checks an absolute `http(s)` URL literal.
fn check_absolute(url: &LitStr, errors: &mut Errors) {
    let text = url.value();
    if !(text.starts_with("https://") || text.starts_with("http://"))
        || text.contains(char::is_whitespace)
    {
        errors.push(syn::Error::new(
            url.span(),
            format!("`{text}` is not an absolute URL; write the provider's `https://.../.well-known/openid-configuration`"),
        ));
    }
}

/// A URL literal a flow may give relative (`token`) or absolute; no spaces.
pub(super) fn check_url(url: &LitStr, errors: &mut Errors) {
    let text = url.value();
    if text.is_empty() || text.contains(char::is_whitespace) {
        errors.push(syn::Error::new(
            url.span(),
            "a URL cannot be empty or contain spaces; write `token` (relative to the API) or `https://idp.example.com/oauth2/token`",
        ));
    }
}

/// The kind of the declared scheme: the `SchemeKind` expression, the default OpenAPI name, and
/// where its credential travels (`None`: the bearer header; `Some((source, name))`: the scheme is
/// its own source, a `source<Self>` of that name).
pub(super) struct Resolved {
    pub(super) kind: TokenStream,
    pub(super) default_name: &'static str,
    pub(super) own_source: Option<(TokenStream, LitStr)>,
}

/// The flows `oauth2` knows, with their fields, required first.
const FLOWS: &[(&str, &[&str], &[&str])] = &[
    ("password", &["token_url", "refresh_url"], &["token_url"]),
    (
        "authorization_code",
        &["authorization_url", "token_url", "refresh_url"],
        &["authorization_url", "token_url"],
    ),
    (
        "client_credentials",
        &["token_url", "refresh_url"],
        &["token_url"],
    ),
    (
        "implicit",
        &["authorization_url", "refresh_url"],
        &["authorization_url"],
    ),
];

/// How many errors `errors` holds.
fn count(errors: &Errors) -> usize {
    errors
        .0
        .as_ref()
        .map_or(0, |error| error.clone().into_iter().count())
}

/// The kind, or `None` after an error in it (the caller then falls back to a neutral kind).
pub(super) fn resolve_kind(kind: &KindDecl, errors: &mut Errors) -> Option<Resolved> {
    let before = count(errors);
    let resolved = match kind.key.to_string().as_str() {
        "oauth2" => oauth2(&kind.key, &kind.flows, errors),
        "openid_connect" => {
            let found = take(&kind.fields, &["url"], &["url"], &kind.key, errors);
            let url = found[0]
                .clone()
                .unwrap_or_else(|| LitStr::new("", kind.key.span()));
            check_absolute(&url, errors);
            Resolved {
                kind: quote!(::axum_scopes::__private::SchemeKind::OpenIdConnect { url: #url }),
                default_name: "OpenIdConnect",
                own_source: None,
            }
        }
        "http_bearer" => {
            let found = take(&kind.fields, &["bearer_format"], &[], &kind.key, errors);
            let format = option(found[0].as_ref());
            Resolved {
                kind: quote!(::axum_scopes::__private::SchemeKind::HttpBearer { bearer_format: #format }),
                default_name: "HTTPBearer",
                own_source: None,
            }
        }
        "api_key" => api_key(&kind.key, &kind.fields, errors)?,
        _ => token_cookie(&kind.key, &kind.fields, errors),
    };
    (count(errors) == before).then_some(resolved)
}

/// `oauth2: { flow: { .. }, .. }`.
fn oauth2(key: &Ident, declared: &[(Ident, Fields)], errors: &mut Errors) -> Resolved {
    let p = quote!(::axum_scopes::__private);
    if declared.is_empty() {
        errors.push(syn::Error::new(
            key.span(),
            "`oauth2` needs at least one flow: `password`, `authorization_code`, `client_credentials` or `implicit`",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut flows = Vec::new();
    for (flow, fields) in declared {
        let Some((name, allowed, required)) = FLOWS.iter().find(|(name, ..)| flow == name) else {
            errors.push(syn::Error::new(
                flow.span(),
                format!("unknown flow `{flow}`; expected `password`, `authorization_code`, `client_credentials` or `implicit`"),
            ));
            continue;
        };
        if seen.contains(name) {
            errors.push(syn::Error::new(
                flow.span(),
                format!("the `{flow}` flow is given twice; keep one"),
            ));
            continue;
        }
        seen.push(name);
        let found = take(fields, allowed, required, flow, errors);
        for url in found.iter().flatten() {
            check_url(url, errors);
        }
        let placeholder = LitStr::new("", flow.span());
        let get = |field: &str| {
            allowed
                .iter()
                .position(|allowed| *allowed == field)
                .and_then(|at| found[at].as_ref())
        };
        let refresh = option(get("refresh_url"));
        let token = get("token_url").unwrap_or(&placeholder);
        let authorization = get("authorization_url").unwrap_or(&placeholder);
        flows.push(match *name {
            "password" => quote!(#p::Flow::Password { token_url: #token, refresh_url: #refresh }),
            "authorization_code" => quote!(#p::Flow::AuthorizationCode {
                authorization_url: #authorization, token_url: #token, refresh_url: #refresh
            }),
            "client_credentials" => {
                quote!(#p::Flow::ClientCredentials { token_url: #token, refresh_url: #refresh })
            }
            _ => quote!(#p::Flow::Implicit { authorization_url: #authorization, refresh_url: #refresh }),
        });
    }
    Resolved {
        kind: quote!(#p::SchemeKind::OAuth2(&[#(#flows),*])),
        // FastAPI's class names.
        default_name: match seen.as_slice() {
            ["password"] => "OAuth2PasswordBearer",
            ["authorization_code"] => "OAuth2AuthorizationCodeBearer",
            _ => "OAuth2",
        },
        own_source: None,
    }
}

/// `api_key: { header | query | cookie: "name" }`; `None` after an error.
fn api_key(key: &Ident, fields: &Fields, errors: &mut Errors) -> Option<Resolved> {
    let p = quote!(::axum_scopes::__private);
    let places = ["header", "query", "cookie"];
    let found = take(fields, &places, &[], key, errors);
    let given: Vec<(usize, &LitStr)> = found
        .iter()
        .enumerate()
        .filter_map(|(at, value)| value.as_ref().map(|value| (at, value)))
        .collect();
    let [(place, name)] = given.as_slice() else {
        errors.push(syn::Error::new(
            key.span(),
            "`api_key` needs exactly one place: `header: \"X-API-Key\"`, `query: \"api_key\"` or `cookie: \"api_key\"`",
        ));
        return None;
    };
    let text = name.value();
    // Query parameter names are any non-empty text; header and cookie names are tokens.
    let valid = if *place == 1 {
        !text.is_empty()
    } else {
        is_token(&text)
    };
    if !valid {
        errors.push(syn::Error::new(
            name.span(),
            format!(
                "`{text}` is not a valid {} name; use letters, digits and `-`, e.g. `X-API-Key`",
                places[*place]
            ),
        ));
    }
    let (variant, source, default_name) = match place {
        0 => (quote!(Header), quote!(#p::ApiKeyHeader), "APIKeyHeader"),
        1 => (quote!(Query), quote!(#p::ApiKeyQuery), "APIKeyQuery"),
        _ => (quote!(Cookie), quote!(#p::ApiKeyCookie), "APIKeyCookie"),
    };
    Some(Resolved {
        kind: quote!(#p::SchemeKind::ApiKey { place: #p::KeyPlace::#variant, name: #name }),
        default_name,
        own_source: Some((source, (*name).clone())),
    })
}

/// `token_cookie: { name: ".." }`.
fn token_cookie(key: &Ident, fields: &Fields, errors: &mut Errors) -> Resolved {
    let found = take(fields, &["name"], &["name"], key, errors);
    let name = found[0]
        .clone()
        .unwrap_or_else(|| LitStr::new("", key.span()));
    if found[0].is_some() && !is_token(&name.value()) {
        errors.push(syn::Error::new(
            name.span(),
            format!(
                "`{}` is not a valid cookie name; use letters, digits, `-` and `_`",
                name.value()
            ),
        ));
    }
    Resolved {
        kind: quote!(::axum_scopes::__private::SchemeKind::TokenCookie { name: #name }),
        default_name: "TokenCookie",
        own_source: Some((quote!(::axum_scopes::__private::TokenCookie), name)),
    }
}

/// Where `Authenticated<C, Self>` reads the credential: the bearer header, or, for an API-key
/// or token-cookie scheme, the scheme itself, reading the place it declares.
pub(super) fn source_impls(
    ident: &Ident,
    own_source: Option<&(TokenStream, LitStr)>,
) -> TokenStream {
    let p = quote!(::axum_scopes::__private);
    let Some((source, place)) = own_source else {
        return quote! {
            #[automatically_derived]
            impl #p::SchemeSource for #ident {
                type Source = #p::BearerHeader;
            }
        };
    };
    quote! {
        #[automatically_derived]
        impl #p::SchemeSource for #ident {
            type Source = Self;
        }

        #[automatically_derived]
        impl #p::CredentialName for #ident {
            const NAME: &'static str = #place;
        }

        #[automatically_derived]
        impl #p::CredentialSource for #ident {
            const KIND: #p::CredentialKind = <#source<Self> as #p::CredentialSource>::KIND;

            fn extract(
                parts: &#p::RequestParts,
            ) -> ::core::result::Result<::core::option::Option<#p::RawCredential<'_>>, #p::AuthError> {
                <#source<Self> as #p::CredentialSource>::extract(parts)
            }
        }
    }
}
