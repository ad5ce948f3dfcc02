//! What to emit when an earlier stage found an error: the item, cleaned of this crate's
//! attributes, and the errors, so the rest of the user's code still resolves. It reads only the
//! typed function (`ast`), never what `expand` would have generated.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use crate::ast::Function;

/// A function read but refused: the function, and for a dependency a stand-in for its type.
pub(crate) fn function(function: &Function, error: &syn::Error) -> TokenStream {
    let mut item = function.item.clone();
    // `Security<Users::current>` (already reported) as the type that works, so that rustc adds
    // no error of its own (E0223).
    for input in &mut item.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            associated_as_type(&mut typed.ty);
        }
    }
    let error = error.to_compile_error();
    let dependency = function.dependency.is_some().then(|| dependency(function));
    quote! {
        #item
        #dependency
        #error
    }
}

/// `Security<Owner::name>` as `Security<Owner_name>`; `Security<Self::name>` as
/// `Security<name>`.
fn associated_as_type(ty: &mut syn::Type) {
    let Some(dependency) = crate::ast::security_dependency_mut(ty) else {
        return;
    };
    if let Some((owner, name)) = crate::ast::associated_function_path(dependency) {
        let fixed = if owner == "Self" {
            name
        } else {
            crate::ast::associated_dependency(&owner, &name)
        };
        *dependency = syn::parse_quote!(#fixed);
    }
}

/// A stand-in for a dependency that failed to expand, so that its users report nothing more.
/// Like serde's fallback impls it is never run: the crate does not compile.
fn dependency(function: &Function) -> TokenStream {
    let item = &function.item;
    let name = &crate::ast::dependency_type(function);
    let vis = &item.vis;
    let name_str = item.sig.ident.to_string();
    let output = function.returns().output();
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

/// An item that stays as it is, with the error: one that is no function at all, or one that
/// cannot have generated items beside it.
pub(crate) fn unchanged(item: &impl ToTokens, error: &syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote! {
        #item
        #error
    }
}
