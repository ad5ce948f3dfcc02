//! Rules that span several parts of the function: reported all at once, never in `expand`.

use proc_macro2::Span;
use syn::{FnArg, ItemFn, LitStr};

use crate::ast::{Errors, Function, ParamKind, Parameter};
use crate::attr::{Invocation, ScopeExpr};

/// What `#[requires_scopes]` says when nothing can enforce it. A parameter the macros did not
/// recognise by name may still be a `Security<..>` under another name: then `expand` leaves the
/// same message to the type checker.
pub(crate) const NO_SECURITY: &str = "`#[requires_scopes]` has no `Security<..>` parameter to enforce it; add one, such as `user: Security<get_current_user>`";

/// The attribute on an associated function of an `impl` block without `#[scoped]` (`within` is
/// that block's header): the items the expansion needs cannot stand inside the block, so this
/// error names the fix instead of rustc's about those items. An attribute sees only its item,
/// so this rule runs before any other: the rest would be reported again once `#[scoped]` is
/// written.
pub(crate) fn outside_scoped(
    invocation: Invocation,
    item: &ItemFn,
    within: Option<String>,
) -> syn::Result<()> {
    let has_receiver = matches!(item.sig.inputs.first(), Some(FnArg::Receiver(_)));
    // With `self`, the error on `self` says what to do; `#[scoped]` would not take it either.
    match within.filter(|_| !has_receiver) {
        Some(header) => Err(syn::Error::new(
            Span::call_site(),
            format!(
                "`#[{}]` on an associated function needs `#[scoped]` on its `impl` block: write `#[scoped]` above `{header} {{`",
                invocation.name()
            ),
        )),
        None => Ok(()),
    }
}

impl Function {
    pub(crate) fn validate(&self) -> syn::Result<()> {
        let mut errors = Errors::default();
        let what = self.what();
        let sig = &self.item.sig;

        if sig.asyncness.is_none() {
            errors.push(syn::Error::new(
                sig.fn_token.span,
                format!("{what} must be an `async fn`; add `async` before `fn`"),
            ));
        }
        if self.dependency.is_some() && !sig.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &sig.generics,
                "a `#[dependency]` cannot be generic; give its parameters concrete types",
            ));
        }
        for extra in self.requires.iter().skip(1) {
            errors.push(syn::Error::new(
                extra.span,
                "`#[requires_scopes]` is given twice; list every scope in one attribute",
            ));
        }
        for requires in &self.requires {
            check_scopes(&requires.scopes, &mut errors);
            check_requirements(&requires.requirements, &mut errors);
        }

        let mut found = Found::default();
        for param in &self.params {
            self.validate_param(param, &mut found, &mut errors);
        }
        let Found {
            security: has_security,
            security_scopes: has_security_scopes,
        } = found;

        // A parameter the macros did not recognise by name may still be a `Security<..>`:
        // `expand` leaves that to the type checker.
        let may_be_security = self.params.iter().any(Parameter::is_probed);
        if self.dependency.is_none()
            && self.has_scopes()
            && !has_security
            && !has_security_scopes
            && !may_be_security
        {
            let span = self.requires.first().map_or(sig.ident.span(), |r| r.span);
            errors.push(syn::Error::new(span, NO_SECURITY));
        }
        errors.finish()
    }

    fn validate_param(&self, param: &Parameter, found: &mut Found, errors: &mut Errors) {
        let what = self.what();
        let sig = &self.item.sig;
        for extra in param.security.iter().skip(1) {
            errors.push(syn::Error::new(
                extra.span,
                "`#[security]` is given twice on this parameter; merge them into one",
            ));
        }
        match &param.kind {
            ParamKind::Receiver(span) => errors.push(syn::Error::new(
                *span,
                format!("{what} cannot take `self`; make it a free function, or an associated function without `self` in an `impl` block marked `#[scoped]`"),
            )),
            ParamKind::SecurityScopes if self.dependency.is_none() => {
                found.security_scopes = true;
                errors.push(syn::Error::new_spanned(
                    &param.ty,
                    "`SecurityScopes` is available only in a `#[dependency]`; a handler requires scopes with `#[requires_scopes(..)]`",
                ));
            }
            ParamKind::Body if self.dependency.is_some() => {
                let ty = &param.ty;
                errors.push(syn::Error::new_spanned(
                    ty,
                    format!(
                        "`{}` reads the request body, which only the handler can do; take it in the handler and pass the value on",
                        quote::ToTokens::to_token_stream(ty).to_string().replace(' ', "")
                    ),
                ));
            }
            ParamKind::Security { dependency, edge } => {
                found.security = true;
                if dependency.is_none() {
                    errors.push(syn::Error::new_spanned(
                        &param.ty,
                        "`Security` needs the dependency it resolves; write `Security<my_dependency>`",
                    ));
                }
                if let Some(edge) = edge {
                    errors.push(syn::Error::new_spanned(
                        edge,
                        "the second parameter of `Security` is filled in by the macros; remove it and use `#[security(scopes = [..])]`",
                    ));
                }
                if let Some(dependency) = dependency
                    && let Some(error) = associated_path(dependency)
                {
                    errors.push(error);
                }
                if let Some(ident) = param.dependency_ident()
                    && self.dependency.is_some()
                    && (*ident == sig.ident || *ident == crate::ast::dependency_type(self))
                {
                    errors.push(syn::Error::new_spanned(
                        ident,
                        format!("dependency `{ident}` depends on itself; a dependency cannot be its own parameter"),
                    ));
                }
            }
            _ => {}
        }
        if let Some(args) = param.security_args() {
            if matches!(param.kind, ParamKind::Security { .. }) || param.is_probed() {
                // On a probed parameter, `expand` has the type checker confirm it is a
                // `Security<..>`.
                check_scopes(&args.scopes, errors);
                check_requirements(&args.requirements, errors);
            } else {
                errors.push(syn::Error::new(
                    args.span,
                    "`#[security]` applies only to a `Security<..>` parameter",
                ));
            }
        }
    }

    fn what(&self) -> &'static str {
        if self.dependency.is_some() {
            "a `#[dependency]`"
        } else {
            "a handler with `#[requires_scopes]`"
        }
    }
}

/// What the parameters hold, for the rules on the whole function.
#[derive(Default)]
struct Found {
    security: bool,
    security_scopes: bool,
}

/// RFC 6749 §3.3 scope tokens, each once per list.
pub(crate) fn check_scopes(scopes: &[LitStr], errors: &mut Errors) {
    for (i, lit) in scopes.iter().enumerate() {
        let scope = lit.value();
        if scope.is_empty() {
            errors.push(syn::Error::new(
                lit.span(),
                "empty scope; a scope is at least one character, such as `\"items\"`",
            ));
        } else if let Some(bad) = scope.chars().find(|&c| !is_scope_char(c)) {
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "invalid character {bad:?} in scope `{}`; a scope is printable ASCII other than space, `\"` and `\\` (RFC 6749 §3.3): write one scope per string",
                    scope.escape_debug()
                ),
            ));
        } else if scopes[..i].iter().any(|earlier| earlier.value() == scope) {
            errors.push(syn::Error::new(
                lit.span(),
                format!("duplicate scope `{scope}`; remove this one"),
            ));
        }
    }
}

/// `any(..)`/`all(..)`: not empty, every literal a scope, no literal twice in one list.
pub(crate) fn check_requirements(requirements: &[ScopeExpr], errors: &mut Errors) {
    for requirement in requirements {
        let (ident, exprs) = match requirement {
            ScopeExpr::Scope(lit) => {
                check_scopes(std::slice::from_ref(lit), errors);
                continue;
            }
            ScopeExpr::Any(ident, exprs) | ScopeExpr::All(ident, exprs) => (ident, exprs),
        };
        if exprs.is_empty() {
            errors.push(syn::Error::new(
                ident.span(),
                format!(
                    "`{ident}()` is empty; list at least one scope, such as `{ident}(\"items\")`"
                ),
            ));
        }
        let literals: Vec<LitStr> = exprs
            .iter()
            .filter_map(|expr| match expr {
                ScopeExpr::Scope(lit) => Some(lit.clone()),
                _ => None,
            })
            .collect();
        check_scopes(&literals, errors);
        let nested: Vec<&ScopeExpr> = exprs
            .iter()
            .filter(|expr| !matches!(expr, ScopeExpr::Scope(_)))
            .collect();
        for expr in nested {
            check_requirements(std::slice::from_ref(expr), errors);
        }
    }
}

pub(crate) fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// `Security<Users::current>`: a type cannot name an associated function (inherent associated
/// types are unstable, E0223); the error names the type `#[scoped]` generates.
fn associated_path(dependency: &syn::Type) -> Option<syn::Error> {
    let (owner, name) = crate::ast::associated_function_path(dependency)?;
    if owner == "Self" {
        return Some(syn::Error::new_spanned(
            dependency,
            format!(
                "a type cannot name the associated function `Self::{name}`; inside its `#[scoped]` block write `Security<{name}>`"
            ),
        ));
    }
    Some(syn::Error::new_spanned(
        dependency,
        format!(
            "a type cannot name the associated function `{owner}::{name}`; the dependency `#[scoped]` generates for it is `{owner}_{name}`: write `Security<{owner}_{name}>` (inside `impl {owner}`, `Security<{name}>`)"
        ),
    ))
}
