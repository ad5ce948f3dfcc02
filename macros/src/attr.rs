//! Attribute grammar: `#[requires_scopes(..)]`, `#[dependency(..)]`, `#[security(..)]`, and the
//! part of `#[utoipa::path(..)]` the macros read.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitBool, LitStr, Meta, Token, Type};

/// Which macro the compiler called.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invocation {
    RequiresScopes,
    Dependency,
}

impl Invocation {
    /// The attribute's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::RequiresScopes => "requires_scopes",
            Self::Dependency => "dependency",
        }
    }
}

/// `#[requires_scopes("a", "b", any("c", "d"))]`: the plain scopes and the `any(..)`/`all(..)`
/// requirements, in order.
pub(crate) struct RequiresScopes {
    pub(crate) span: Span,
    pub(crate) scopes: Vec<LitStr>,
    pub(crate) requirements: Vec<ScopeExpr>,
}

impl RequiresScopes {
    pub(crate) fn parse_args(span: Span, args: TokenStream) -> syn::Result<Self> {
        let (scopes, requirements) =
            split(Punctuated::<ScopeExpr, Token![,]>::parse_terminated.parse2(args)?);
        Ok(Self {
            span,
            scopes,
            requirements,
        })
    }

    pub(crate) fn from_attr(attr: &Attribute) -> syn::Result<Self> {
        match &attr.meta {
            Meta::Path(path) => Ok(Self {
                span: path.span(),
                scopes: Vec::new(),
                requirements: Vec::new(),
            }),
            Meta::List(list) => Self::parse_args(attr.path().span(), list.tokens.clone()),
            Meta::NameValue(nv) => Err(syn::Error::new_spanned(
                &nv.value,
                "`#[requires_scopes]` takes a list of scopes; write `#[requires_scopes(\"me\")]`",
            )),
        }
    }
}

/// A scope literal, or `any(..)`/`all(..)` of such expressions.
pub(crate) enum ScopeExpr {
    Scope(LitStr),
    Any(Ident, Vec<ScopeExpr>),
    All(Ident, Vec<ScopeExpr>),
}

impl ScopeExpr {
    /// Every literal in the expression, in order.
    pub(crate) fn literals<'a>(&'a self, out: &mut Vec<&'a LitStr>) {
        match self {
            Self::Scope(lit) => out.push(lit),
            Self::Any(_, exprs) | Self::All(_, exprs) => {
                for expr in exprs {
                    expr.literals(out);
                }
            }
        }
    }
}

impl Parse for ScopeExpr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return input.parse().map(Self::Scope);
        }
        if input.peek(Ident) && input.peek2(syn::token::Paren) {
            let ident: Ident = input.parse()?;
            if ident == "any" || ident == "all" {
                let content;
                syn::parenthesized!(content in input);
                let list = Punctuated::<Self, Token![,]>::parse_terminated(&content)?
                    .into_iter()
                    .collect();
                return Ok(if ident == "any" {
                    Self::Any(ident, list)
                } else {
                    Self::All(ident, list)
                });
            }
            return Err(syn::Error::new(
                ident.span(),
                format!("unknown requirement `{ident}`; expected `any(..)` or `all(..)`"),
            ));
        }
        let unexpected: proc_macro2::TokenTree = input.parse()?;
        Err(syn::Error::new_spanned(
            unexpected,
            "expected a scope as a string literal, such as `\"items\"`, or `any(..)` / `all(..)`",
        ))
    }
}

/// Plain scopes apart from `any(..)`/`all(..)` requirements.
fn split(exprs: Punctuated<ScopeExpr, Token![,]>) -> (Vec<LitStr>, Vec<ScopeExpr>) {
    let mut scopes = Vec::new();
    let mut requirements = Vec::new();
    for expr in exprs {
        match expr {
            ScopeExpr::Scope(lit) => scopes.push(lit),
            other => requirements.push(other),
        }
    }
    (scopes, requirements)
}

/// `#[dependency]` or `#[dependency(state = App)]`.
#[derive(Default)]
pub(crate) struct DependencyArgs {
    pub(crate) state: Option<Type>,
    /// How the failure answers are documented.
    pub(crate) responses: Option<Responses>,
}

/// `responses = T` (a type implementing `utoipa::IntoResponses`) or
/// `responses(401 = "..", 400 = "..")` (`HttpError` answers with these descriptions).
pub(crate) enum Responses {
    Type(Box<Type>),
    Answers(Vec<(syn::LitInt, LitStr)>),
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
            } else if meta.path.is_ident("responses") {
                if parsed.responses.is_some() {
                    return Err(meta.error("`responses` is given twice; keep one"));
                }
                if meta.input.peek(Token![=]) {
                    parsed.responses = Some(Responses::Type(Box::new(meta.value()?.parse()?)));
                    return Ok(());
                }
                let content;
                syn::parenthesized!(content in meta.input);
                let mut answers = Vec::new();
                for answer in Punctuated::<Answer, Token![,]>::parse_terminated(&content)? {
                    let status: u16 = answer.status.base10_parse()?;
                    if !(100..=599).contains(&status) {
                        return Err(syn::Error::new(
                            answer.status.span(),
                            "an HTTP status is between 100 and 599; write `401 = \"..\"`",
                        ));
                    }
                    answers.push((answer.status, answer.description));
                }
                parsed.responses = Some(Responses::Answers(answers));
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument of `#[dependency]`; expected `state = YourState`, `responses = YourErrors` or `responses(401 = \"..\")`",
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
                "`#[dependency]` takes `(state = YourState, responses = YourErrors)` or nothing",
            )),
        }
    }
}

/// `401 = "description"` in `responses(..)`.
struct Answer {
    status: syn::LitInt,
    description: LitStr,
}

impl Parse for Answer {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let status = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a status and its description, such as `401 = \"Not authenticated\"`",
            )
        })?;
        input.parse::<Token![=]>()?;
        Ok(Self {
            status,
            description: input.parse()?,
        })
    }
}

/// `#[security(scopes = ["a"], use_cache = false)]` on one `Security<D>` parameter.
pub(crate) struct SecurityArgs {
    pub(crate) span: Span,
    pub(crate) scopes: Vec<LitStr>,
    pub(crate) requirements: Vec<ScopeExpr>,
    pub(crate) use_cache: bool,
}

impl SecurityArgs {
    pub(crate) fn from_attr(attr: &Attribute) -> syn::Result<Self> {
        let mut args = Self {
            span: attr.path().span(),
            scopes: Vec::new(),
            requirements: Vec::new(),
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
                (args.scopes, args.requirements) =
                    split(Punctuated::<ScopeExpr, Token![,]>::parse_terminated(&content)?);
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

/// Whether `attr` is `#[utoipa::path(..)]`.
pub(crate) fn is_utoipa_path(attr: &Attribute) -> bool {
    let segments = &attr.path().segments;
    segments.len() == 2 && segments[0].ident == "utoipa" && segments[1].ident == "path"
}

/// What the macros read of a `#[utoipa::path(..)]` written below theirs: the arguments FastAPI's
/// default `operation_id` and `summary` depend on, to fill in those the user did not set.
pub(crate) struct UtoipaPath {
    /// The first HTTP method written bare (`get`, `post`, ..).
    pub(crate) method: Option<Ident>,
    /// `path = ".."`, when written as a string literal: a path held by a constant has no value
    /// here, and the `operation_id` is then left to utoipa.
    pub(crate) path: Option<LitStr>,
    /// Whether `operation_id = ..` is written.
    pub(crate) operation_id: bool,
    /// Whether `summary = ..` is written.
    pub(crate) summary: bool,
}

impl UtoipaPath {
    /// Reads the arguments of `attr`. `None` when it has no list or the list does not parse:
    /// utoipa reports that at its own tokens, and a default name added beside them would only
    /// add noise.
    pub(crate) fn from_attr(attr: &Attribute) -> Option<Self> {
        let list = attr.meta.require_list().ok()?;
        let args = Punctuated::<PathArg, Token![,]>::parse_terminated
            .parse2(list.tokens.clone())
            .ok()?;
        let mut read = Self {
            method: None,
            path: None,
            operation_id: false,
            summary: false,
        };
        for arg in args {
            match arg {
                PathArg::Flag(name) => {
                    if read.method.is_none() && is_http_method(&name) {
                        read.method = Some(name);
                    }
                }
                PathArg::Value(key, literal) => {
                    if key == "operation_id" {
                        read.operation_id = true;
                    } else if key == "summary" {
                        read.summary = true;
                    } else if key == "path" {
                        read.path = literal;
                    }
                }
                PathArg::List => {}
            }
        }
        Some(read)
    }
}

/// The HTTP methods utoipa takes as a bare argument; FastAPI's `operation_id` ends with one.
fn is_http_method(name: &Ident) -> bool {
    [
        "get", "post", "put", "delete", "patch", "head", "options", "trace",
    ]
    .iter()
    .any(|method| name == method)
}

/// One argument of `#[utoipa::path(..)]`, in utoipa's three shapes.
enum PathArg {
    /// A bare name: `get`.
    Flag(Ident),
    /// `key = value`, with the value when it is a string literal (`path = "/items"`).
    Value(Ident, Option<LitStr>),
    /// `key(..)`: `responses(..)`, `params(..)`, `security(..)`; the macros need nothing inside.
    List,
}

impl Parse for PathArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            // A type when one spans the whole value (`request_body = HashMap<K, V>`: its `<..>`
            // are no group and hold a comma); otherwise an expression (`"/items"`, `["a"]`).
            let ahead = input.fork();
            let is_type =
                ahead.parse::<Type>().is_ok() && (ahead.is_empty() || ahead.peek(Token![,]));
            let literal = if is_type {
                input.parse::<Type>()?;
                None
            } else {
                match input.parse()? {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(literal),
                        ..
                    }) => Some(literal),
                    _ => None,
                }
            };
            Ok(Self::Value(key, literal))
        } else if input.peek(syn::token::Paren) {
            // The list, one token tree, left to utoipa.
            input.parse::<proc_macro2::TokenTree>()?;
            Ok(Self::List)
        } else {
            Ok(Self::Flag(key))
        }
    }
}

/// The argument that makes `#[requires_scopes(..)]` and `#[dependency]` expand to their item
/// unchanged (see the crate root).
pub(crate) const INERT: &str = "__axum_scopes_inert";

/// `attribute` (a `#[requires_scopes(..)]` or `#[dependency(..)]` that `#[grpc]` or `#[scoped]`
/// has read) as the inert marker left in its place: written with the user's own path, so that
/// the import it came through resolves and counts as used.
pub(crate) fn inert(attribute: &syn::Attribute) -> syn::Attribute {
    let path = attribute.path();
    let inert = syn::Ident::new(INERT, proc_macro2::Span::call_site());
    syn::parse_quote!(#[#path(#inert)])
}

#[cfg(test)]
mod tests {
    use syn::parse::Parser as _;

    use super::UtoipaPath;

    /// What the macros read of `#[utoipa::path(<args>)]`: the method, the path, and whether
    /// `operation_id` and `summary` are set.
    fn read(args: &str) -> Option<(Option<String>, Option<String>, bool, bool)> {
        let attrs = syn::Attribute::parse_outer
            .parse_str(&format!("#[utoipa::path({args})]"))
            .unwrap();
        UtoipaPath::from_attr(&attrs[0]).map(|read| {
            (
                read.method.map(|method| method.to_string()),
                read.path.map(|path| path.value()),
                read.operation_id,
                read.summary,
            )
        })
    }

    #[test]
    fn reads_the_method_and_a_literal_path() {
        let args = r#"get, path = "/items/{id}", responses((status = 200, body = Vec<Item>))"#;
        assert_eq!(
            read(args),
            Some((Some("get".into()), Some("/items/{id}".into()), false, false))
        );
    }

    #[test]
    fn sees_the_names_the_user_set() {
        let args = r#"post, path = "/x", operation_id = concat!("a", "b"), summary = SUMMARY"#;
        assert_eq!(
            read(args),
            Some((Some("post".into()), Some("/x".into()), true, true))
        );
    }

    #[test]
    fn a_type_value_may_hold_a_comma() {
        let args = r#"request_body = HashMap<String, Item>, put, path = "/x", tags = ["a", "b"]"#;
        assert_eq!(
            read(args),
            Some((Some("put".into()), Some("/x".into()), false, false))
        );
    }

    #[test]
    fn a_path_in_a_constant_or_methods_in_a_list_give_no_value() {
        assert_eq!(
            read("get, path = ITEMS, post"),
            Some((Some("get".into()), None, false, false))
        );
        assert_eq!(
            read(r#"method(get, head), path = "/x""#),
            Some((None, Some("/x".into()), false, false))
        );
    }

    #[test]
    fn arguments_utoipa_refuses_are_not_read() {
        for args in [
            r#""/x", get"#,
            r#"get path = "/x""#,
            r#"get, path: "/x""#,
            "get,, post",
        ] {
            assert_eq!(read(args), None, "{args}");
        }
    }
}
