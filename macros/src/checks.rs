//! Code generation of the checks only the type checker can make: `const` items that walk the
//! static scope tree below a function's parameters (see the runtime's `check` module). Their
//! panics are compile errors at the user's literal or attribute.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::LitStr;

/// Checks that every scope in `scopes` is declared by each scheme below `params` (an expression
/// of type `&[Param]`), and that some dependency below enforces them.
pub(crate) fn scopes(
    attribute: &str,
    owner: &str,
    span: Span,
    scopes: &[&LitStr],
    params: &TokenStream,
) -> TokenStream {
    scopes_if(&quote!(true), attribute, owner, span, scopes, params)
}

/// [`scopes`] for a handler whose one `Security` parameter is `ty`: whether something below
/// enforces the scopes is the dependency's constant, evaluated once however many handlers
/// take it.
pub(crate) fn scopes_of_one(
    attribute: &str,
    owner: &str,
    span: Span,
    scopes: &[&LitStr],
    ty: &syn::Type,
) -> TokenStream {
    let params = quote!(&[<#ty as ::axum_scopes::__private::SecurityParam>::BARE]);
    let enforced = quote!(<#ty as ::axum_scopes::__private::SecurityParam>::ENFORCES);
    checks(
        &quote!(true),
        attribute,
        owner,
        span,
        scopes,
        &params,
        &enforced,
    )
}

/// [`scopes`] for a handler whose one `Security` parameter `ty` carries its scopes in the
/// shared edge type `edge`: the scope a scheme below does not declare is the pair's constant,
/// evaluated once however many handlers share it, and each literal's call (`#[track_caller]`)
/// is the compile error when its scope is that one.
pub(crate) fn scopes_of_edge(
    attribute: &str,
    owner: &str,
    span: Span,
    scopes: &[&LitStr],
    ty: &syn::Type,
    edge: &TokenStream,
) -> TokenStream {
    if scopes.is_empty() {
        return TokenStream::new();
    }
    let declared = scopes.iter().map(|lit| {
        quote_spanned! {lit.span()=>
            ::axum_scopes::__private::assert_declared(
                <#edge as ::axum_scopes::__private::EdgeChecks<#ty>>::LACKING,
                #lit,
            );
        }
    });
    let enforced = quote_spanned! {span=>
        ::axum_scopes::__private::assert_enforced(
            <#ty as ::axum_scopes::__private::SecurityParam>::ENFORCES,
            #attribute,
            #owner,
        );
    };
    quote! {
        const _: () = {
            #(#declared)*
            #enforced
        };
    }
}

/// [`scopes`], made only when `guard` (a `const` boolean expression) holds: for a parameter the
/// type checker has yet to confirm as a `Security<..>`.
pub(crate) fn scopes_if(
    guard: &TokenStream,
    attribute: &str,
    owner: &str,
    span: Span,
    scopes: &[&LitStr],
    params: &TokenStream,
) -> TokenStream {
    let enforced = quote!(::axum_scopes::__private::enforces_scopes(PARAMS));
    checks(guard, attribute, owner, span, scopes, params, &enforced)
}

/// The one `const` of the checks: every scope declared below `params`, and `enforced` (a
/// `const` boolean that may name `PARAMS`) when `guard` holds.
fn checks(
    guard: &TokenStream,
    attribute: &str,
    owner: &str,
    span: Span,
    scopes: &[&LitStr],
    params: &TokenStream,
    enforced: &TokenStream,
) -> TokenStream {
    if scopes.is_empty() {
        return TokenStream::new();
    }
    // One `const` for every check of the attribute (fewer items to type-check and evaluate);
    // each panic keeps the span of its literal, where the error is reported.
    let declared = scopes.iter().map(|lit| {
        quote_spanned! {lit.span()=>
            if let ::core::option::Option::Some(scheme) =
                ::axum_scopes::__private::scheme_lacking(PARAMS, #lit)
            {
                let message = ::axum_scopes::__private::unknown_scope(#lit, scheme);
                ::core::panic!("{}", message.as_str());
            }
        }
    });
    let unenforced = format!(
        "`{attribute}` on `{owner}` is never enforced: no dependency below it takes `SecurityScopes`; \
         take `security_scopes: SecurityScopes` in the dependency that verifies the token and compare \
         it with the token's scopes"
    );
    let enforced = quote_spanned! {span=>
        if #guard && !#enforced {
            ::core::panic!("{}", #unenforced);
        }
    };
    quote! {
        const _: () = {
            const PARAMS: &[::axum_scopes::__private::Param] = #params;
            #(#declared)*
            #enforced
        };
    }
}
