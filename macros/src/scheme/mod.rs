//! `oauth2_password_bearer! { .. }` and `security_scheme! { .. }`: the scheme declaration,
//! parsed, checked and expanded.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Token, Visibility, braced};

use crate::ast::Errors;
use crate::valid;

mod implication;
mod kind;

use self::implication::implications;
use self::kind::{Resolved, check_url, resolve_kind, source_impls};

/// Which macro is reading the declaration.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `oauth2_password_bearer!`: `token_url` and `scopes`, the tutorial's form.
    PasswordBearer,
    /// `security_scheme!`: one kind (`oauth2`, `openid_connect`, `http_bearer`, `api_key`,
    /// `token_cookie`) and optional `scopes`.
    Any,
}

/// `key: "value"` pairs in braces, as read (checked per kind later).
type Fields = Vec<(Ident, LitStr)>;

/// The kind of a `security_scheme!`, as written.
struct KindDecl {
    key: Ident,
    /// `oauth2`'s flows (`password: { .. }`, ..); empty for the other kinds.
    flows: Vec<(Ident, Fields)>,
    /// The other kinds' fields.
    fields: Fields,
}

/// The kinds `security_scheme!` knows.
const KINDS: &[&str] = &[
    "oauth2",
    "openid_connect",
    "http_bearer",
    "api_key",
    "token_cookie",
];

/// `#[attrs] vis Name { name: "..", token_url: "..", scopes: { "scope" => "description", .. } }`,
/// or with a kind instead of `token_url` (`security_scheme!`).
pub(crate) struct SchemeDecl {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    form: Form,
    name: Option<LitStr>,
    description: Option<LitStr>,
    token_url: Option<LitStr>,
    kind: Option<KindDecl>,
    scopes: Vec<ScopeEntry>,
    /// A field read as a misspelt kind, already reported with a suggestion.
    misspelt_kind: bool,
    /// Every error met while reading, reported together.
    errors: Errors,
}

impl SchemeDecl {
    /// Reads what it can: after the name, every error is collected in `errors` and parsing goes
    /// on with the next field, so the declared type always exists.
    fn parse(input: ParseStream, form: Form) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let ident: Ident = input.parse()?;
        let mut decl = Self {
            attrs,
            vis,
            ident,
            form,
            name: None,
            description: None,
            token_url: None,
            kind: None,
            scopes: Vec::new(),
            misspelt_kind: false,
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
        match form {
            Form::PasswordBearer => {
                if decl.token_url.is_none() {
                    decl.errors.push(missing(&decl.ident, "token_url"));
                }
                if !seen_scopes {
                    decl.errors.push(missing(&decl.ident, "scopes"));
                }
            }
            Form::Any => {
                if decl.kind.is_none() && !decl.misspelt_kind {
                    decl.errors.push(syn::Error::new(
                        decl.ident.span(),
                        "the scheme needs a kind: `oauth2: { authorization_code: { .. } }`, \
                         `openid_connect: { url: \"..\" }`, `http_bearer: {}`, \
                         `api_key: { header: \"X-API-Key\" }` or `token_cookie: { name: \"..\" }`",
                    ));
                }
            }
        }
        Ok(decl)
    }
}

/// `{ key: "value", .. }`.
fn fields(input: ParseStream) -> syn::Result<Fields> {
    let content;
    braced!(content in input);
    let mut fields = Vec::new();
    while !content.is_empty() {
        let key: Ident = content.parse()?;
        content.parse::<Token![:]>()?;
        fields.push((key, content.parse::<LitStr>()?));
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(fields)
}

/// `{ flow: { key: "value", .. }, .. }`.
fn flows(input: ParseStream) -> syn::Result<Vec<(Ident, Fields)>> {
    let content;
    braced!(content in input);
    let mut flows = Vec::new();
    while !content.is_empty() {
        let flow: Ident = content.parse()?;
        content.parse::<Token![:]>()?;
        flows.push((flow, fields(&content)?));
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(flows)
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
        let any = self.form == Form::Any;
        if key == "name" {
            let value = body.parse::<LitStr>()?;
            if self.name.replace(value).is_some() {
                return Err(duplicate());
            }
        } else if key == "description" && any {
            let value = body.parse::<LitStr>()?;
            if self.description.replace(value).is_some() {
                return Err(duplicate());
            }
        } else if key == "token_url" && !any {
            let value = body.parse::<LitStr>()?;
            if self.token_url.replace(value).is_some() {
                return Err(duplicate());
            }
        } else if any && KINDS.iter().any(|kind| key == kind) {
            let kind = if key == "oauth2" {
                KindDecl {
                    key: key.clone(),
                    flows: flows(body)?,
                    fields: Vec::new(),
                }
            } else {
                KindDecl {
                    key: key.clone(),
                    flows: Vec::new(),
                    fields: fields(body)?,
                }
            };
            if let Some(first) = &self.kind {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "a scheme has one kind, and `{}` is given already; declare a second scheme for `{key}`",
                        first.key
                    ),
                ));
            }
            self.kind = Some(kind);
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
        } else if any {
            let kinds = [
                "oauth2",
                "openid_connect",
                "http_bearer",
                "api_key",
                "token_cookie",
            ];
            let text = key.to_string();
            if let Some(kind) = crate::suggest::nearest(&text, kinds) {
                // Taken as the kind, so that no second error says the kind is missing.
                self.misspelt_kind = true;
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown scheme kind `{key}`; did you mean `{kind}`?"),
                ));
            }
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "unknown field `{key}`; expected `name`, `description`, `scopes` or a kind: `oauth2`, `openid_connect`, `http_bearer`, `api_key`, `token_cookie`"
                ),
            ));
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

pub(crate) fn expand(input: TokenStream, form: Form) -> TokenStream {
    let decl = match syn::parse::Parser::parse2(
        |input: ParseStream| SchemeDecl::parse(input, form),
        input,
    ) {
        Ok(decl) => decl,
        // Not even a name to declare.
        Err(error) => return error.to_compile_error(),
    };
    let SchemeDecl {
        attrs,
        vis,
        ident,
        form: _,
        name,
        description,
        token_url,
        kind,
        scopes,
        misspelt_kind: _,
        mut errors,
    } = decl;
    let p = quote!(::axum_scopes::__private);
    // The password form is an `oauth2` kind with one flow.
    let resolved = match kind {
        Some(kind) => resolve_kind(&kind, &mut errors),
        None => token_url.map(|token_url| {
            check_url(&token_url, &mut errors);
            Resolved {
                kind: quote!(#p::SchemeKind::OAuth2(&[#p::Flow::Password { token_url: #token_url, refresh_url: ::core::option::Option::None }])),
                default_name: "OAuth2PasswordBearer",
                own_source: None,
            }
        }),
    };
    // After an error in the kind, a neutral kind keeps the item usable.
    let Resolved {
        kind,
        default_name,
        own_source,
    } = resolved.unwrap_or_else(|| Resolved {
        kind: quote!(#p::SchemeKind::HttpBearer { bearer_format: ::core::option::Option::None }),
        default_name: match form {
            Form::PasswordBearer => "OAuth2PasswordBearer",
            Form::Any => "HTTPBearer",
        },
        own_source: None,
    });
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
    let name = name.unwrap_or_else(|| LitStr::new(default_name, ident.span()));
    let description = description.map(|text| quote!(.with_description(#text)));
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
    let source = source_impls(&ident, own_source.as_ref());
    quote! {
        #(#attrs)*
        #[derive(Debug, Clone, Copy, Default)]
        #vis struct #ident;

        #[automatically_derived]
        impl #p::Scheme for #ident {
            const INFO: #p::SchemeInfo = #p::SchemeInfo::new(
                #name,
                #kind,
                &[#(#entries),*],
            )
            .with_implications(&[#(#implied),*])
            #description;
        }

        #source

        #error
    }
}
