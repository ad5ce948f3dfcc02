//! Code generation only: it runs on a function that `ast` read and `valid` accepted, so it
//! reports no error of its own. What only the type checker can tell (is this parameter a
//! `Security<..>` under another name, does a scheme declare this scope) is emitted as `const`
//! assertions on the user's types, whose panics are compile errors at the user's tokens.
//!
//! A file per item kind: [`handler`] (the edge markers on a handler's `Security` parameters and
//! its checks), [`dependency`] (the `Dependency` and `Resolve` impls) and [`openapi`] (a
//! handler's `utoipa::Path`, a dependency's failure answers). This file holds what both kinds of
//! function emit: the `Param` of each parameter, the probes that ask the type checker, scopes
//! and requirements as values.

mod dependency;
mod handler;
mod openapi;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{LitStr, Type};

use crate::ast::Function;
use crate::attr::ScopeExpr;

/// The code of a function every earlier stage accepted: a dependency's type and impls, or a
/// handler's edge markers and checks, with its OpenAPI operation.
pub(crate) fn function(function: &Function) -> TokenStream {
    if function.dependency.is_some() {
        dependency::dependency(function)
    } else {
        handler::handler(function)
    }
}

/// Uses of the attributes this expansion consumed, so that their imports count as used; emitted
/// beside the fallback too.
pub(crate) fn consumed_attributes(function: &Function) -> TokenStream {
    let paths = &function.consumed;
    if paths.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const _: () = {
            #(
                #[allow(unused_imports)]
                use #paths as _;
            )*
        };
    }
}

/// The `Param` of an extractor of type `ty`: a credential's (its scheme), or a plain extractor.
fn param_kind(ty: &Type) -> TokenStream {
    quote_spanned! {ty.span()=> {
        #[allow(unused_imports)]
        use ::axum_scopes::__private::OtherParam as _;
        ::axum_scopes::__private::ParamKind::<#ty>::PARAM
    }}
}

/// The `Param` describing a `Security<D>` parameter of type `ty`.
fn dependency_param(
    ty: &Type,
    scopes: &TokenStream,
    requirements: &TokenStream,
    use_cache: bool,
) -> TokenStream {
    quote_spanned! {ty.span()=>
        ::axum_scopes::__private::Param::Dependency {
            info: &<<#ty as ::axum_scopes::__private::SecurityParam>::Dependency
                as ::axum_scopes::__private::Dependency>::INFO,
            scopes: #scopes,
            requirements: #requirements,
            use_cache: #use_cache,
        }
    }
}

/// The `{ .. }` const argument that asks the type checker whether `ty` is a `Security<D, E>`.
fn security_probe(ty: &Type) -> TokenStream {
    quote_spanned! {ty.span()=> {
        #[allow(unused_imports)]
        use ::axum_scopes::__private::NotSecurity as _;
        ::axum_scopes::__private::SecurityProbe::<#ty>::IS_SECURITY
    }}
}

/// The `Param` of a parameter the macros did not recognise by name: a dependency's when its type
/// is a `Security<D, E>` under another name (an alias, a renamed import), otherwise an
/// extractor's or a credential's.
fn probed_param(
    ty: &Type,
    scopes: &TokenStream,
    requirements: &TokenStream,
    use_cache: bool,
) -> TokenStream {
    quote_spanned! {ty.span()=> {
        #[allow(unused_imports)]
        use ::axum_scopes::__private::{NotSecurity as _, OtherParam as _};
        match ::axum_scopes::__private::SecurityProbe::<#ty>::INFO {
            ::core::option::Option::Some(info) => ::axum_scopes::__private::Param::Dependency {
                info,
                scopes: #scopes,
                requirements: #requirements,
                use_cache: #use_cache,
            },
            ::core::option::Option::None => ::axum_scopes::__private::ParamKind::<#ty>::PARAM,
        }
    }}
}

/// `#[security]` on a parameter the macros did not recognise by name: a compile error unless
/// its type is a `Security<..>` under another name.
fn security_only_check(ty: &Type, span: Span) -> TokenStream {
    let probe = security_probe(ty);
    quote_spanned! {span=>
        const _: () = {
            if !#probe {
                ::core::panic!("`#[security]` applies only to a `Security<..>` parameter");
            }
        };
    }
}

/// Every scope literal of an attribute: its plain scopes and those inside `any(..)`/`all(..)`.
pub(crate) fn literals<'a>(scopes: &'a [LitStr], requirements: &'a [ScopeExpr]) -> Vec<&'a LitStr> {
    let mut literals: Vec<&LitStr> = scopes.iter().collect();
    for requirement in requirements {
        requirement.literals(&mut literals);
    }
    literals
}

/// A scope expression as the runtime's `Requirement` value, `any(..)`/`all(..)` nested as
/// written, so that the runtime checks the same tree the user wrote.
pub(crate) fn requirement(expr: &ScopeExpr) -> TokenStream {
    match expr {
        ScopeExpr::Scope(lit) => {
            let scope = scope(lit);
            quote!(::axum_scopes::__private::Requirement::Scope(#scope))
        }
        ScopeExpr::Any(_, list) => {
            let list = list.iter().map(requirement);
            quote!(::axum_scopes::__private::Requirement::Any(&[#(#list),*]))
        }
        ScopeExpr::All(_, list) => {
            let list = list.iter().map(requirement);
            quote!(::axum_scopes::__private::Requirement::All(&[#(#list),*]))
        }
    }
}

/// The parameter's name for messages: its identifier, or its pattern as written.
fn param_name(pat: &syn::Pat) -> String {
    match pat {
        syn::Pat::Ident(ident) => ident.ident.to_string(),
        other => other.to_token_stream().to_string(),
    }
}

/// A scope literal as a `Scope` value, spanned at the literal so that an error about it lands
/// under the user's string.
pub(crate) fn scope(lit: &LitStr) -> TokenStream {
    quote_spanned!(lit.span()=> ::axum_scopes::__private::Scope::new(#lit))
}

/// The `Param` of a `Security<..>` parameter without scopes of its own, using the cache: the
/// dependency's constant, named in a few tokens.
fn bare_param(ty: &Type) -> TokenStream {
    quote_spanned! {ty.span()=>
        <#ty as ::axum_scopes::__private::SecurityParam>::BARE
    }
}
