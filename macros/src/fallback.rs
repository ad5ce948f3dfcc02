//! What to emit when expansion fails: the item, cleaned of this crate's attributes, and the
//! errors, so the rest of the user's code still resolves.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Function;
use crate::attr::Invocation;

pub(crate) fn emit(function: &Function, error: &syn::Error) -> TokenStream {
    let item = &function.item;
    let error = error.to_compile_error();
    quote! {
        #item
        #error
    }
}

/// The macro was put on something other than a function.
pub(crate) fn not_a_fn(invocation: Invocation, item: TokenStream) -> TokenStream {
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
