//! What to emit when expansion fails: the item, cleaned of this crate's attributes, and the
//! errors, so the rest of the user's code still resolves.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::ast::Function;
use crate::attr::Invocation;

pub(crate) fn emit(function: &Function, error: &syn::Error) -> TokenStream {
    let item = &function.item;
    let error = error.to_compile_error();
    let dependency = function
        .dependency
        .is_some()
        .then(|| dependency(&function.item));
    quote! {
        #item
        #dependency
        #error
    }
}

/// A stand-in for a dependency that failed to expand, so that its users report nothing more.
/// Like serde's fallback impls it is never run: the crate does not compile.
fn dependency(item: &ItemFn) -> TokenStream {
    let name = &item.sig.ident;
    let vis = &item.vis;
    let name_str = name.to_string();
    let (output, _) = crate::expand::output_and_call(item, None, &[]);
    quote! {
        #[allow(non_camel_case_types, missing_docs)]
        #vis struct #name {}

        const _: () = {
            impl ::axum_scopes::__private::Dependency for #name {
                type Output = #output;
                const INFO: ::axum_scopes::__private::DependencyInfo =
                    // Claims to enforce scopes, so that its users' checks stay quiet.
                    ::axum_scopes::__private::DependencyInfo::new(
                        #name_str,
                        &[],
                        &[::axum_scopes::__private::Param::SecurityScopes],
                    );
            }

            impl<__AxumScopesState> ::axum_scopes::__private::Resolve<__AxumScopesState> for #name
            where
                __AxumScopesState: ::core::marker::Send + ::core::marker::Sync,
            {
                async fn resolve(
                    _: &mut ::axum_scopes::__private::RequestParts,
                    _: &__AxumScopesState,
                    _: &::axum_scopes::__private::ScopeChain<'_>,
                ) -> ::core::result::Result<
                    <Self as ::axum_scopes::__private::Dependency>::Output,
                    ::axum_scopes::__private::HttpResponse,
                > {
                    ::core::unreachable!("the crate did not compile")
                }
            }
        };
    }
}

/// The macro was put on something other than a function.
pub(crate) fn not_a_fn(invocation: Invocation, item: &TokenStream) -> TokenStream {
    let message = match invocation {
        Invocation::RequiresScopes => {
            "`#[requires_scopes]` applies to an `async fn`: a handler or a `#[dependency]`"
        }
        Invocation::Dependency => "`#[dependency]` applies to an `async fn`",
    };
    let span = item
        .clone()
        .into_iter()
        .find(|token| matches!(token, proc_macro2::TokenTree::Ident(_)))
        .map_or_else(proc_macro2::Span::call_site, |token| token.span());
    let error = syn::Error::new(span, message).to_compile_error();
    quote! {
        #item
        #error
    }
}
