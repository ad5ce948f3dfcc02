//! OpenAPI: a handler's `__path_<fn>` (utoipa's operation plus the security requirement and its
//! dependencies' failure answers), FastAPI's default operation names, and the failure answers a
//! dependency documents.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, ReturnType};

use crate::ast::{self, Function};
use crate::attr::{self, Responses, UtoipaPath};

/// With `#[utoipa::path(..)]` below: utoipa implements its traits on an inner type
/// (`impl_for`), and `__path_<fn>`, which utoipa's `paths(..)` and utoipa-axum's `routes!`
/// name, delegates to it and adds the security requirement and the dependencies' failure
/// answers. Without it: a stand-in `__path_<fn>` behind a glob import, which a `__path_<fn>` of
/// a `#[utoipa::path]` written above (and so already run) shadows; a probe then names the fix.
pub(super) fn openapi_path(
    item: &mut ItemFn,
    function: &Function,
    documented: &[TokenStream],
) -> TokenStream {
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
    if found.is_none() && !function.utoipa_above_possible {
        // The file writes no `#[utoipa::path]` at all: none can be above.
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
        // Arguments that did not parse get no default name: utoipa reports them on its own.
        let names = function
            .utoipa_path
            .as_ref()
            .map(|read| fastapi_names(&fn_name, read));
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

/// FastAPI's default `operation_id` (`{name}{path}` with every non-word character replaced by
/// `_`, then `_{method}`) and `summary` (the name title-cased), for the keys the
/// `#[utoipa::path(..)]` arguments `read` do not set, each followed by a comma.
fn fastapi_names(fn_name: &Ident, read: &UtoipaPath) -> TokenStream {
    let name = fn_name.to_string();
    let mut names = TokenStream::new();
    if let (false, Some(method), Some(path)) = (read.operation_id, &read.method, &read.path) {
        let id: String = format!("{name}{}", path.value())
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
    if !read.summary {
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

/// The failure answers a dependency documents: `#[dependency(responses = T)]`, else its error
/// type's when that implements `utoipa::IntoResponses`.
pub(super) fn documented_responses(function: &Function) -> TokenStream {
    let explicit = function
        .dependency
        .as_ref()
        .and_then(|args| args.responses.as_ref());
    match explicit {
        Some(Responses::Type(ty)) => {
            return quote_spanned! {ty.span()=>
                ::core::option::Option::Some(
                    ::axum_scopes::__private::document_responses::<#ty>
                        as fn(&mut ::axum_scopes::__private::Responses),
                )
            };
        }
        Some(Responses::Answers(answers)) => {
            let answers = answers
                .iter()
                .map(|(status, description)| quote!((#status, #description)));
            return quote! {
                ::core::option::Option::Some(
                    (|__axum_scopes_out: &mut ::axum_scopes::__private::Responses| {
                        ::axum_scopes::__private::document_http_errors(
                            __axum_scopes_out,
                            &[#(#answers),*],
                        );
                    }) as fn(&mut ::axum_scopes::__private::Responses),
                )
            };
        }
        None => {}
    }
    let error = match &function.item.sig.output {
        ReturnType::Type(_, ty) => ast::result_err_type(ty),
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
