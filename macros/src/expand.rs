//! Code generation. Every user error was reported by `valid` before this runs.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, Ident, ItemFn, LitStr, PathArguments, ReturnType, Type};

use crate::ast::{self, Errors, Function, ParamKind, Parameter};
use crate::attr::{self, Invocation, Responses, ScopeExpr};
use crate::checks;
use crate::fallback;

/// Expands the attribute on a free function; `within` is the header of the `impl` block the
/// function is written in, when it is an associated function of a block without `#[scoped]`.
pub(crate) fn entry(
    invocation: Invocation,
    args: TokenStream,
    item: &TokenStream,
    within: Option<String>,
) -> TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => return fallback::not_a_fn(invocation, item),
    };
    let has_receiver = matches!(item_fn.sig.inputs.first(), Some(FnArg::Receiver(_)));
    // With `self`, the error on `self` says what to do; `#[scoped]` would not take it either.
    if let Some(header) = within.filter(|_| !has_receiver) {
        // Only the function itself can stay in the block: emit it without this crate's
        // attributes, and the fix.
        let (function, _) = Function::from_syn(invocation, args, Span::call_site(), item_fn);
        let item = &function.item;
        let message = format!(
            "`#[{}]` on an associated function needs `#[scoped]` on its `impl` block: write `#[scoped]` above `{header} {{`",
            invocation.name()
        );
        return quote!(#item ::core::compile_error!(#message););
    }
    function(invocation, args, item_fn, None)
}

/// Expands one annotated function; `self_ty` is the type of the `impl` block it belongs to.
pub(crate) fn function(
    invocation: Invocation,
    args: TokenStream,
    item_fn: ItemFn,
    self_ty: Option<Type>,
) -> TokenStream {
    let (mut function, read_errors) =
        Function::from_syn(invocation, args, Span::call_site(), item_fn);
    function.self_ty = self_ty;
    let mut errors = Errors(read_errors);
    errors.ok(function.validate());
    let expanded = match errors.finish() {
        Ok(()) if function.dependency.is_some() => dependency(&function),
        Ok(()) => handler(&function),
        Err(error) => fallback::emit(&function, &error),
    };
    let consumed = consumed_attributes(&function);
    quote!(#expanded #consumed)
}

/// Uses of the attributes this expansion consumed, so that their imports count as used.
fn consumed_attributes(function: &Function) -> TokenStream {
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

/// What `#[requires_scopes]` says when nothing can enforce it.
pub(crate) const NO_SECURITY: &str = "`#[requires_scopes]` has no `Security<..>` parameter to enforce it; add one, such as `user: Security<get_current_user>`";

/// A handler: its `Security<D>` parameters get a marker carrying the scopes required on them.
fn handler(function: &Function) -> TokenStream {
    let mut item = function.item.clone();
    let fn_name = &item.sig.ident;
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
    // The whole tree of the handler's `Security` parameters, for `SecurityEdge::REPEATS`.
    let tree = handler_tree(function);
    for (index, (typed, param)) in typed.zip(&function.params).enumerate() {
        let probed = param.is_probed();
        if !probed && !matches!(param.kind, ParamKind::Security { .. }) {
            if matches!(param.kind, ParamKind::Extractor) {
                body_checks.push(disguised_security_check(&param.ty));
                // A credential taken by the handler itself (`ApiKey<Keys>`, `BearerToken<S>`)
                // documents its scheme, without scopes: nothing below it checks any.
                documented.push(param_kind(&param.ty));
            }
            continue;
        }
        let marker = edge_marker(function, index);
        let edge_scopes = quote!(<#marker as ::axum_scopes::__private::SecurityEdge>::SCOPES);
        let edge_requirements =
            quote!(<#marker as ::axum_scopes::__private::SecurityEdge>::REQUIREMENTS);
        let use_cache = param.security_args().is_none_or(|args| args.use_cache);
        let info = if probed {
            quote!(#marker::__AXUM_SCOPES_BARE)
        } else {
            dependency_param(&param.ty, &quote!(&[]), &quote!(&[]), true)
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
        documented.push(if probed {
            quote!(#marker::__AXUM_SCOPES_PARAM)
        } else {
            dependency_param(&param.ty, &edge_scopes, &edge_requirements, use_cache)
        });
        markers.push(edge_items(function, param, &marker, &tree));
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
    if let Some(requires) = function.requires.first() {
        checks.push(checks::scopes(
            "#[requires_scopes]",
            &fn_name.to_string(),
            requires.span,
            &literals(&requires.scopes, &requires.requirements),
            &quote!(&[#(#infos),*]),
        ));
    }
    let openapi = openapi_path(&mut item, function, &documented);
    // axum requires an `async fn`, whether or not it awaits.
    item.attrs.push(
        syn::parse_quote!(#[allow(clippy::unused_async, reason = "axum handlers are `async fn`s")]),
    );
    quote! {
        #item
        #(#markers)*
        #(#checks)*
        #openapi
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

/// With `#[utoipa::path(..)]` below: utoipa implements its traits on an inner type
/// (`impl_for`), and `__path_<fn>`, which utoipa's `paths(..)` and utoipa-axum's `routes!`
/// name, delegates to it and adds the security requirement and the dependencies' failure
/// answers. Without it: a stand-in `__path_<fn>` behind a glob import, which a `__path_<fn>` of
/// a `#[utoipa::path]` written above (and so already run) shadows; a probe then names the fix.
fn openapi_path(item: &mut ItemFn, function: &Function, documented: &[TokenStream]) -> TokenStream {
    let fn_name = item.sig.ident.clone();
    let path = format_ident!("__path_{}", fn_name);
    let span = function
        .requires
        .first()
        .map_or_else(Span::call_site, |requires| requires.span);
    let found = item
        .attrs
        .iter_mut()
        .find(|attr| attr::is_utoipa_path(attr));
    // `#[utoipa::path]` cannot document associated functions: no stand-in either.
    if found.is_none() && function.self_ty.is_some() {
        return TokenStream::new();
    }
    let Some(attr) = found else {
        // A stand-in `__path_<fn>` behind a glob import: a `__path_<fn>` that
        // `#[utoipa::path]` defined above (it has run already, so its operation lacks the
        // security) shadows it, and the probe turns that into an error naming the fix.
        let module = format_ident!("__axum_scopes_stand_in_{}", fn_name);
        let message = format!(
            "`#[utoipa::path]` is written above `#[requires_scopes]`, so it ran first and documents `{fn_name}` without its security requirement; write `#[requires_scopes(..)]` first and `#[utoipa::path(..)]` below it"
        );
        return quote_spanned! {span=>
            #[doc(hidden)]
            #[allow(non_snake_case)]
            mod #module {
                #[allow(non_camel_case_types, dead_code, unreachable_pub)]
                pub struct #path;
                #[automatically_derived]
                impl ::axum_scopes::__private::StandIn for #path {}
            }
            #[allow(unused_imports)]
            use #module::*;
            const _: () = {
                #[allow(unused_imports)]
                use ::axum_scopes::__private::NotStandIn as _;
                if !::axum_scopes::__private::StandInProbe::<#path>::IS_STAND_IN {
                    ::core::panic!(#message);
                }
            };
        };
    };
    let inner = format_ident!("__axum_scopes_path_{}", fn_name);
    if let syn::Meta::List(list) = &mut attr.meta {
        let tokens = &list.tokens;
        let names = fastapi_names(&fn_name, tokens);
        list.tokens = if tokens.is_empty() {
            quote!(impl_for = #inner)
        } else {
            quote!(#tokens, #names impl_for = #inner)
        };
    }
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(Clone)]
        pub struct #inner;

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #[derive(Clone)]
        pub struct #path;

        const _: () = {
            use ::axum_scopes::__private::utoipa;

            #[automatically_derived]
            impl utoipa::Path for #path {
                fn path() -> ::std::string::String {
                    <#inner as utoipa::Path>::path()
                }

                fn methods() -> ::std::vec::Vec<utoipa::openapi::path::HttpMethod> {
                    <#inner as utoipa::Path>::methods()
                }

                fn operation() -> utoipa::openapi::path::Operation {
                    const PARAMS: &[::axum_scopes::__private::Param] = &[#(#documented),*];
                    ::axum_scopes::__private::secure_operation(
                        <#inner as utoipa::Path>::operation(),
                        PARAMS,
                    )
                }
            }

            #[automatically_derived]
            impl<'t> utoipa::__dev::Tags<'t> for #path {
                fn tags() -> ::std::vec::Vec<&'t str> {
                    <#inner as utoipa::__dev::Tags<'t>>::tags()
                }
            }

            #[automatically_derived]
            impl utoipa::__dev::SchemaReferences for #path {
                fn schemas(
                    schemas: &mut ::std::vec::Vec<(
                        ::std::string::String,
                        utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
                    )>,
                ) {
                    <#inner as utoipa::__dev::SchemaReferences>::schemas(schemas);
                }
            }
        };
    }
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

/// Every `Security` parameter of the handler (named or probed), unscoped: the tree that
/// `SecurityEdge::REPEATS` walks.
fn handler_tree(function: &Function) -> TokenStream {
    let all = function
        .params
        .iter()
        .enumerate()
        .filter_map(|(index, param)| match param.kind {
            ParamKind::Security { .. } => Some(dependency_param(
                &param.ty,
                &quote!(&[]),
                &quote!(&[]),
                true,
            )),
            _ if param.is_probed() => {
                let marker = edge_marker(function, index);
                Some(quote!(#marker::__AXUM_SCOPES_BARE))
            }
            _ => None,
        });
    quote!(&[#(#all),*])
}

/// The marker type of a handler's `Security` parameter: a `SecurityEdge` carrying the scopes the
/// handler and the parameter's `#[security]` require, and, for a probed parameter, its `Param`.
fn edge_items(
    function: &Function,
    param: &Parameter,
    marker: &Ident,
    tree: &TokenStream,
) -> TokenStream {
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
            const REPEATS: bool = ::axum_scopes::__private::has_repeats(#tree);
        }

        #params
    }
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

/// FastAPI's default `operation_id` (`{name}{path}` with every non-word character replaced by
/// `_`, then `_{method}`) and `summary` (the name title-cased), for the keys the
/// `#[utoipa::path(..)]` arguments `tokens` do not set, each followed by a comma.
fn fastapi_names(fn_name: &Ident, tokens: &TokenStream) -> TokenStream {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let (mut method, mut path, mut has_id, mut has_summary) = (None, None, false, false);
    for (i, tree) in trees.iter().enumerate() {
        let TokenTree::Ident(ident) = tree else {
            continue;
        };
        let after_comma =
            i == 0 || matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == ',');
        if !after_comma {
            continue;
        }
        let key = ident.to_string();
        if matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=') {
            match key.as_str() {
                "operation_id" => has_id = true,
                "summary" => has_summary = true,
                "path" => {
                    if let Some(TokenTree::Literal(lit)) = trees.get(i + 2) {
                        path = syn::parse_str::<LitStr>(&lit.to_string())
                            .ok()
                            .map(|lit| lit.value());
                    }
                }
                _ => {}
            }
        } else if method.is_none()
            && matches!(
                key.as_str(),
                "get" | "post" | "put" | "delete" | "patch" | "head" | "options" | "trace"
            )
        {
            method = Some(key);
        }
    }
    let name = fn_name.to_string();
    let mut names = TokenStream::new();
    if let (false, Some(method), Some(path)) = (has_id, method, path) {
        let id: String = format!("{name}{path}")
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let id = format!("{id}_{method}");
        names.extend(quote!(operation_id = #id,));
    }
    if !has_summary {
        let summary = name
            .split('_')
            .filter(|word| !word.is_empty())
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first
                        .to_uppercase()
                        .chain(chars.flat_map(char::to_lowercase))
                        .collect()
                })
            })
            .collect::<Vec<_>>()
            .join(" ");
        names.extend(quote!(summary = #summary,));
    }
    names
}

/// Every scope literal of an attribute: its plain scopes and those inside `any(..)`/`all(..)`.
pub(crate) fn literals<'a>(scopes: &'a [LitStr], requirements: &'a [ScopeExpr]) -> Vec<&'a LitStr> {
    let mut literals: Vec<&LitStr> = scopes.iter().collect();
    for requirement in requirements {
        requirement.literals(&mut literals);
    }
    literals
}

/// A `Requirement` expression.
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

fn add_edge(ty: &mut Type, marker: &Ident) {
    let segment = ast::last_segment_mut(ty).expect("`valid` accepted a `Security<D>` path");
    if let PathArguments::AngleBracketed(args) = &mut segment.arguments {
        args.args
            .push(GenericArgument::Type(syn::parse_quote!(#marker)));
    }
}

pub(crate) fn scope(lit: &LitStr) -> TokenStream {
    quote_spanned!(lit.span()=> ::axum_scopes::__private::Scope::new(#lit))
}

/// A dependency: a type named like the function, implementing `Dependency` and `Resolve`.
fn dependency(function: &Function) -> TokenStream {
    let item = &function.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    let name_str = name.to_string();
    let doc = match &function.self_ty {
        None => format!(
            "The dependency [`{name}()`]: take its value as `Security<{name}>`.\n\nGenerated by `#[dependency]`."
        ),
        Some(ty) => format!(
            "The dependency `{}::{name}()`: take its value as `Security<{name}>`.\n\nGenerated by `#[dependency]`.",
            ty.to_token_stream()
        ),
    };
    let own_scopes = function.scopes().iter().map(scope);
    let own_requirements = function
        .requires
        .first()
        .map_or(&[][..], |requires| &requires.requirements[..])
        .iter()
        .map(requirement);
    let state = dependency_state(function);
    let state_ty = state
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(__AxumScopesState));

    let mut code = ParamCode::default();
    for (index, param) in function.params.iter().enumerate() {
        code.add(index, param, &state_ty);
    }
    let ParamCode {
        edges,
        infos,
        bounds,
        extractions,
        checks: param_checks,
        args,
    } = code;

    let (output, call) = output_and_call(item, function.self_ty.as_ref(), &args);
    let responses = documented_responses(function);
    let checks = dependency_checks(function);

    // With a known state, every parameter is checked where it is written; otherwise the impl
    // holds for each state whose extractors fit, and the router reports a mismatch.
    let (impl_generics, where_clause) = if state.is_some() {
        (quote!(), quote!())
    } else {
        (
            quote!(<__AxumScopesState>),
            quote!(where __AxumScopesState: ::core::marker::Send + ::core::marker::Sync, #(#bounds,)*),
        )
    };

    quote! {
        #[allow(clippy::unused_async, reason = "`#[dependency]` requires an `async fn`")]
        #item

        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #name {}

        #(#checks)*
        #(#param_checks)*

        const _: () = {
            #(#edges)*

            #[automatically_derived]
            impl ::axum_scopes::__private::Dependency for #name {
                type Output = #output;
                const INFO: ::axum_scopes::__private::DependencyInfo =
                    ::axum_scopes::__private::DependencyInfo::new(
                        #name_str,
                        &[#(#own_scopes),*],
                        &[#(#infos),*],
                    )
                    .with_requirements(&[#(#own_requirements),*])
                    .with_responses(#responses);
            }

            #[automatically_derived]
            impl #impl_generics ::axum_scopes::__private::Resolve<#state_ty> for #name #where_clause {
                #[allow(clippy::too_many_lines, reason = "one statement per parameter")]
                async fn resolve(
                    __axum_scopes_parts: &mut ::axum_scopes::__private::RequestParts,
                    __axum_scopes_state: &#state_ty,
                    __axum_scopes_above: &::axum_scopes::__private::ScopeChain<'_>,
                ) -> ::core::result::Result<
                    <Self as ::axum_scopes::__private::Dependency>::Output,
                    ::axum_scopes::__private::HttpResponse,
                > {
                    let __axum_scopes_chain = __axum_scopes_above
                        .push_with(
                            <Self as ::axum_scopes::__private::Dependency>::INFO.scopes,
                            <Self as ::axum_scopes::__private::Dependency>::INFO.requirements,
                        );
                    #(#extractions)*
                    #call
                }
            }
        };
    }
}

/// The generated code of a dependency's parameters, one entry per parameter.
#[derive(Default)]
struct ParamCode {
    /// The scope lists of `#[security(scopes = [..])]`, as constants.
    edges: Vec<TokenStream>,
    /// The `Param` of each parameter in `Dependency::INFO`.
    infos: Vec<TokenStream>,
    /// The bounds of the `Resolve` impl when the state is generic.
    bounds: Vec<TokenStream>,
    /// The statements that produce each argument.
    extractions: Vec<TokenStream>,
    /// Compile-time checks on the parameters' types.
    checks: Vec<TokenStream>,
    args: Vec<Ident>,
}

impl ParamCode {
    /// A parameter the macros did not recognise by name (a `Security<..>` under another name,
    /// or any other extractor): the type checker picks how to obtain it.
    fn add_probed(
        &mut self,
        param: &Parameter,
        arg: &Ident,
        (edge, edge_requirements): (&Ident, &Ident),
        use_cache: bool,
        state_ty: &Type,
    ) {
        let ty = &param.ty;
        let span = ty.span();
        let info = probed_param(
            ty,
            &edge.to_token_stream(),
            &edge_requirements.to_token_stream(),
            use_cache,
        );
        let name = format_ident!("__AXUM_SCOPES_PARAM{}", self.args.len());
        self.edges.push(quote! {
            const #name: ::axum_scopes::__private::Param = #info;
        });
        self.infos.push(name.to_token_stream());
        if let Some(args) = param.security_args() {
            self.checks.push(security_only_check(ty, args.span));
        }
        let choose = {
            let probe = security_probe(ty);
            quote_spanned!(span=> ::axum_scopes::__private::Choose<#probe>)
        };
        self.bounds.push(quote_spanned! {span=>
            #choose: ::axum_scopes::__private::Extract<#ty, #state_ty>
        });
        self.extractions.push(quote_spanned! {span=>
            let #arg = match <#choose as ::axum_scopes::__private::Extract<#ty, #state_ty>>::extract(
                __axum_scopes_parts, __axum_scopes_state, &__axum_scopes_chain, #edge, #edge_requirements, #use_cache,
            ).await {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(response) => return ::core::result::Result::Err(response),
            };
        });
        self.args.push(arg.clone());
    }

    fn add(&mut self, index: usize, param: &Parameter, state_ty: &Type) {
        let ty = &param.ty;
        let arg = format_ident!("__axum_scopes_arg{}", index);
        let span = ty.span();
        let probed = param.is_probed();
        match (&param.kind, probed) {
            (ParamKind::Security { .. }, _) | (ParamKind::Extractor, true) => {
                let edge = format_ident!("__AXUM_SCOPES_EDGE{}", index);
                let scopes = param
                    .security_args()
                    .map_or(&[][..], |args| &args.scopes[..])
                    .iter()
                    .map(scope);
                let edge_requirements = format_ident!("__AXUM_SCOPES_EDGE_REQUIREMENTS{}", index);
                let requirements = param
                    .security_args()
                    .map_or(&[][..], |args| &args.requirements[..])
                    .iter()
                    .map(requirement);
                let use_cache = param.security_args().is_none_or(|args| args.use_cache);
                self.edges.push(quote! {
                    const #edge: &[::axum_scopes::__private::Scope] = &[#(#scopes),*];
                    const #edge_requirements: &[::axum_scopes::__private::Requirement] =
                        &[#(#requirements),*];
                });
                if probed {
                    self.add_probed(
                        param,
                        &arg,
                        (&edge, &edge_requirements),
                        use_cache,
                        state_ty,
                    );
                    return;
                }
                self.infos.push(dependency_param(
                    ty,
                    &edge.to_token_stream(),
                    &edge_requirements.to_token_stream(),
                    use_cache,
                ));
                self.bounds.push(quote_spanned! {span=>
                    #ty: ::axum_scopes::__private::NestedSecurity<#state_ty>
                });
                self.extractions.push(quote_spanned! {span=>
                let #arg = match <#ty as ::axum_scopes::__private::NestedSecurity<#state_ty>>::resolve_nested(
                    __axum_scopes_parts, __axum_scopes_state, &__axum_scopes_chain, #edge, #edge_requirements, #use_cache,
                ).await {
                    ::core::result::Result::Ok(value) => value,
                    ::core::result::Result::Err(response) => return ::core::result::Result::Err(response),
                };
            });
            }
            (ParamKind::SecurityScopes, _) => {
                self.infos
                    .push(quote!(::axum_scopes::__private::Param::SecurityScopes));
                self.extractions.push(quote_spanned! {span=>
                    let #arg = ::axum_scopes::__private::security_scopes_in(
                        &__axum_scopes_chain,
                        &<Self as ::axum_scopes::__private::Dependency>::INFO,
                    );
                });
            }
            (ParamKind::Extractor | ParamKind::Body | ParamKind::Receiver(_), _) => {
                self.infos.push(param_kind(ty));
                self.bounds.push(quote_spanned! {span=>
                    #ty: ::axum_scopes::__private::DependencyParameter<#state_ty>
                });
                self.extractions.push(quote_spanned! {span=>
                let #arg = match <#ty as ::axum_scopes::__private::DependencyParameter<#state_ty>>::extract(
                    __axum_scopes_parts, __axum_scopes_state,
                ).await {
                    ::core::result::Result::Ok(value) => value,
                    ::core::result::Result::Err(response) => return ::core::result::Result::Err(response),
                };
            });
            }
        }
        self.args.push(arg);
    }
}

/// The dependency's `Output` type, and the call of the function that produces
/// `Result<Output, Response>`.
pub(crate) fn output_and_call(
    item: &ItemFn,
    self_ty: Option<&Type>,
    args: &[Ident],
) -> (TokenStream, TokenStream) {
    let name = &item.sig.ident;
    // An associated function is called through its type.
    let name = match self_ty {
        Some(ty) => quote!(<#ty>::#name),
        None => name.to_token_stream(),
    };
    match &item.sig.output {
        ReturnType::Default => (
            quote!(()),
            quote!(::core::result::Result::Ok(#name(#(#args),*).await)),
        ),
        ReturnType::Type(_, ty) if result_ok_type(ty).is_some() => {
            (result_ok_type(ty).to_token_stream(), {
                let into_result = quote_spanned! {ty.span()=>
                    <#ty as ::axum_scopes::__private::DependencyReturn>::into_result(__axum_scopes_value)
                };
                quote! {
                    let __axum_scopes_value = #name(#(#args),*).await;
                    #into_result
                }
            })
        }
        ReturnType::Type(_, ty) => (
            quote_spanned!(ty.span()=> #ty),
            quote!(::core::result::Result::Ok(#name(#(#args),*).await)),
        ),
    }
}

/// The compile-time checks of a dependency's own and per-parameter scopes.
fn dependency_checks(function: &Function) -> Vec<TokenStream> {
    let name = &function.item.sig.ident;
    let mut checks = Vec::new();
    if let Some(requires) = function.requires.first() {
        checks.push(checks::scopes(
            "#[requires_scopes]",
            &name.to_string(),
            requires.span,
            &literals(&requires.scopes, &requires.requirements),
            &quote!(<#name as ::axum_scopes::__private::Dependency>::INFO.params),
        ));
    }
    let typed = function
        .item
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(typed),
            FnArg::Receiver(_) => None,
        });
    for (index, (typed, param)) in typed.zip(&function.params).enumerate() {
        if let Some(args) = param.security_args() {
            // A probed parameter is checked only once the type checker confirms it is a
            // `Security<..>`; otherwise `#[security]` on it is the error.
            let guard = if param.is_probed() {
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
                &quote!(&[<#name as ::axum_scopes::__private::Dependency>::INFO.params[#index]]),
            ));
        }
    }
    checks
}

/// The failure answers a dependency documents: `#[dependency(responses = T)]`, else its error
/// type's when that implements `utoipa::IntoResponses`.
fn documented_responses(function: &Function) -> TokenStream {
    let explicit = function
        .dependency
        .as_ref()
        .and_then(|args| args.responses.as_ref());
    match explicit {
        Some(Responses::Type(ty)) => {
            return quote_spanned! {ty.span()=>
                ::core::option::Option::Some(
                    ::axum_scopes::__private::document_responses::<#ty>
                        as fn(&mut dyn ::core::any::Any),
                )
            };
        }
        Some(Responses::Answers(answers)) => {
            let answers = answers
                .iter()
                .map(|(status, description)| quote!((#status, #description)));
            return quote! {
                ::core::option::Option::Some(
                    (|__axum_scopes_out: &mut dyn ::core::any::Any| {
                        ::axum_scopes::__private::document_http_errors(
                            __axum_scopes_out,
                            &[#(#answers),*],
                        );
                    }) as fn(&mut dyn ::core::any::Any),
                )
            };
        }
        None => {}
    }
    let error = match &function.item.sig.output {
        ReturnType::Type(_, ty) => result_err_type(ty),
        ReturnType::Default => None,
    };
    if let Some(error) = error {
        quote! {{
            #[allow(unused_imports)]
            use ::axum_scopes::__private::UndocumentedResponses as _;
            ::axum_scopes::__private::ResponsesOf::<#error>::RESPONSES
        }}
    } else {
        quote!(::core::option::Option::None)
    }
}

/// The `E` of `Result<T, E>`.
fn result_err_type(ty: &Type) -> Option<&Type> {
    let segment = ast::last_segment(ty).filter(|segment| segment.ident == "Result")?;
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => match args.args.iter().nth(1)? {
            GenericArgument::Type(error) => Some(error),
            _ => None,
        },
        _ => None,
    }
}

/// The state a dependency resolves with: `#[dependency(state = T)]`, else every state whose
/// extractors fit, as axum's own extractors are generic (`State<Sub>` works under any state
/// with `Sub: FromRef<S>`).
fn dependency_state(function: &Function) -> Option<Type> {
    function
        .dependency
        .as_ref()
        .and_then(|args| args.state.clone())
}

/// The `T` of `Result<T, E>` (or of an alias such as `io::Result<T>`).
fn result_ok_type(ty: &Type) -> Option<&Type> {
    let segment = ast::last_segment(ty).filter(|segment| segment.ident == "Result")?;
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => match args.args.first()? {
            GenericArgument::Type(ok) => Some(ok),
            _ => None,
        },
        _ => None,
    }
}
