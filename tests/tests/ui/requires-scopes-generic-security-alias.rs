//! A `Security<..>` under another name in a type that names the handler's generic parameters:
//! the macros cannot attach the handler's scopes to it, so each instance is refused.
use axum_scopes::{HttpError, Security, SecurityScopes, dependency, requires_scopes};

#[dependency]
async fn current_user(scopes: SecurityScopes) -> Result<String, HttpError> {
    Ok(scopes.scope_str())
}

type Same<T, U> = (std::marker::PhantomData<T>, U);
type Pick<P> = <P as Second>::Out;

trait Second {
    type Out;
}

impl<T, U> Second for (std::marker::PhantomData<T>, U) {
    type Out = U;
}

#[requires_scopes("items")]
async fn read_items<T: Send + 'static>(
    first: Security<current_user>,
    again: Pick<Same<T, Security<current_user>>>,
) -> String {
    format!("{} {}", *first, *again)
}

fn main() {
    let _ = axum::Router::<()>::new().route("/", axum::routing::get(read_items::<u8>));
}
