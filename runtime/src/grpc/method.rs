//! What `#[grpc]` declares of a service ([`GrpcService`]): each method's requirement
//! ([`GrpcMethod`]), and the wrapper the service trait is implemented on.

use crate::scheme::SchemeInfo;
use crate::scope::{Requirement, Scope};

/// A tonic service implementation whose methods' requirements `#[grpc(Scheme)]` declared.
/// Implemented by the attribute; the enforcing layer ([`enforce`](super::enforce)) reads it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` declares no gRPC requirements",
    note = "put `#[axum_scopes::grpc(Scheme)]` on its `impl` of the tonic service trait, with `#[requires_scopes(..)]` or `#[public]` on each method"
)]
pub trait GrpcService: Sized + Send + Sync + 'static {
    /// The type the service trait is implemented on: a wrapper `#[grpc]` defines beside the
    /// service, which only [`enforce`](super::enforce) builds, so that the service cannot be
    /// served without its layer.
    #[doc(hidden)]
    type Guarded: Send + Sync + 'static;
    /// Wraps the service; called by [`enforce`](super::enforce) only.
    #[doc(hidden)]
    fn __guard(self) -> Self::Guarded;
    /// The scheme whose catalogue the scopes come from.
    #[doc(hidden)]
    const SCHEME: &'static SchemeInfo;
    /// Each method's requirement, by its gRPC name.
    #[doc(hidden)]
    const METHODS: &'static [GrpcMethod];
}

/// One method's requirement, as `#[grpc]` declared it.
#[doc(hidden)]
#[derive(Debug)]
pub struct GrpcMethod {
    /// The method's gRPC name (`SayHello`).
    pub(crate) route: &'static str,
    pub(crate) rule: Rule,
}

/// What a method requires.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// A token granting every scope and requirement (none: any valid token).
    Scoped {
        scopes: &'static [Scope],
        requirements: &'static [Requirement],
    },
    /// Nothing: served without a token.
    Public,
    /// No declaration: refused (deny by default).
    Undeclared,
}

impl GrpcMethod {
    /// `#[requires_scopes(..)]`.
    #[must_use]
    pub const fn scoped(
        route: &'static str,
        scopes: &'static [Scope],
        requirements: &'static [Requirement],
    ) -> Self {
        Self {
            route,
            rule: Rule::Scoped {
                scopes,
                requirements,
            },
        }
    }

    /// `#[public]`.
    #[must_use]
    pub const fn public(route: &'static str) -> Self {
        Self {
            route,
            rule: Rule::Public,
        }
    }

    /// Neither.
    #[must_use]
    pub const fn undeclared(route: &'static str) -> Self {
        Self {
            route,
            rule: Rule::Undeclared,
        }
    }
}

/// The rule of the call to `path` (`/<package>.<Service>/<Method>`) of the service `service`
/// (its `NamedService::NAME`) among `methods`: [`Rule::Undeclared`] for any path that is not
/// one of them.
pub(crate) fn rule_of(service: &str, methods: &[GrpcMethod], path: &str) -> Rule {
    let method = path
        .strip_prefix('/')
        .and_then(|rest| rest.strip_prefix(service))
        .and_then(|rest| rest.strip_prefix('/'));
    method
        .and_then(|method| methods.iter().find(|declared| declared.route == method))
        .map_or(Rule::Undeclared, |declared| declared.rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHODS: &[GrpcMethod] = &[
        GrpcMethod::scoped("Get", &[], &[]),
        GrpcMethod::public("Ping"),
    ];

    #[test]
    fn a_call_is_matched_by_service_and_method_and_anything_else_is_undeclared() {
        let rule = |path| rule_of("pkg.Items", METHODS, path);
        assert!(matches!(rule("/pkg.Items/Get"), Rule::Scoped { .. }));
        assert!(matches!(rule("/pkg.Items/Ping"), Rule::Public));
        for other in [
            "/pkg.Items/Gone",
            "/pkg.Items/Ping/",
            "/pkg.Items/",
            "/pkg.Other/Ping",
            "/pkg.ItemsX/Ping",
            "pkg.Items/Ping",
            "/",
            "",
        ] {
            assert!(matches!(rule(other), Rule::Undeclared), "{other}");
        }
    }
}
