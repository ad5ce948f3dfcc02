//! Saying in the document that token schemes take DPoP (RFC 9449): [`document_dpop`].
//!
//! OpenAPI 3.1 has no DPoP security scheme type. An `http` scheme named `DPoP` (the IANA
//! registry holds the name) would be a second scheme: requirements would list the OAuth2 scheme
//! or it as alternatives, its scopes would be role names without flows, and Swagger UI, which
//! cannot sign proofs, would offer a login it cannot use. The token is the same token from the
//! same flows, presented differently; so the OAuth2, OpenID Connect and HTTP bearer schemes keep
//! their type, flows and scopes, and gain a sentence in their `description` and an `x-dpop`
//! extension that tools can read: `{"algs": [...], "bearer": <accepted too>}`. Swagger UI keeps
//! working with Bearer tokens (unless Bearer is switched off with `Dpop::dpop_only`).

use utoipa::openapi::extensions::{Extensions, ExtensionsBuilder};
use utoipa::openapi::security::{HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};

use crate::dpop::Dpop;

/// Documents on every token scheme of `openapi` (OAuth2, OpenID Connect, HTTP bearer) that it
/// takes DPoP-bound tokens as `dpop` checks them, in the scheme's `description` and an
/// `x-dpop` extension. API-key schemes are left alone.
///
/// ```
/// use axum_scopes::dpop::Dpop;
/// use axum_scopes::openapi::{SchemeAddon, document_dpop};
/// use utoipa::Modify;
///
/// axum_scopes::oauth2_password_bearer! {
///     /// The API's scheme.
///     pub Api { token_url: "token", scopes: { "items" => "Read items." } }
/// }
///
/// let mut openapi = utoipa::openapi::OpenApi::default();
/// SchemeAddon::<Api>::new().modify(&mut openapi);
/// document_dpop(&mut openapi, &Dpop::new("https://api.example.com").unwrap());
/// let json = serde_json::to_value(&openapi).unwrap();
/// let scheme = &json["components"]["securitySchemes"]["OAuth2PasswordBearer"];
/// assert_eq!(scheme["x-dpop"]["bearer"], true);
/// assert!(scheme["description"].as_str().unwrap().contains("Authorization: DPoP"));
/// ```
pub fn document_dpop(openapi: &mut OpenApi, dpop: &Dpop) {
    let Some(components) = openapi.components.as_mut() else {
        return;
    };
    let algs: Vec<&str> = dpop.algs().split(' ').collect();
    let sentence = format!(
        "Takes DPoP-bound access tokens (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` \
         proof header signed with {}. {}",
        algs.join(", "),
        if dpop.accepts_bearer() {
            "Bearer tokens are accepted too."
        } else {
            "Bearer tokens are not accepted."
        }
    );
    let extension = || -> Extensions {
        ExtensionsBuilder::new()
            .add(
                "x-dpop",
                serde_json::json!({ "algs": algs, "bearer": dpop.accepts_bearer() }),
            )
            .build()
    };
    for scheme in components.security_schemes.values_mut() {
        let RefOr::T(scheme) = scheme else {
            continue;
        };
        let (description, extensions) = match scheme {
            SecurityScheme::OAuth2(oauth2) => (&mut oauth2.description, &mut oauth2.extensions),
            SecurityScheme::OpenIdConnect(oidc) => (&mut oidc.description, &mut oidc.extensions),
            SecurityScheme::Http(http) if http.scheme == HttpAuthScheme::Bearer => {
                (&mut http.description, &mut http.extensions)
            }
            _ => continue,
        };
        *description = Some(match description.take() {
            Some(text) if !text.is_empty() => format!("{text}\n\n{sentence}"),
            _ => sentence.clone(),
        });
        match extensions {
            Some(existing) => existing.merge(extension()),
            None => *extensions = Some(extension()),
        }
    }
}
