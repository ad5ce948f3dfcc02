//! A handler: each `Security` parameter gets a marker type carrying the scopes required on it,
//! and the compile-time checks of the scopes the handler and its parameters name.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, LitStr, PathArguments, Type};

use super::openapi::openapi_path;
use super::{
    bare_param, dependency_param, literals, param_kind, param_name, probed_param, requirement,
    scope, security_only_check, security_probe,
};
use crate::ast::{self, Function, ParamKind, Parameter};
use crate::attr::{self, RequiresScopes};
use crate::checks;
use crate::valid::NO_SECURITY;

/// A handler: its `Security<D>` parameters get a marker carrying the scopes required on them.
pub(super) fn handler(function: &Function) -> TokenStream {
    let mut item = function.item.clone();
    let mut markers = Vec::new();
    let typed = item.sig.inputs.iter_mut().filter_map(|input| match input {
        FnArg::Typed(typed) => Some(typed),
        FnArg::Receiver(_) => None,
    });
    let mut infos = Vec::new();
    let mut documented = Vec::new();
    let mut checks = Vec::new();
    // Checks on parameters whose type names the function's generics: only the function body
    // can hold them.
    let mut body_checks = Vec::new();
    // The edge written out in the type, for the one parameter that may have it.
    let shared_at = function
        .params
        .iter()
        .enumerate()
        .find_map(|(index, param)| shared_edge(function, param).map(|edge| (index, edge)));
    let documents = documents(function);
    for (index, (typed, param)) in typed.zip(&function.params).enumerate() {
        let probed = param.is_probed();
        if !probed && !matches!(param.kind, ParamKind::Security { .. }) {
            if matches!(param.kind, ParamKind::Extractor) {
                body_checks.push(disguised_security_check(&param.ty));
                // A credential taken by the handler itself (`ApiKey<Keys>`, `BearerToken<S>`)
                // documents its scheme, without scopes: nothing below it checks any.
                documented.extend(documents.then(|| param_kind(&param.ty)));
            }
            continue;
        }
        let shared = shared_at
            .as_ref()
            .filter(|(at, _)| *at == index)
            .map(|(_, edge)| edge.clone());
        let marker = shared
            .clone()
            .unwrap_or_else(|| edge_marker(function, index).into_token_stream());
        let info = if probed {
            quote!(#marker::__AXUM_SCOPES_BARE)
        } else {
            bare_param(&param.ty)
        };
        if let Some(args) = param.security_args() {
            let guard = if probed {
                checks.push(security_only_check(&param.ty, args.span));
                security_probe(&param.ty)
            } else {
                quote!(true)
            };
            checks.push(checks::scopes_if(
                &guard,
                "#[security]",
                &param_name(&typed.pat),
                args.span,
                &literals(&args.scopes, &args.requirements),
                &quote!(&[#info]),
            ));
        }
        infos.push(info);
        documented.extend(documents.then(|| documented_param(param, &marker)));
        if shared.is_none() {
            markers.push(edge_items(function, param, &marker));
        }
        if probed {
            let ty = &param.ty;
            let probe = security_probe(ty);
            *typed.ty = syn::parse_quote_spanned! {ty.span()=>
                <::axum_scopes::__private::Choose<#probe> as ::axum_scopes::__private::Pick<#ty, #marker>>::Output
            };
        } else {
            add_edge(&mut typed.ty, &marker);
        }
    }
    if function.has_scopes()
        && !function
            .params
            .iter()
            .any(|param| matches!(param.kind, ParamKind::Security { .. }))
    {
        // `valid` found a parameter that may be a `Security<..>` under another name: the type
        // checker tells.
        checks.push(probed_security_required(function));
    }
    if !body_checks.is_empty() {
        let statements = std::mem::take(&mut item.block.stmts);
        *item.block = syn::parse_quote!({
            #(#body_checks)*
            #(#statements)*
        });
    }
    let scopes_in_type = shared_at.is_some();
    if let Some(requires) = function.requires.first() {
        let shared = shared_at.map(|(_, edge)| edge);
        checks.push(requires_checks(function, requires, &infos, shared));
    }
    let openapi = openapi_path(&mut item, function, &documented);
    allow_generated(&mut item.attrs, scopes_in_type);
    quote! {
        #item
        #(#markers)*
        #(#checks)*
        #openapi
    }
}

/// The lints the generated signature would trip: axum requires an `async fn`, whether or not
/// it awaits; a parameter whose type carries its scopes is a complex type.
fn allow_generated(attrs: &mut Vec<syn::Attribute>, scopes_in_type: bool) {
    attrs.push(
        syn::parse_quote!(#[allow(clippy::unused_async, reason = "axum handlers are `async fn`s")]),
    );
    if scopes_in_type {
        attrs.push(syn::parse_quote!(
            #[allow(clippy::type_complexity, reason = "the scopes are written out in the parameter's type")]
        ));
    }
}

/// The `Param` documenting the `Security` parameter `param` whose edge is `marker`.
fn documented_param(param: &Parameter, marker: &TokenStream) -> TokenStream {
    if param.is_probed() {
        return quote!(#marker::__AXUM_SCOPES_PARAM);
    }
    let edge_scopes = quote!(<#marker as ::axum_scopes::__private::SecurityEdge>::SCOPES);
    let edge_requirements =
        quote!(<#marker as ::axum_scopes::__private::SecurityEdge>::REQUIREMENTS);
    let use_cache = param.security_args().is_none_or(|args| args.use_cache);
    dependency_param(&param.ty, &edge_scopes, &edge_requirements, use_cache)
}

/// Whether `openapi_path` documents the handler: not when no `#[utoipa::path]` can be on or
/// above it, so the documented parameters need not be built.
fn documents(function: &Function) -> bool {
    function.item.attrs.iter().any(attr::is_utoipa_path)
        || (function.self_ty.is_none() && function.utoipa_above_possible)
}

/// The checks of the handler's `#[requires_scopes]`, over its parameters `infos` (`shared`: the
/// edge type of its one `Security` parameter, when written out).
fn requires_checks(
    function: &Function,
    requires: &RequiresScopes,
    infos: &[TokenStream],
    shared: Option<TokenStream>,
) -> TokenStream {
    let owner = function.item.sig.ident.to_string();
    let literals = literals(&requires.scopes, &requires.requirements);
    match (only_security(function), shared) {
        (Some(ty), Some(edge)) => checks::scopes_of_edge(
            "#[requires_scopes]",
            &owner,
            requires.span,
            &literals,
            ty,
            &edge,
        ),
        (Some(ty), None) => {
            checks::scopes_of_one("#[requires_scopes]", &owner, requires.span, &literals, ty)
        }
        (None, _) => checks::scopes(
            "#[requires_scopes]",
            &owner,
            requires.span,
            &literals,
            &quote!(&[#(#infos),*]),
        ),
    }
}

/// Every `Security` parameter of the handler (named or probed), unscoped: the tree that
/// `SecurityEdge::REPEATS` walks.
fn handler_tree(function: &Function) -> TokenStream {
    if let Some(ty) = only_security(function) {
        return quote!(<#ty as ::axum_scopes::__private::SecurityParam>::REPEATS);
    }
    let all = function
        .params
        .iter()
        .enumerate()
        .filter_map(|(index, param)| match param.kind {
            ParamKind::Security { .. } => Some(bare_param(&param.ty)),
            _ if param.is_probed() => {
                let marker = edge_marker(function, index);
                Some(quote!(#marker::__AXUM_SCOPES_BARE))
            }
            _ => None,
        });
    quote!(::axum_scopes::__private::has_repeats(&[#(#all),*]))
}

/// The type of the handler's one `Security<..>` parameter, when it has exactly one and no
/// parameter the type checker has yet to confirm as one: its checks are then the dependency's
/// constants.
fn only_security(function: &Function) -> Option<&Type> {
    let mut securities = function
        .params
        .iter()
        .filter(|param| matches!(param.kind, ParamKind::Security { .. }) || param.is_probed());
    let first = securities.next()?;
    let single = securities.next().is_none()
        && matches!(first.kind, ParamKind::Security { .. })
        && !first.is_probed();
    single.then_some(&first.ty)
}

/// The marker type of a handler's `Security` parameter: a `SecurityEdge` carrying the scopes the
/// handler and the parameter's `#[security]` require, and, for a probed parameter, its `Param`.
fn edge_items(function: &Function, param: &Parameter, marker: &TokenStream) -> TokenStream {
    // The whole tree of the handler's `Security` parameters, for `SecurityEdge::REPEATS`.
    let tree = handler_tree(function);
    let vis = &function.item.vis;
    let use_cache = param.security_args().is_none_or(|args| args.use_cache);
    let scope_values: Vec<_> = edge_scopes_of(function.scopes(), param)
        .into_iter()
        .map(scope)
        .collect();
    let requirements: Vec<TokenStream> = function
        .requires
        .first()
        .map_or(&[][..], |requires| &requires.requirements[..])
        .iter()
        .chain(
            param
                .security_args()
                .map_or(&[][..], |args| &args.requirements[..]),
        )
        .map(requirement)
        .collect();
    let params = param.is_probed().then(|| {
        let edge_scopes = quote!(<#marker as ::axum_scopes::__private::SecurityEdge>::SCOPES);
        let edge_requirements =
            quote!(<#marker as ::axum_scopes::__private::SecurityEdge>::REQUIREMENTS);
        let unscoped = probed_param(&param.ty, &quote!(&[]), &quote!(&[]), true);
        let documented = probed_param(&param.ty, &edge_scopes, &edge_requirements, use_cache);
        quote! {
            #[automatically_derived]
            impl #marker {
                /// The parameter, as documented.
                #vis const __AXUM_SCOPES_PARAM: ::axum_scopes::__private::Param = #documented;
                /// The parameter without the scopes above it, for the checks.
                #vis const __AXUM_SCOPES_BARE: ::axum_scopes::__private::Param = #unscoped;
            }
        }
    });
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #marker {}

        #[automatically_derived]
        impl ::axum_scopes::__private::SecurityEdge for #marker {
            const SCOPES: &'static [::axum_scopes::__private::Scope] = &[#(#scope_values),*];
            const REQUIREMENTS: &'static [::axum_scopes::__private::Requirement] =
                &[#(#requirements),*];
            const USE_CACHE: bool = #use_cache;
            const REPEATS: bool = #tree;
        }

        #params
    }
}

/// The most scopes, and the longest scope in bytes, an edge carried in the type holds.
const SHARED_EDGE_SCOPES: usize = 8;
const SHARED_EDGE_SCOPE_LEN: usize = 63;

/// The edge of `param` written out in the type, `Edge<(Str<..>, ..)>`, when it is the
/// handler's one `Security` parameter and requires nothing but a few scopes: handlers requiring
/// the same scopes then share one type, and the compiler checks its extractor once (a marker
/// type per handler costs each handler that check).
fn shared_edge(function: &Function, param: &Parameter) -> Option<TokenStream> {
    // With one `Security` parameter in the handler, the one of that kind is it.
    let the_one = only_security(function).is_some()
        && matches!(param.kind, ParamKind::Security { .. })
        && !param.is_probed();
    let no_requirements = function
        .requires
        .first()
        .is_none_or(|requires| requires.requirements.is_empty());
    if !the_one || param.security_args().is_some() || !no_requirements {
        return None;
    }
    let scopes = edge_scopes_of(function.scopes(), param);
    if scopes.len() > SHARED_EDGE_SCOPES {
        return None;
    }
    let scopes = scopes
        .iter()
        .map(|scope| {
            let value = scope.value();
            let valid = !value.is_empty()
                && value.len() <= SHARED_EDGE_SCOPE_LEN
                && value
                    .bytes()
                    .all(|byte| matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
            valid.then(|| {
                let mut bytes = [0_u8; 64];
                bytes[0] = u8::try_from(value.len()).unwrap_or_default();
                bytes[1..=value.len()].copy_from_slice(value.as_bytes());
                let parts = bytes.chunks_exact(16).map(|chunk| {
                    let mut part = [0_u8; 16];
                    part.copy_from_slice(chunk);
                    proc_macro2::Literal::u128_suffixed(u128::from_le_bytes(part))
                });
                quote!(::axum_scopes::__private::Str<#(#parts),*>)
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(quote!(::axum_scopes::__private::Edge<(#(#scopes,)*)>))
}

/// The marker type of the handler parameter at `index`: a `SecurityEdge` with the scopes
/// required on it.
fn edge_marker(function: &Function, index: usize) -> Ident {
    let fn_name = &function.item.sig.ident;
    match function.self_ty.as_ref().and_then(ast::last_segment) {
        // Associated functions of several types may share a name.
        Some(owner) => format_ident!("__axum_scopes_{}_{}_{}", owner.ident, fn_name, index),
        None => format_ident!("__axum_scopes_{}_{}", fn_name, index),
    }
}

/// `#[requires_scopes]` on a handler whose only candidates for a `Security<..>` are parameters
/// the macros did not recognise by name: a compile error unless one of them is one.
fn probed_security_required(function: &Function) -> TokenStream {
    let probes = function
        .params
        .iter()
        .filter(|param| param.is_probed())
        .map(|param| security_probe(&param.ty));
    let span = function
        .requires
        .first()
        .map_or_else(|| function.item.sig.ident.span(), |requires| requires.span);
    quote_spanned! {span=>
        const _: () = {
            if !(false #(|| #probes)*) {
                ::core::panic!("{}", #NO_SECURITY);
            }
        };
    }
}

/// A parameter whose type names the function's generics or `Self`: if it is a `Security<..>`
/// under another name, it would be resolved without the scopes above it, so a check in the
/// function body (evaluated for each instance) turns that into a compile error.
fn disguised_security_check(ty: &Type) -> TokenStream {
    let message = format!(
        "`{}` is a `Security<..>` under another name in a type that names the function's generic parameters, which the macros cannot attach scopes to; write it as `Security<..>`, `Authenticated<..>`, `AuthenticatedBy<..>` or `MaybeAuthenticated<..>`",
        ty.to_token_stream().to_string().replace(' ', "")
    );
    quote_spanned! {ty.span()=>
        const {
            #[allow(unused_imports)]
            use ::axum_scopes::__private::NotSecurity as _;
            if ::axum_scopes::__private::SecurityProbe::<#ty>::IS_SECURITY {
                ::core::panic!(#message);
            }
        };
    }
}

/// The handler's scopes, then the parameter's, each once.
fn edge_scopes_of<'a>(function: &'a [LitStr], param: &'a Parameter) -> Vec<&'a LitStr> {
    let own = param
        .security_args()
        .map_or(&[][..], |args| &args.scopes[..]);
    let mut scopes: Vec<&LitStr> = Vec::new();
    for lit in function.iter().chain(own) {
        if !scopes.iter().any(|seen| seen.value() == lit.value()) {
            scopes.push(lit);
        }
    }
    scopes
}

/// `Security<D>` becomes `Security<D, marker>`: an extractor learns nothing but its type, so the
/// scopes required on this parameter travel in it, as the marker's `SecurityEdge` constants.
fn add_edge(ty: &mut Type, marker: &TokenStream) {
    let segment = ast::last_segment_mut(ty).expect("`valid` accepted a `Security<D>` path");
    if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
        args.args
            .push(GenericArgument::Type(syn::parse_quote!(#marker)));
    }
}
