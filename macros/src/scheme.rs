//! `oauth2_password_bearer! { .. }`: the scheme declaration, parsed, checked and expanded.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Token, Visibility, braced};

use crate::ast::Errors;
use crate::valid;

/// `#[attrs] vis Name { name: "..", token_url: "..", scopes: { "scope" => "description", .. } }`
pub(crate) struct SchemeDecl {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    name: Option<LitStr>,
    token_url: LitStr,
    scopes: Vec<(LitStr, LitStr)>,
}

impl Parse for SchemeDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let ident: Ident = input.parse()?;
        let body;
        braced!(body in input);
        let (mut name, mut token_url, mut scopes) = (None, None, None);
        while !body.is_empty() {
            let key: Ident = body.parse()?;
            body.parse::<Token![:]>()?;
            let duplicate = || syn::Error::new(key.span(), format!("`{key}` is given twice"));
            if key == "name" {
                if name.replace(body.parse::<LitStr>()?).is_some() {
                    return Err(duplicate());
                }
            } else if key == "token_url" {
                if token_url.replace(body.parse::<LitStr>()?).is_some() {
                    return Err(duplicate());
                }
            } else if key == "scopes" {
                let entries;
                braced!(entries in body);
                let list = Punctuated::<ScopeEntry, Token![,]>::parse_terminated(&entries)?;
                if scopes
                    .replace(
                        list.into_iter()
                            .map(|entry| (entry.scope, entry.description))
                            .collect(),
                    )
                    .is_some()
                {
                    return Err(duplicate());
                }
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown field `{key}`; expected `name`, `token_url` or `scopes`"),
                ));
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        let missing = |field: &str| {
            syn::Error::new(
                ident.span(),
                format!(
                    "the scheme needs `{field}`, e.g. `token_url: \"token\"`, `scopes: {{ \"me\" => \"Read yourself.\" }}`"
                ),
            )
        };
        Ok(Self {
            token_url: token_url.ok_or_else(|| missing("token_url"))?,
            scopes: scopes.ok_or_else(|| missing("scopes"))?,
            attrs,
            vis,
            ident,
            name,
        })
    }
}

struct ScopeEntry {
    scope: LitStr,
    description: LitStr,
}

impl Parse for ScopeEntry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let scope = input.parse()?;
        input.parse::<Token![=>]>()?;
        let description = input.parse()?;
        Ok(Self { scope, description })
    }
}

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let decl: SchemeDecl = match syn::parse2(input) {
        Ok(decl) => decl,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let scopes: Vec<LitStr> = decl.scopes.iter().map(|(scope, _)| scope.clone()).collect();
    valid::check_scopes(&scopes, &mut errors);
    let SchemeDecl {
        attrs,
        vis,
        ident,
        name,
        token_url,
        scopes,
    } = &decl;
    let name = name.as_ref().map_or_else(
        || LitStr::new("OAuth2PasswordBearer", ident.span()),
        Clone::clone,
    );
    let error = errors.finish().err().map(|error| error.to_compile_error());
    // With an error, the type is still declared so its users resolve, with an empty catalogue.
    let entries = scopes
        .iter()
        .filter(|_| error.is_none())
        .map(|(scope, description)| {
            quote! {
                ::axum_scopes::ScopeInfo::new(::axum_scopes::Scope::new(#scope), #description)
            }
        });
    quote! {
        #(#attrs)*
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #ident;

        #[automatically_derived]
        impl ::axum_scopes::Scheme for #ident {
            const INFO: ::axum_scopes::SchemeInfo = ::axum_scopes::SchemeInfo::oauth2_password(
                #name,
                #token_url,
                &[#(#entries),*],
            );
        }

        #error
    }
}
