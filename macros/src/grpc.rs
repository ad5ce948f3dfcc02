//! `#[grpc(Scheme)]` on the `impl` of a tonic service trait: each method's requirement
//! (`#[requires_scopes(..)]`, `#[public]`, or neither: refused), checked at compile time against
//! the scheme's catalogue. The impl moves onto `Guarded<Self>`, which only the enforcing layer
//! builds, so a declared service cannot be served without it.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ImplItem, ItemImpl, Meta};

use crate::ast::Errors;
use crate::attr::{self, RequiresScopes};
use crate::checks;
use crate::expand::{literals, requirement, scope};
use crate::valid::{check_requirements, check_scopes};

/// What a method declares.
enum Rule {
    Scoped(RequiresScopes),
    Public,
    Undeclared,
}

pub(crate) fn expand(args: TokenStream, item: &TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let scheme = if args.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[grpc]` needs the security scheme whose catalogue the methods' scopes come from; write `#[grpc(Api)]`",
        ));
        None
    } else {
        errors.ok(syn::parse2::<syn::Path>(args))
    };
    let mut block = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(block) if block.trait_.is_some() => block,
        _ => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[grpc]` applies to the `impl` of a tonic service trait; write it on `impl Greeter for MyGreeter`",
            )
            .to_compile_error();
            return quote!(#item #error);
        }
    };
    let plain = matches!(
        &*block.self_ty,
        syn::Type::Path(path) if path.path.segments.last().is_some_and(|last| last.arguments.is_none())
    );
    if !block.generics.params.is_empty() || !plain {
        errors.push(syn::Error::new_spanned(
            &block.self_ty,
            "`#[grpc]` serves a service type without generic parameters; wrap a generic one in a plain struct",
        ));
    }
    let methods = declarations(&mut block, &mut errors);
    let scheme = match (scheme, errors.finish()) {
        (Some(scheme), Ok(())) => scheme,
        (_, result) => {
            // Kept as written (less the method attributes), so that the rest of the crate
            // resolves; the errors say what to fix.
            let error = result.err().map(|error| error.to_compile_error());
            return quote!(#block #error);
        }
    };
    let params = quote_spanned! {scheme.span()=>
        &[
            ::axum_scopes::__private::Param::SecurityScopes,
            ::axum_scopes::__private::Param::Credential(
                &<#scheme as ::axum_scopes::__private::Scheme>::INFO,
            ),
        ]
    };
    let mut checks = TokenStream::new();
    let table = methods.iter().map(|(ident, rule)| {
        let route = route_name(ident);
        match rule {
            Rule::Scoped(requires) => {
                checks.extend(checks::scopes(
                    "requires_scopes",
                    &ident.to_string(),
                    requires.span,
                    &literals(&requires.scopes, &requires.requirements),
                    &params,
                ));
                let scopes = requires.scopes.iter().map(scope);
                let requirements = requires.requirements.iter().map(requirement);
                quote! {
                    ::axum_scopes::__private::GrpcMethod::scoped(
                        #route, &[#(#scopes),*], &[#(#requirements),*],
                    )
                }
            }
            Rule::Public => quote!(::axum_scopes::__private::GrpcMethod::public(#route)),
            Rule::Undeclared => quote!(::axum_scopes::__private::GrpcMethod::undeclared(#route)),
        }
    });
    let table: Vec<TokenStream> = table.collect();
    let self_ty = (*block.self_ty).clone();
    let guarded = quote::format_ident!("__AxumScopesGuarded{}", type_name(&self_ty));
    let (trait_impl, inherent) = split(block, &guarded);
    quote! {
        #trait_impl
        #inherent

        /// The service behind its enforcing layer: built only by `axum_scopes::grpc::enforce`.
        #[doc(hidden)]
        #[allow(unreachable_pub)]
        pub struct #guarded(#self_ty);

        #[automatically_derived]
        impl ::axum_scopes::__private::GrpcService for #self_ty {
            type Guarded = #guarded;

            fn __guard(self) -> #guarded {
                #guarded(self)
            }

            const SCHEME: &'static ::axum_scopes::__private::SchemeInfo =
                &<#scheme as ::axum_scopes::__private::Scheme>::INFO;
            const METHODS: &'static [::axum_scopes::__private::GrpcMethod] = &[#(#table),*];
        }
        #checks
    }
}

/// The trait's methods move into an inherent `impl` of the service, as written (`self` is the
/// service, `Self` its type; `Self::Assoc` in a signature becomes the wrapper's); the trait is
/// implemented on `guarded`, each method calling the service's.
fn split(mut block: ItemImpl, guarded: &syn::Ident) -> (TokenStream, TokenStream) {
    let self_ty = (*block.self_ty).clone();
    let trait_path = block
        .trait_
        .as_ref()
        .map(|(path, _)| path.clone())
        .expect("checked above: a trait impl");
    let as_trait = quote!(<#guarded as #trait_path>);
    let mut moved = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else {
            continue;
        };
        let name = &method.sig.ident;
        let inner = quote::format_ident!("__axum_scopes_{}", name);
        let mut inherent = method.clone();
        inherent.sig.ident = inner.clone();
        inherent.vis = syn::Visibility::Inherited;
        let sig = replace_self(inherent.sig.to_token_stream(), &as_trait);
        let attrs = &inherent.attrs;
        let body = &inherent.block;
        moved.push(quote! {
            #(#attrs)*
            #[doc(hidden)]
            #[allow(clippy::unused_async, clippy::unused_self)]
            #sig #body
        });
        let mut args = Vec::new();
        for (index, input) in method.sig.inputs.iter_mut().enumerate() {
            if let syn::FnArg::Typed(typed) = input {
                let arg = quote::format_ident!("__axum_scopes_arg{}", index);
                *typed.pat = syn::parse_quote!(#arg);
                args.push(arg);
            }
        }
        method.attrs.retain(|attribute| {
            !attribute.path().is_ident("doc") && !attr::is(attribute, "requires_scopes")
        });
        method.block = syn::parse_quote!({
            #self_ty::#inner(&self.0, #(#args),*).await
        });
    }
    block.self_ty = Box::new(syn::parse_quote!(#guarded));
    let inherent = quote! {
        #[automatically_derived]
        impl #self_ty {
            #(#moved)*
        }
    };
    (block.into_token_stream(), inherent)
}

/// `tokens` with every `Self` replaced by `with`.
fn replace_self(tokens: TokenStream, with: &TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            proc_macro2::TokenTree::Ident(ident) if ident == "Self" => with.clone(),
            proc_macro2::TokenTree::Group(group) => {
                let mut replaced =
                    proc_macro2::Group::new(group.delimiter(), replace_self(group.stream(), with));
                replaced.set_span(group.span());
                proc_macro2::TokenTree::Group(replaced).into_token_stream()
            }
            other => other.into_token_stream(),
        })
        .collect()
}

/// The last identifier of `ty`'s path, for the wrapper's name.
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(String::new, |segment| segment.ident.to_string()),
        _ => String::new(),
    }
}

/// Each method's declaration, its attributes taken off the method; what is wrong goes to
/// `errors`.
fn declarations(block: &mut ItemImpl, errors: &mut Errors) -> Vec<(syn::Ident, Rule)> {
    let mut methods = Vec::new();
    for impl_item in &mut block.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let mut rule = Rule::Undeclared;
        let mut kept = Vec::new();
        for attribute in std::mem::take(&mut method.attrs) {
            let declared = if attr::is(&attribute, "requires_scopes") {
                // Left on the method as an inert marker, so that the attribute's import (which
                // only this invocation uses) resolves and counts as used.
                kept.push(attr::inert(&attribute));
                errors
                    .ok(RequiresScopes::from_attr(&attribute))
                    .map(Rule::Scoped)
            } else if attr::is(&attribute, "public") {
                if let Meta::Path(_) = attribute.meta {
                    Some(Rule::Public)
                } else {
                    errors.push(syn::Error::new_spanned(
                        &attribute.meta,
                        "`#[public]` takes no arguments; write `#[public]`",
                    ));
                    None
                }
            } else {
                kept.push(attribute);
                continue;
            };
            if !matches!(rule, Rule::Undeclared) {
                errors.push(syn::Error::new_spanned(
                    &attribute,
                    "a gRPC method declares one requirement; keep either `#[requires_scopes(..)]` or `#[public]`",
                ));
            }
            if let Some(declared) = declared {
                rule = declared;
            }
        }
        method.attrs = kept;
        let receiver_is_ref = matches!(
            method.sig.inputs.first(),
            Some(syn::FnArg::Receiver(receiver))
                if matches!(receiver.kind, syn::ReceiverKind::Reference(_, _, None))
        );
        if method.sig.asyncness.is_none() || !receiver_is_ref {
            errors.push(syn::Error::new_spanned(
                &method.sig.ident,
                "a method of a `#[grpc]` service is an `async fn` taking `&self`; put `#[grpc(..)]` above `#[tonic::async_trait]`",
            ));
        }
        if let Rule::Scoped(requires) = &rule {
            check_scopes(&requires.scopes, errors);
            check_requirements(&requires.requirements, errors);
        }
        methods.push((method.sig.ident.clone(), rule));
    }
    methods
}

/// The gRPC method name tonic-build gave `ident` (`say_hello` → `SayHello`).
fn route_name(ident: &syn::Ident) -> String {
    use syn::ext::IdentExt as _;
    ident
        .unraw()
        .to_string()
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}
