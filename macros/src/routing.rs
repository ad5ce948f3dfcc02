//! `router_security!(dependency, "scope", ..)`: a requirement on every route of a router,
//! checked at compile time as `#[requires_scopes]` is.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;

use crate::ast::Errors;
use crate::attr::RequiresScopes;
use crate::checks;
use crate::expand::{literals, requirement, scope};
use crate::valid::{check_requirements, check_scopes};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let parsed = (|stream: ParseStream<'_>| {
        if stream.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "`router_security!` needs the dependency to resolve; write `router_security!(get_current_user, \"items\")`",
            ));
        }
        let dependency: syn::Path = stream.parse()?;
        let rest = if stream.is_empty() {
            TokenStream::new()
        } else {
            stream.parse::<syn::Token![,]>()?;
            stream.parse::<TokenStream>()?
        };
        Ok((dependency, rest))
    })
    .parse2(input);
    let (dependency, rest) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return error.to_compile_error(),
    };
    let span = dependency.span();
    let mut errors = Errors::default();
    let requires = errors
        .ok(RequiresScopes::parse_args(span, rest))
        .unwrap_or(RequiresScopes {
            span,
            scopes: Vec::new(),
            requirements: Vec::new(),
        });
    check_scopes(&requires.scopes, &mut errors);
    check_requirements(&requires.requirements, &mut errors);
    // On an error the value stays usable, so the router's code reports nothing more.
    let (scopes, requirements, checks) = if let Err(error) = errors.finish() {
        (Vec::new(), Vec::new(), error.to_compile_error())
    } else {
        {
            let params = quote_spanned! {span=>
                &[::axum_scopes::__private::Param::Dependency {
                    info: &<__AxumScopesDependency as ::axum_scopes::__private::Dependency>::INFO,
                    scopes: &[],
                    requirements: &[],
                    use_cache: false,
                }]
            };
            let checks = checks::scopes(
                "router_security!",
                &dependency.to_token_stream().to_string().replace(' ', ""),
                Span::call_site(),
                &literals(&requires.scopes, &requires.requirements),
                &params,
            );
            (
                requires.scopes.iter().map(scope).collect(),
                requires.requirements.iter().map(requirement).collect(),
                checks,
            )
        }
    };
    // Named once: a function not marked `#[dependency]` is then one error, here.
    let alias = quote_spanned! {span=> type __AxumScopesDependency = #dependency; };
    quote! {{
        #alias
        #checks
        const SCOPES: &[::axum_scopes::__private::Scope] = &[#(#scopes),*];
        const REQUIREMENTS: &[::axum_scopes::__private::Requirement] = &[#(#requirements),*];
        ::axum_scopes::__private::RouterSecurity::<__AxumScopesDependency>::__new(SCOPES, REQUIREMENTS)
    }}
}
