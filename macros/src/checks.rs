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
    if scopes.is_empty() {
        return TokenStream::new();
    }
    let declared = scopes.iter().map(|lit| {
        quote_spanned! {lit.span()=>
            const _: () = {
                if let ::core::option::Option::Some(scheme) =
                    ::axum_scopes::__private::scheme_lacking(#params, #lit)
                {
                    let message = ::axum_scopes::__private::unknown_scope(#lit, scheme);
                    ::core::panic!("{}", message.as_str());
                }
            };
        }
    });
    let unenforced = format!(
        "`{attribute}` on `{owner}` is never enforced: no dependency below it takes `SecurityScopes`; \
         take `security_scopes: SecurityScopes` in the dependency that verifies the token and compare \
         it with the token's scopes"
    );
    quote_spanned! {span=>
        #(#declared)*
        const _: () = {
            if #guard && !::axum_scopes::__private::enforces_scopes(#params) {
                ::core::panic!("{}", #unenforced);
            }
        };
    }
}
