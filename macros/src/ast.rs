//! A typed view of the annotated function: what each parameter is, which scopes apply.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{FnArg, GenericArgument, Generics, ItemFn, PathArguments, ReturnType, Type, TypePath};

use crate::attr::{self, DependencyArgs, Invocation, RequiresScopes, SecurityArgs, UtoipaPath};

/// The annotated function.
pub(crate) struct Function {
    /// The function as the user wrote it, minus the attributes this crate consumes.
    pub(crate) item: ItemFn,
    /// `Some` when the function is a dependency, `None` for a handler.
    pub(crate) dependency: Option<DependencyArgs>,
    /// Every `#[requires_scopes]` on the function; more than one is an error in `valid`.
    pub(crate) requires: Vec<RequiresScopes>,
    pub(crate) params: Vec<Parameter>,
    /// The paths of this crate's attributes that were written on the function and consumed
    /// here, such as `requires_scopes` under `#[dependency]`.
    pub(crate) consumed: Vec<syn::Path>,
    /// The type of the `#[scoped]` impl block the function is an associated function of.
    pub(crate) self_ty: Option<syn::Type>,
    /// Whether a `#[utoipa::path]` may be written above the attribute (and so have run before
    /// it): `false` only when the source file was read and never writes one, which spares the
    /// stand-in that detects it.
    pub(crate) utoipa_above_possible: bool,
    /// The arguments of the `#[utoipa::path(..)]` written below this crate's attribute (so it
    /// has yet to run), when there is one and they parse.
    pub(crate) utoipa_path: Option<UtoipaPath>,
}

pub(crate) struct Parameter {
    pub(crate) ty: Type,
    pub(crate) kind: ParamKind,
    /// Every `#[security]` on the parameter; more than one is an error in `valid`.
    pub(crate) security: Vec<SecurityArgs>,
    /// Whether the type can be named outside the function (no `Self`, no generic parameter of
    /// the function, no lifetime, no `impl Trait`, no `_`), so that compile-time code can ask the
    /// type checker what it is.
    pub(crate) transparent: bool,
}

pub(crate) enum ParamKind {
    /// `Security<D>` or `Security<D, E>`: `dependency` is `D`, `edge` is `E`.
    Security {
        dependency: Option<Box<Type>>,
        edge: Option<Box<Type>>,
    },
    SecurityScopes,
    Extractor,
    /// An extractor of the request body, such as `Json<T>`: valid in a handler only.
    Body,
    /// `self`: never valid.
    Receiver(proc_macro2::Span),
}

/// How the function returns its value, which decides a dependency's `Output` and how its call
/// becomes `Result<Output, Response>`.
pub(crate) enum Returns<'a> {
    /// No return type: the value is `()`.
    Unit,
    /// `Result<T, E>`, or an alias such as `io::Result<T>` (read by its last segment): the value
    /// is `ok`, and an error becomes the answer.
    Result { ty: &'a Type, ok: &'a Type },
    /// Any other type: the value itself.
    Value(&'a Type),
}

impl Returns<'_> {
    /// The dependency's `Output`.
    pub(crate) fn output(&self) -> TokenStream {
        match self {
            Self::Unit => quote::quote!(()),
            Self::Result { ok, .. } => ok.to_token_stream(),
            Self::Value(ty) => ty.to_token_stream(),
        }
    }
}

/// The item under `#[requires_scopes]` or `#[dependency]`, which must be a function; the error
/// points at its first identifier (`struct`, `impl`, ..).
pub(crate) fn parse_item(invocation: Invocation, item: &TokenStream) -> syn::Result<ItemFn> {
    syn::parse2(item.clone()).map_err(|_| {
        let message = match invocation {
            Invocation::RequiresScopes => {
                "`#[requires_scopes]` applies to an `async fn`: a handler or a `#[dependency]`"
            }
            Invocation::Dependency => "`#[dependency]` applies to an `async fn`",
        };
        let span = item
            .clone()
            .into_iter()
            .find(|token| matches!(token, TokenTree::Ident(_)))
            .map_or_else(proc_macro2::Span::call_site, |token| token.span());
        syn::Error::new(span, message)
    })
}

impl Function {
    /// Reads `item`, removing the attributes of this crate from it. Errors in the attributes are
    /// collected into the returned error while the rest is still read.
    pub(crate) fn from_syn(
        invocation: Invocation,
        args: proc_macro2::TokenStream,
        span: proc_macro2::Span,
        mut item: ItemFn,
    ) -> (Self, Option<syn::Error>) {
        let mut errors = Errors::default();
        let mut dependency = None;
        let mut requires = Vec::new();
        let mut consumed = Vec::new();
        match invocation {
            Invocation::Dependency => {
                dependency = errors
                    .ok(DependencyArgs::parse_args(args))
                    .or_else(|| Some(DependencyArgs::default()));
            }
            Invocation::RequiresScopes => {
                requires.extend(errors.ok(RequiresScopes::parse_args(span, args)));
            }
        }
        item.attrs.retain(|attr| {
            if attr::is(attr, "requires_scopes") {
                requires.extend(errors.ok(RequiresScopes::from_attr(attr)));
                consumed.push(attr.path().clone());
                false
            } else if attr::is(attr, "dependency") {
                if dependency.is_some() {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        "`#[dependency]` is given twice; remove one",
                    ));
                }
                dependency = Some(
                    errors
                        .ok(DependencyArgs::from_attr(attr))
                        .unwrap_or_default(),
                );
                false
            } else {
                true
            }
        });

        let mut params = Vec::new();
        for input in &mut item.sig.inputs {
            let (attrs, kind, ty) = match input {
                FnArg::Receiver(receiver) => {
                    let span = receiver.self_token.span;
                    (
                        &mut receiver.attrs,
                        ParamKind::Receiver(span),
                        Type::Verbatim(proc_macro2::TokenStream::new()),
                    )
                }
                FnArg::Typed(typed) => {
                    let kind = ParamKind::of(&typed.ty);
                    (&mut typed.attrs, kind, (*typed.ty).clone())
                }
            };
            let mut security = Vec::new();
            attrs.retain(|attr| {
                if attr::is(attr, "security") {
                    security.extend(errors.ok(SecurityArgs::from_attr(attr)));
                    false
                } else {
                    true
                }
            });
            let transparent = !matches!(kind, ParamKind::Receiver(_))
                && is_transparent(ty.to_token_stream(), &item.sig.generics);
            params.push(Parameter {
                ty,
                kind,
                security,
                transparent,
            });
        }

        let utoipa_path = item
            .attrs
            .iter()
            .find(|attr| attr::is_utoipa_path(attr))
            .and_then(UtoipaPath::from_attr);
        let function = Self {
            item,
            dependency,
            requires,
            params,
            consumed,
            self_ty: None,
            utoipa_above_possible: true,
            utoipa_path,
        };
        (function, errors.0)
    }

    /// Whether the function or one of its parameters names a scope or requirement.
    pub(crate) fn has_scopes(&self) -> bool {
        self.requires.first().is_some_and(|requires| {
            !requires.scopes.is_empty() || !requires.requirements.is_empty()
        }) || self
            .params
            .iter()
            .filter_map(Parameter::security_args)
            .any(|args| !args.scopes.is_empty() || !args.requirements.is_empty())
    }

    /// How the function returns its value.
    pub(crate) fn returns(&self) -> Returns<'_> {
        match &self.item.sig.output {
            ReturnType::Default => Returns::Unit,
            ReturnType::Type(_, ty) => match result_ok_type(ty) {
                Some(ok) => Returns::Result { ty, ok },
                None => Returns::Value(ty),
            },
        }
    }

    /// The scopes of the function's own `#[requires_scopes]`.
    pub(crate) fn scopes(&self) -> &[syn::LitStr] {
        self.requires
            .first()
            .map_or(&[], |requires| &requires.scopes)
    }
}

/// axum's extractors that consume the request body.
const BODY_EXTRACTORS: &[&str] = &[
    "Json",
    "Form",
    "Bytes",
    "String",
    "Body",
    "Request",
    "Multipart",
    "RawForm",
];

impl ParamKind {
    fn of(ty: &Type) -> Self {
        let Some(segment) = last_segment(ty) else {
            return Self::Extractor;
        };
        let mut types = generic_types(&segment.arguments);
        if segment.ident == "Security" {
            Self::Security {
                dependency: types.next().cloned().map(Box::new),
                edge: types.next().cloned().map(Box::new),
            }
        } else if segment.ident == "Authenticated" || segment.ident == "MaybeAuthenticated" {
            // `Authenticated<C, S, E>` is `Security<Authenticate<C, S>, E>`.
            let claims = types.next().cloned().map(Box::new);
            Self::Security {
                dependency: claims,
                edge: types.nth(1).cloned().map(Box::new),
            }
        } else if segment.ident == "AuthenticatedBy" {
            // `AuthenticatedBy<C, S, Src, E>` is `Security<Authenticate<C, S, Src>, E>`.
            let claims = types.next().cloned().map(Box::new);
            Self::Security {
                dependency: claims,
                edge: types.nth(2).cloned().map(Box::new),
            }
        } else if segment.ident == "SecurityScopes" {
            Self::SecurityScopes
        } else if BODY_EXTRACTORS.iter().any(|name| segment.ident == name) {
            Self::Body
        } else {
            Self::Extractor
        }
    }
}

impl Parameter {
    /// The last path segment of the dependency named in `Security<D>`.
    pub(crate) fn dependency_ident(&self) -> Option<&syn::Ident> {
        match &self.kind {
            ParamKind::Security {
                dependency: Some(dependency),
                ..
            } => last_segment(dependency).map(|segment| &segment.ident),
            _ => None,
        }
    }

    /// Whether the type checker, not the name, tells what this parameter is: an extractor the
    /// macros did not recognise by name (an alias of `Security<..>`, a renamed import, or any
    /// other extractor) whose type can be named outside the function.
    pub(crate) fn is_probed(&self) -> bool {
        matches!(self.kind, ParamKind::Extractor) && self.transparent
    }

    pub(crate) fn security_args(&self) -> Option<&SecurityArgs> {
        self.security.first()
    }
}

pub(crate) fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(TypePath {
            qself: None, path, ..
        }) => path.segments.last(),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}

pub(crate) fn last_segment_mut(ty: &mut Type) -> Option<&mut syn::PathSegment> {
    match ty {
        Type::Path(TypePath {
            qself: None, path, ..
        }) => path.segments.last_mut(),
        Type::Group(group) => last_segment_mut(&mut group.elem),
        Type::Paren(paren) => last_segment_mut(&mut paren.elem),
        _ => None,
    }
}

/// The `T` of `Result<T, E>` (or of an alias such as `io::Result<T>`).
fn result_ok_type(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty).filter(|segment| segment.ident == "Result")?;
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => match args.args.first()? {
            GenericArgument::Type(ok) => Some(ok),
            _ => None,
        },
        _ => None,
    }
}

/// The `E` of `Result<T, E>`.
pub(crate) fn result_err_type(ty: &Type) -> Option<&Type> {
    let segment = last_segment(ty).filter(|segment| segment.ident == "Result")?;
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => match args.args.iter().nth(1)? {
            GenericArgument::Type(error) => Some(error),
            _ => None,
        },
        _ => None,
    }
}

fn generic_types(arguments: &PathArguments) -> impl Iterator<Item = &Type> {
    let args = match arguments {
        PathArguments::AngleBracketed(args) => Some(args.args.iter()),
        _ => None,
    };
    args.into_iter().flatten().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Errors collected while reading, combined into one.
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Whether `tokens`, a parameter's type, names nothing local to the function: no `Self`, no
/// generic parameter of `generics`, no lifetime, no `impl Trait` and no `_`.
fn is_transparent(tokens: TokenStream, generics: &Generics) -> bool {
    tokens.into_iter().all(|tree| match tree {
        TokenTree::Ident(ident) => {
            ident != "Self"
                && ident != "impl"
                && ident != "_"
                && !generics.params.iter().any(|param| match param {
                    syn::GenericParam::Type(ty) => ty.ident == ident,
                    syn::GenericParam::Const(constant) => constant.ident == ident,
                    syn::GenericParam::Lifetime(_) => false,
                })
        }
        TokenTree::Punct(punct) => punct.as_char() != '\'' && punct.as_char() != '_',
        TokenTree::Group(group) => is_transparent(group.stream(), generics),
        TokenTree::Literal(_) => true,
    })
}

/// The type `#[dependency]` generates for `function`: named like the function, or, for an
/// associated function of a `#[scoped]` block, `<Type>_<name>` (`Users_current`), so that
/// blocks of one module may each have a dependency of the same name. (`Security<Users::current>`
/// cannot name it: inherent associated types are unstable.)
pub(crate) fn dependency_type(function: &Function) -> syn::Ident {
    let name = &function.item.sig.ident;
    match function.self_ty.as_ref().and_then(last_segment) {
        Some(owner) => associated_dependency(&owner.ident, name),
        None => name.clone(),
    }
}

/// The type of the dependency `name` of the `#[scoped]` block on `owner`.
pub(crate) fn associated_dependency(owner: &syn::Ident, name: &syn::Ident) -> syn::Ident {
    syn::Ident::new(&format!("{owner}_{name}"), name.span())
}

/// `Users::current` (a type, then a function's name) in a dependency's place: the owner and
/// the name.
pub(crate) fn associated_function_path(dependency: &Type) -> Option<(syn::Ident, syn::Ident)> {
    let Type::Path(path) = dependency else {
        return None;
    };
    let segments: Vec<&syn::PathSegment> = path.path.segments.iter().collect();
    let [.., owner, name] = segments[..] else {
        return None;
    };
    let owner_is_type = owner.ident.to_string().starts_with(char::is_uppercase);
    let name_is_fn = name
        .ident
        .to_string()
        .starts_with(|c: char| c.is_lowercase() || c == '_');
    (owner_is_type && name_is_fn && path.qself.is_none())
        .then(|| (owner.ident.clone(), name.ident.clone()))
}

/// The dependency written in `Security<D, ..>`, for rewriting it.
pub(crate) fn security_dependency_mut(ty: &mut Type) -> Option<&mut Type> {
    let segment = last_segment_mut(ty)?;
    if segment.ident != "Security" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments else {
        return None;
    };
    match args.args.first_mut() {
        Some(syn::GenericArgument::Type(dependency)) => Some(dependency),
        _ => None,
    }
}
