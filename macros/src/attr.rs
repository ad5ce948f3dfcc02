//! Attribute grammar: `#[requires_scopes(..)]`, `#[dependency(..)]`, `#[security(..)]`.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, LitBool, LitStr, Meta, Token, Type};

/// Which macro the compiler called.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invocation {
    RequiresScopes,
    Dependency,
}

/// `#[requires_scopes("a", "b")]`: the scope literals, in order.
pub(crate) struct RequiresScopes {
    pub(crate) span: Span,
    pub(crate) scopes: Vec<LitStr>,
}

impl RequiresScopes {
    pub(crate) fn parse_args(span: Span, args: TokenStream) -> syn::Result<Self> {
        let parser = |input: ParseStream| {
            Punctuated::<ScopeLit, Token![,]>::parse_terminated(input)
                .map(|list| list.into_iter().map(|lit| lit.0).collect::<Vec<_>>())
        };
        let scopes = parser.parse2(args)?;
        Ok(Self { span, scopes })
    }

    pub(crate) fn from_attr(attr: &Attribute) -> syn::Result<Self> {
        match &attr.meta {
            Meta::Path(path) => Ok(Self {
                span: path.span(),
                scopes: Vec::new(),
            }),
            Meta::List(list) => Self::parse_args(attr.path().span(), list.tokens.clone()),
            Meta::NameValue(nv) => Err(syn::Error::new_spanned(
                &nv.value,
                "`#[requires_scopes]` takes a list of scopes; write `#[requires_scopes(\"me\")]`",
            )),
        }
    }
}

/// One scope literal, with a message that says what is expected otherwise.
struct ScopeLit(LitStr);

impl Parse for ScopeLit {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return input.parse().map(Self);
        }
        let unexpected: proc_macro2::TokenTree = input.parse()?;
        Err(syn::Error::new_spanned(
            unexpected,
            "expected a scope as a string literal, such as `\"items\"`",
        ))
    }
}

/// `#[dependency]` or `#[dependency(state = App)]`.
#[derive(Default)]
pub(crate) struct DependencyArgs {
    pub(crate) state: Option<Type>,
}

impl DependencyArgs {
    pub(crate) fn parse_args(args: TokenStream) -> syn::Result<Self> {
        let mut parsed = Self::default();
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("state") {
                if parsed.state.is_some() {
                    return Err(meta.error("`state` is given twice; keep one"));
                }
                parsed.state = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument of `#[dependency]`; the only argument is `state = YourState`",
                ))
            }
        });
        parser.parse2(args)?;
        Ok(parsed)
    }

    pub(crate) fn from_attr(attr: &Attribute) -> syn::Result<Self> {
        match &attr.meta {
            Meta::Path(_) => Ok(Self::default()),
            Meta::List(list) => Self::parse_args(list.tokens.clone()),
            Meta::NameValue(nv) => Err(syn::Error::new_spanned(
                &nv.value,
                "`#[dependency]` takes `(state = YourState)` or nothing",
            )),
        }
    }
}

/// `#[security(scopes = ["a"], use_cache = false)]` on one `Security<D>` parameter.
pub(crate) struct SecurityArgs {
    pub(crate) span: Span,
    pub(crate) scopes: Vec<LitStr>,
    pub(crate) use_cache: bool,
}

impl SecurityArgs {
    pub(crate) fn from_attr(attr: &Attribute) -> syn::Result<Self> {
        let mut args = Self {
            span: attr.path().span(),
            scopes: Vec::new(),
            use_cache: true,
        };
        let (mut seen_scopes, mut seen_cache) = (false, false);
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("scopes") {
                if std::mem::replace(&mut seen_scopes, true) {
                    return Err(meta.error("`scopes` is given twice; merge the lists"));
                }
                let content;
                let value = meta.value()?;
                syn::bracketed!(content in value);
                args.scopes = Punctuated::<ScopeLit, Token![,]>::parse_terminated(&content)?
                    .into_iter()
                    .map(|lit| lit.0)
                    .collect();
                Ok(())
            } else if meta.path.is_ident("use_cache") {
                if std::mem::replace(&mut seen_cache, true) {
                    return Err(meta.error("`use_cache` is given twice; keep one"));
                }
                args.use_cache = meta.value()?.parse::<LitBool>()?.value;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument of `#[security]`; expected `scopes = [\"..\"]` or `use_cache = false`",
                ))
            }
        })?;
        Ok(args)
    }
}

/// Whether `attr` is `#[name]` or `#[name(..)]`, by its last path segment.
pub(crate) fn is(attr: &Attribute, name: &str) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == name)
}
