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
    token_url: Option<LitStr>,
    scopes: Vec<(LitStr, LitStr)>,
    /// Every error met while reading, reported together.
    errors: Errors,
}

impl Parse for SchemeDecl {
    /// Reads what it can: after the name, every error is collected in `errors` and parsing goes
    /// on with the next field, so the declared type always exists.
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let ident: Ident = input.parse()?;
        let mut decl = Self {
            attrs,
            vis,
            ident,
            name: None,
            token_url: None,
            scopes: Vec::new(),
            errors: Errors::default(),
        };
        let braced_body = (|| -> syn::Result<_> {
            let content;
            braced!(content in input);
            Ok(content)
        })();
        let body = match braced_body {
            Ok(content) => content,
            Err(error) => {
                decl.errors.push(error);
                // Skip whatever follows so the item is still emitted.
                input.step(|cursor| {
                    let mut rest = *cursor;
                    while let Some((_, next)) = rest.token_tree() {
                        rest = next;
                    }
                    Ok(((), rest))
                })?;
                return Ok(decl);
            }
        };
        let mut seen_scopes = false;
        while !body.is_empty() {
            if let Err(error) = decl.field(&body, &mut seen_scopes) {
                decl.errors.push(error);
                // Resume after the next comma at this level.
                body.step(|cursor| {
                    let mut rest = *cursor;
                    while let Some((tree, next)) = rest.token_tree() {
                        rest = next;
                        if matches!(&tree, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                            break;
                        }
                    }
                    Ok(((), rest))
                })?;
            }
        }
        if decl.token_url.is_none() {
            decl.errors.push(missing(&decl.ident, "token_url"));
        }
        if !seen_scopes {
            decl.errors.push(missing(&decl.ident, "scopes"));
        }
        Ok(decl)
    }
}

fn missing(ident: &Ident, field: &str) -> syn::Error {
    syn::Error::new(
        ident.span(),
        format!(
            "the scheme needs `{field}`, e.g. `token_url: \"token\"`, `scopes: {{ \"me\" => \"Read yourself.\" }}`"
        ),
    )
}

impl SchemeDecl {
    /// One `key: value` and its trailing comma.
    fn field(&mut self, body: ParseStream, seen_scopes: &mut bool) -> syn::Result<()> {
        let key: Ident = body.parse()?;
        body.parse::<Token![:]>()?;
        let duplicate = || syn::Error::new(key.span(), format!("`{key}` is given twice; keep one"));
        if key == "name" {
            let value = body.parse::<LitStr>()?;
            if self.name.replace(value).is_some() {
                return Err(duplicate());
            }
        } else if key == "token_url" {
            let value = body.parse::<LitStr>()?;
            if self.token_url.replace(value).is_some() {
                return Err(duplicate());
            }
        } else if key == "scopes" {
            let entries;
            braced!(entries in body);
            let list = Punctuated::<ScopeEntry, Token![,]>::parse_terminated(&entries)?;
            if std::mem::replace(seen_scopes, true) {
                return Err(duplicate());
            }
            self.scopes = list
                .into_iter()
                .map(|entry| (entry.scope, entry.description))
                .collect();
        } else {
            return Err(syn::Error::new(
                key.span(),
                format!("unknown field `{key}`; expected `name`, `token_url` or `scopes`"),
            ));
        }
        if !body.is_empty() {
            body.parse::<Token![,]>()?;
        }
        Ok(())
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
        // Not even a name to declare.
        Err(error) => return error.to_compile_error(),
    };
    let SchemeDecl {
        attrs,
        vis,
        ident,
        name,
        token_url,
        scopes,
        mut errors,
    } = decl;
    // Every scope is checked; the valid ones stay in the catalogue, so the scheme's users do
    // not fail too.
    let literals: Vec<LitStr> = scopes.iter().map(|(scope, _)| scope.clone()).collect();
    valid::check_scopes(&literals, &mut errors);
    let mut valid: Vec<(&LitStr, &LitStr)> = Vec::new();
    for (scope, description) in &scopes {
        let text = scope.value();
        let well_formed = !text.is_empty() && text.chars().all(valid::is_scope_char);
        if well_formed && !valid.iter().any(|(kept, _)| kept.value() == text) {
            valid.push((scope, description));
        }
    }
    let name = name.unwrap_or_else(|| LitStr::new("OAuth2PasswordBearer", ident.span()));
    let token_url = token_url.unwrap_or_else(|| LitStr::new("token", ident.span()));
    let error = errors.finish().err().map(|error| error.to_compile_error());
    let entries = valid.iter().map(|(scope, description)| {
        quote! {
            ::axum_scopes::__private::ScopeInfo::new(::axum_scopes::__private::Scope::new(#scope), #description)
        }
    });
    quote! {
        #(#attrs)*
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #ident;

        #[automatically_derived]
        impl ::axum_scopes::__private::Scheme for #ident {
            const INFO: ::axum_scopes::__private::SchemeInfo = ::axum_scopes::__private::SchemeInfo::oauth2_password(
                #name,
                #token_url,
                &[#(#entries),*],
            );
        }

        #error
    }
}
