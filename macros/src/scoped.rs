//! `#[scoped] impl T { .. }`: scoped handlers and dependencies as associated functions.
//!
//! An associated function cannot have items next to it inside the `impl` block, and the
//! expansion of `#[requires_scopes]` and `#[dependency]` needs some (the edge markers, the
//! dependency's type, the checks). This attribute expands each annotated function as the free
//! function macros do, keeps the function in the block and moves the rest after it.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{ImplItem, ItemFn, ItemImpl};

use crate::attr::{self, Invocation};
use crate::pipeline;

pub(crate) fn expand(args: &TokenStream, item: &TokenStream) -> TokenStream {
    let Ok(mut block) = syn::parse2::<ItemImpl>(item.clone()) else {
        let error = syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[scoped]` applies to an `impl` block whose functions use `#[requires_scopes]` or `#[dependency]`",
        )
        .to_compile_error();
        return quote!(#item #error);
    };
    if !args.is_empty() {
        let error = syn::Error::new_spanned(args, "`#[scoped]` takes no arguments; remove them")
            .to_compile_error();
        return quote!(#block #error);
    }
    let self_ty = (*block.self_ty).clone();
    rename_block_dependencies(&mut block, &self_ty);
    let mut outside = Vec::new();
    for impl_item in &mut block.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let Some(index) = method
            .attrs
            .iter()
            .position(|a| attr::is(a, "requires_scopes") || attr::is(a, "dependency"))
        else {
            continue;
        };
        let invoked = method.attrs.remove(index);
        let invocation = if attr::is(&invoked, "dependency") {
            Invocation::Dependency
        } else {
            Invocation::RequiresScopes
        };
        let args = match &invoked.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let item_fn = ItemFn {
            attrs: method.attrs.clone(),
            vis: method.vis.clone(),
            modifiers: method.modifiers.clone(),
            sig: method.sig.clone(),
            block: Box::new(method.block.clone()),
        };
        let name = item_fn.sig.ident.clone();
        let expanded = pipeline::function(invocation, args, item_fn, Some(self_ty.clone()), true);
        let Ok(file) = syn::parse2::<syn::File>(expanded.clone()) else {
            outside.push(expanded);
            continue;
        };
        for generated in file.items {
            match generated {
                syn::Item::Fn(function) if function.sig.ident == name => {
                    method.attrs = function.attrs;
                    // The attribute stays as an inert marker: its import is used.
                    method.attrs.push(attr::inert(&invoked));
                    method.vis = function.vis;
                    method.modifiers = function.modifiers;
                    method.sig = function.sig;
                    method.block = *function.block;
                }
                other => outside.push(other.into_token_stream()),
            }
        }
    }
    quote! {
        #block
        #(#outside)*
    }
}

/// Within the block, `Security<name>` of a dependency declared in it names the type
/// `#[dependency]` generates for it, `<Type>_<name>`: the parameters are rewritten before
/// expansion, so each block's dependencies keep their own names.
fn rename_block_dependencies(block: &mut ItemImpl, self_ty: &syn::Type) {
    let Some(owner) = crate::ast::last_segment(self_ty).map(|segment| segment.ident.clone()) else {
        return;
    };
    let names: Vec<syn::Ident> = block
        .items
        .iter()
        .filter_map(|item| match item {
            ImplItem::Fn(method) if method.attrs.iter().any(|a| attr::is(a, "dependency")) => {
                Some(method.sig.ident.clone())
            }
            _ => None,
        })
        .collect();
    if names.is_empty() {
        return;
    }
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else {
            continue;
        };
        for input in &mut method.sig.inputs {
            if let syn::FnArg::Typed(typed) = input {
                rename_in(&mut typed.ty, &owner, &names);
            }
        }
    }
}

/// `Security<name>` with `name` one of `names`, as `Security<Owner_name>`.
fn rename_in(ty: &mut syn::Type, owner: &syn::Ident, names: &[syn::Ident]) {
    let Some(syn::Type::Path(dependency)) = crate::ast::security_dependency_mut(ty) else {
        return;
    };
    if dependency.qself.is_some() || dependency.path.segments.len() != 1 {
        return;
    }
    let first = &mut dependency.path.segments[0];
    if first.arguments.is_empty() && names.contains(&first.ident) {
        first.ident = crate::ast::associated_dependency(owner, &first.ident);
    }
}
