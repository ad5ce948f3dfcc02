//! Procedural macros of [axum-scopes](https://docs.rs/axum-scopes). Depend on `axum-scopes`,
//! which re-exports them and documents them.

mod ast;
mod attr;
mod checks;
mod context;
mod expand;
mod fallback;
mod grpc;
mod pipeline;
mod routing;
mod scheme;
mod scoped;
mod suggest;
mod valid;

use proc_macro::TokenStream;

/// Where the attribute being expanded is written (see [`context::Site`]).
fn site() -> context::Site {
    let span = proc_macro::Span::call_site();
    context::site(span.local_file(), span.line())
}

/// Declares the scopes a handler or dependency requires. Documented in `axum-scopes`.
#[proc_macro_attribute]
pub fn requires_scopes(args: TokenStream, item: TokenStream) -> TokenStream {
    // On a method of a `#[grpc]` service or a `#[scoped]` block, which read the scopes itself.
    if args.to_string() == attr::INERT {
        return item;
    }
    pipeline::attribute(
        attr::Invocation::RequiresScopes,
        args.into(),
        &item.into(),
        site(),
    )
    .into()
}

/// Turns an async fn into a dependency. Documented in `axum-scopes`.
#[proc_macro_attribute]
pub fn dependency(args: TokenStream, item: TokenStream) -> TokenStream {
    // On a method of a `#[scoped]` block, which read it itself.
    if args.to_string() == attr::INERT {
        return item;
    }
    pipeline::attribute(
        attr::Invocation::Dependency,
        args.into(),
        &item.into(),
        site(),
    )
    .into()
}

/// Lets the associated functions of an `impl` block be scoped handlers and dependencies.
/// Documented in `axum-scopes`.
#[proc_macro_attribute]
pub fn scoped(args: TokenStream, item: TokenStream) -> TokenStream {
    scoped::expand(&args.into(), &item.into()).into()
}

/// Declares the scope requirement of each method of a tonic service. Documented in
/// `axum-scopes`.
#[proc_macro_attribute]
pub fn grpc(args: TokenStream, item: TokenStream) -> TokenStream {
    grpc::expand(args.into(), &item.into()).into()
}

/// Declares an OAuth2 password-flow scheme and its scope catalogue. Documented in `axum-scopes`.
#[proc_macro]
pub fn oauth2_password_bearer(input: TokenStream) -> TokenStream {
    scheme::expand(input.into(), scheme::Form::PasswordBearer).into()
}

/// Declares a security scheme of any kind (`OAuth2` flows, `OpenID` Connect, HTTP bearer, API
/// key, token cookie) and its scope catalogue. Documented in `axum-scopes`.
#[proc_macro]
pub fn security_scheme(input: TokenStream) -> TokenStream {
    scheme::expand(input.into(), scheme::Form::Any).into()
}

/// A requirement on every route of a router. Documented in `axum-scopes`.
#[proc_macro]
pub fn router_security(input: TokenStream) -> TokenStream {
    routing::expand(input.into()).into()
}
