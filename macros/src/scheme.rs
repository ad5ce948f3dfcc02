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
    scopes: Vec<ScopeEntry>,
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
                skip_rest(input)?;
                return Ok(decl);
            }
        };
        let mut seen_scopes = false;
        while !body.is_empty() {
            if let Err(error) = decl.field(&body, &mut seen_scopes) {
                decl.errors.push(error);
                // Resume after the next comma at this level.
                skip_past_comma(&body)?;
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

/// Consumes every token left in `input`.
fn skip_rest(input: ParseStream) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((_, next)) = rest.token_tree() {
            rest = next;
        }
        Ok(((), rest))
    })
}

/// Consumes the tokens of `input` up to and including the next comma at this level.
fn skip_past_comma(input: ParseStream) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            rest = next;
            if matches!(&tree, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    })
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
            if std::mem::replace(seen_scopes, true) {
                skip_rest(&entries)?;
                return Err(duplicate());
            }
            // Entry by entry: a bad one is reported and skipped, the others stay in the
            // catalogue, and no token is left unread (syn would replace every error with
            // "unexpected token" and the scheme would not be emitted).
            while !entries.is_empty() {
                match entries.parse::<ScopeEntry>() {
                    Ok(entry) => self.scopes.push(entry),
                    Err(error) => {
                        self.errors.push(error);
                        skip_past_comma(&entries)?;
                        continue;
                    }
                }
                if !entries.is_empty()
                    && let Err(error) = entries.parse::<Token![,]>()
                {
                    self.errors.push(error);
                    skip_past_comma(&entries)?;
                }
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
        Ok(())
    }
}

/// `"scope" => "description"`, optionally followed by `implies ["other", ..]`.
struct ScopeEntry {
    scope: LitStr,
    description: LitStr,
    implies: Vec<LitStr>,
}

impl Parse for ScopeEntry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let scope = input.parse()?;
        input.parse::<Token![=>]>()?;
        let description = input.parse()?;
        let mut implies = Vec::new();
        if input.peek(Ident) {
            let keyword: Ident = input.parse()?;
            if keyword != "implies" {
                return Err(syn::Error::new(
                    keyword.span(),
                    format!(
                        "unexpected `{keyword}`; write `implies [\"other:scope\"]` after the description, or a comma"
                    ),
                ));
            }
            let list;
            syn::bracketed!(list in input);
            implies = Punctuated::<LitStr, Token![,]>::parse_terminated(&list)?
                .into_iter()
                .collect();
        }
        Ok(Self {
            scope,
            description,
            implies,
        })
    }
}

/// Checks the catalogue's implications (every implied scope declared, none implying itself, no
/// cycle), reporting each error at its literal, and returns each valid scope's implied scopes,
/// closed transitively, in catalogue order.
fn implications(valid: &[&ScopeEntry], errors: &mut Errors) -> Vec<Vec<String>> {
    let names: Vec<String> = valid.iter().map(|entry| entry.scope.value()).collect();
    let declared = names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    // Direct edges, by index.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); valid.len()];
    for (from, entry) in valid.iter().enumerate() {
        for implied in &entry.implies {
            let text = implied.value();
            match names.iter().position(|name| *name == text) {
                Some(to) if to == from => errors.push(syn::Error::new(
                    implied.span(),
                    format!("`{text}` implies itself; remove it from its own `implies` list"),
                )),
                Some(to) => {
                    if !edges[from].contains(&to) {
                        edges[from].push(to);
                    }
                }
                None => errors.push(syn::Error::new(
                    implied.span(),
                    format!(
                        "`{text}`, implied by `{}`, is not in the catalogue; declare it (`\"{text}\" => \"...\"`) or imply one of {declared}",
                        entry.scope.value()
                    ),
                )),
            }
        }
    }
    // A cycle: report it once, at the implication that closes it.
    let mut reported = false;
    for start in 0..valid.len() {
        if reported {
            break;
        }
        if let Some(path) = cycle_from(start, &edges) {
            let closing = path[path.len() - 2];
            let implied = valid[closing]
                .implies
                .iter()
                .find(|lit| lit.value() == names[start])
                .map_or_else(|| valid[closing].scope.span(), LitStr::span);
            let chain = path
                .iter()
                .map(|&i| format!("`{}`", names[i]))
                .collect::<Vec<_>>()
                .join(" implies ");
            errors.push(syn::Error::new(
                implied,
                format!(
                    "implication cycle: {chain}; scopes that imply each other grant the same, so keep one of them or drop an implication"
                ),
            ));
            reported = true;
        }
    }
    // The transitive closure, in catalogue order, without the scope itself.
    (0..valid.len())
        .map(|from| {
            let mut seen = vec![false; valid.len()];
            let mut stack = edges[from].clone();
            while let Some(next) = stack.pop() {
                if next != from && !seen[next] {
                    seen[next] = true;
                    stack.extend(edges[next].iter().copied());
                }
            }
            (0..valid.len())
                .filter(|&i| seen[i])
                .map(|i| names[i].clone())
                .collect()
        })
        .collect()
}

/// A path `start -> .. -> start` through `edges`, if there is one.
fn cycle_from(start: usize, edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    fn walk(
        node: usize,
        start: usize,
        edges: &[Vec<usize>],
        path: &mut Vec<usize>,
        seen: &mut [bool],
    ) -> bool {
        for &next in &edges[node] {
            if next == start {
                path.push(next);
                return true;
            }
            if !seen[next] {
                seen[next] = true;
                path.push(next);
                if walk(next, start, edges, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start];
    let mut seen = vec![false; edges.len()];
    walk(start, start, edges, &mut path, &mut seen).then_some(path)
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
    let literals: Vec<LitStr> = scopes.iter().map(|entry| entry.scope.clone()).collect();
    valid::check_scopes(&literals, &mut errors);
    let mut valid: Vec<&ScopeEntry> = Vec::new();
    for entry in &scopes {
        let text = entry.scope.value();
        let well_formed = !text.is_empty() && text.chars().all(valid::is_scope_char);
        if well_formed && !valid.iter().any(|kept| kept.scope.value() == text) {
            valid.push(entry);
        }
    }
    let closure = implications(&valid, &mut errors);
    let clean = errors.0.is_none();
    let name = name.unwrap_or_else(|| LitStr::new("OAuth2PasswordBearer", ident.span()));
    let token_url = token_url.unwrap_or_else(|| LitStr::new("token", ident.span()));
    let error = errors.finish().err().map(|error| error.to_compile_error());
    let entries = valid.iter().map(|entry| {
        let (scope, description) = (&entry.scope, &entry.description);
        quote! {
            ::axum_scopes::__private::ScopeInfo::new(::axum_scopes::__private::Scope::new(#scope), #description)
        }
    });
    // Only scopes that imply something; after an error, none (the catalogue stays usable).
    let implied = valid
        .iter()
        .zip(&closure)
        .filter(|(_, implies)| clean && !implies.is_empty())
        .map(|(entry, implies)| {
            let scope = &entry.scope;
            quote! {
                ::axum_scopes::__private::Implication::new(
                    ::axum_scopes::__private::Scope::new(#scope),
                    &[#(::axum_scopes::__private::Scope::new(#implies)),*],
                )
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
            )
            .with_implications(&[#(#implied),*]);
        }

        #error
    }
}
