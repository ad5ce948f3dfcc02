//! The stages of `#[requires_scopes]` and `#[dependency]`, in one direction: read the item and
//! its attributes (`ast`, `attr`), validate the rules spanning several parts (`valid`), then
//! generate the code (`expand`) or, on any error, emit the item unchanged beside it (`fallback`).
//!
//! Only this file knows the order: no stage calls a later one, so code generation cannot
//! discover an error of its own, and the fallback cannot depend on what generation would emit.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{ItemFn, Type};

use crate::ast::{self, Errors, Function};
use crate::attr::Invocation;
use crate::context::Site;
use crate::{expand, fallback, valid};

/// The attribute on a function written outside a `#[scoped]` block, at `site`.
pub(crate) fn attribute(
    invocation: Invocation,
    args: TokenStream,
    item: &TokenStream,
    site: Site,
) -> TokenStream {
    let item_fn = match ast::parse_item(invocation, item) {
        Ok(item_fn) => item_fn,
        Err(error) => return fallback::unchanged(item, &error),
    };
    if let Err(error) = valid::outside_scoped(invocation, &item_fn, site.enclosing_impl) {
        // Only the function itself can stay in the block: no stand-in items beside it, so
        // this one error is all rustc reports.
        let (function, _) = Function::from_syn(invocation, args, Span::call_site(), item_fn);
        return fallback::unchanged(&function.item, &error);
    }
    function(invocation, args, item_fn, None, site.utoipa_above_possible)
}

/// One annotated function through every stage; `self_ty` is the type of the `#[scoped]` impl
/// block it is an associated function of, which runs this on each of its functions;
/// `utoipa_above_possible` is [`Site::utoipa_above_possible`].
pub(crate) fn function(
    invocation: Invocation,
    args: TokenStream,
    item_fn: ItemFn,
    self_ty: Option<Type>,
    utoipa_above_possible: bool,
) -> TokenStream {
    let (mut function, read_errors) =
        Function::from_syn(invocation, args, Span::call_site(), item_fn);
    function.self_ty = self_ty;
    function.utoipa_above_possible = utoipa_above_possible;
    let mut errors = Errors(read_errors);
    errors.ok(function.validate());
    let expanded = match errors.finish() {
        Ok(()) => expand::function(&function),
        Err(error) => fallback::function(&function, &error),
    };
    // Either way the attributes were consumed, and their imports must count as used.
    let consumed = expand::consumed_attributes(&function);
    quote!(#expanded #consumed)
}
