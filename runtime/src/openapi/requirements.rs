//! The security requirement of an operation: for each scheme its dependency chains end in,
//! the scopes required along them. Written into each operation by `#[requires_scopes]`
//! ([`secure_operation`]) and, for a router's requirement, in front of every operation of a
//! document ([`require_on_every_operation`]).

use utoipa::openapi::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::SecurityRequirement;

use super::responses::failure_responses;
use super::scheme::security_scheme;
use crate::dependency::tree::Param;
use crate::scheme::SchemeInfo;
use crate::scope::Scope;

/// The security requirement of an operation whose parameters are `params`.
///
/// For each scheme a chain ends in, the scopes required along the chains, outermost first,
/// merged across chains (union, first seen first). `any(..)` requirements become alternatives:
/// the list holds one requirement object per way to satisfy the operation (OpenAPI reads the
/// list as "one of"), each naming every scheme it needs. An empty list means no chain ends in a
/// scheme: the operation is not secured.
#[must_use]
pub(crate) fn security_requirements(params: &[Param]) -> Vec<SecurityRequirement> {
    let mut schemes: Vec<(&'static str, Alternatives)> = Vec::new();
    collect(params, &vec![Vec::new()], &mut schemes);
    // One object per combination of the schemes' alternatives.
    let mut objects: Vec<Vec<(&'static str, &[Scope])>> = vec![Vec::new()];
    for (name, alternatives) in &schemes {
        objects = objects
            .iter()
            .flat_map(|object| {
                alternatives.iter().map(move |scopes| {
                    let mut object = object.clone();
                    object.push((*name, scopes.as_slice()));
                    object
                })
            })
            .collect();
    }
    objects
        .into_iter()
        .filter_map(|object| {
            let mut entries = object.into_iter();
            let (name, scopes) = entries.next()?;
            let first = SecurityRequirement::new(name, scopes.iter().map(|scope| scope.as_str()));
            Some(entries.fold(first, |requirement, (name, scopes)| {
                requirement.add(name, scopes.iter().map(|scope| scope.as_str()))
            }))
        })
        .collect()
}

/// Ways to satisfy a requirement: each a set of scopes, in the order first required.
type Alternatives = Vec<Vec<Scope>>;

fn collect(
    params: &[Param],
    above: &Alternatives,
    schemes: &mut Vec<(&'static str, Alternatives)>,
) {
    for param in params {
        match *param {
            Param::Credential(scheme) => {
                match schemes.iter_mut().find(|(name, _)| *name == scheme.name) {
                    // Both chains must pass: every pair of their alternatives, joined.
                    Some((_, existing)) => *existing = join(existing, above),
                    None => schemes.push((scheme.name, above.clone())),
                }
            }
            Param::Dependency {
                info,
                scopes,
                requirements,
                ..
            } => {
                let plain: Vec<Scope> = scopes.iter().chain(info.scopes).copied().collect();
                let mut below = join(above, &vec![plain]);
                for requirement in requirements.iter().chain(info.requirements) {
                    below = join(&below, &requirement.alternatives());
                }
                collect(info.params, &below, schemes);
            }
            _ => {}
        }
    }
}

/// The alternatives that satisfy both `left` and `right`.
fn join(left: &Alternatives, right: &Alternatives) -> Alternatives {
    let mut joined: Alternatives = Vec::new();
    for a in left {
        for b in right {
            let mut scopes = a.clone();
            for scope in b {
                if !scopes.contains(scope) {
                    scopes.push(*scope);
                }
            }
            if !joined.contains(&scopes) {
                joined.push(scopes);
            }
        }
    }
    joined
}

/// `operation` with the security requirement and the failure answers of `params`.
///
/// The handler's own documented answers win over its dependencies' for the same status.
#[must_use]
pub fn secure_operation(mut operation: Operation, params: &[Param]) -> Operation {
    let requirements = security_requirements(params);
    if !requirements.is_empty() {
        operation.security = Some(requirements);
    }
    for (status, response) in failure_responses(params) {
        operation
            .responses
            .responses
            .entry(status)
            .or_insert(response);
    }
    operation
}

/// Puts the requirement of `params` (a router's, see the `routing` module) in front of every
/// operation of `openapi`: each alternative of the operation's `security` is combined with each
/// of the router's, the scopes of a scheme both name merged with the router's first; an
/// operation without `security` gets the router's. The dependency's failure answers are added
/// where the operation documents none for their status, and the schemes of its credentials to
/// the components where they are missing.
pub(crate) fn require_on_every_operation(openapi: &mut OpenApi, params: &[Param]) {
    let outer: Vec<Alternative> = security_requirements(params)
        .iter()
        .map(read_requirement)
        .collect();
    let responses = failure_responses(params);
    let mut schemes = Vec::new();
    credential_schemes(params, &mut schemes);
    let components = openapi.components.get_or_insert_with(Default::default);
    for scheme in schemes {
        if !components.security_schemes.contains_key(scheme.name) {
            components.add_security_scheme(scheme.name, security_scheme(scheme));
        }
    }
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            if !outer.is_empty() {
                let own: Vec<Alternative> = operation.security.as_ref().map_or_else(
                    || vec![Vec::new()],
                    |requirements| requirements.iter().map(read_requirement).collect(),
                );
                let combined = outer
                    .iter()
                    .flat_map(|router| own.iter().map(move |own| merge(router, own)))
                    .filter_map(|alternative| write_requirement(&alternative))
                    .collect();
                operation.security = Some(combined);
            }
            for (status, response) in &responses {
                operation
                    .responses
                    .responses
                    .entry(status.clone())
                    .or_insert_with(|| response.clone());
            }
        }
    }
}

/// The schemes of the credentials anywhere below `params`, each once.
fn credential_schemes(params: &[Param], schemes: &mut Vec<&'static SchemeInfo>) {
    for param in params {
        match *param {
            Param::Credential(scheme) if !schemes.iter().any(|known| known.name == scheme.name) => {
                schemes.push(scheme);
            }
            Param::Dependency { info, .. } => credential_schemes(info.params, schemes),
            _ => {}
        }
    }
}

/// `outer` and `inner` together: every scheme of either, the scopes of one both name merged,
/// `outer`'s first.
fn merge(outer: &Alternative, inner: &Alternative) -> Alternative {
    let mut merged = outer.clone();
    for (scheme, scopes) in inner {
        match merged.iter_mut().find(|(name, _)| name == scheme) {
            Some((_, existing)) => {
                for scope in scopes {
                    if !existing.contains(scope) {
                        existing.push(scope.clone());
                    }
                }
            }
            None => merged.push((scheme.clone(), scopes.clone())),
        }
    }
    merged
}

/// One security requirement object as `(scheme, scopes)` pairs. A requirement that does not
/// serialize to an object reads as an empty alternative, which
/// [`Route::is_secured`](super::Route::is_secured) refuses.
pub(crate) fn read_requirement(requirement: &SecurityRequirement) -> Alternative {
    let value = serde_json::to_value(requirement).unwrap_or_default();
    value
        .as_object()
        .into_iter()
        .flatten()
        .map(|(scheme, scopes)| {
            let scopes = scopes
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|scope| scope.as_str().map(str::to_owned))
                .collect();
            (scheme.clone(), scopes)
        })
        .collect()
}

/// The requirement object of `alternative`; `None` for an empty one.
fn write_requirement(alternative: &Alternative) -> Option<SecurityRequirement> {
    let mut entries = alternative.iter();
    let (name, scopes) = entries.next()?;
    let first = SecurityRequirement::new(name, scopes.iter().map(String::as_str));
    Some(entries.fold(first, |requirement, (name, scopes)| {
        requirement.add(name, scopes.iter().map(String::as_str))
    }))
}

/// One way to satisfy a route: every `(scheme, scopes)` listed.
pub type Alternative = Vec<(String, Vec<String>)>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::tree::DependencyInfo;
    use crate::scheme::ScopeInfo;

    const SCHEME: SchemeInfo = SchemeInfo::new(
        "OAuth2PasswordBearer",
        crate::scheme::SchemeKind::OAuth2(&[crate::scheme::Flow::Password {
            token_url: "token",
            refresh_url: None,
        }]),
        &[
            ScopeInfo::new(Scope::new("me"), "Me."),
            ScopeInfo::new(Scope::new("items"), "Items."),
        ],
    );
    const LEAF: DependencyInfo = DependencyInfo::new(
        "leaf",
        &[],
        &[Param::SecurityScopes, Param::Credential(&SCHEME)],
    );
    const MIDDLE: DependencyInfo = DependencyInfo::new(
        "middle",
        &[Scope::new("me")],
        &[Param::Dependency {
            info: &LEAF,
            scopes: &[],
            requirements: &[],
            use_cache: true,
        }],
    );

    const ITEMS: &[Scope] = &[Scope::new("items")];

    fn json(requirements: &[SecurityRequirement]) -> String {
        serde_json::to_string(requirements).unwrap()
    }

    #[test]
    fn tutorial_requirements() {
        let items = [Param::Dependency {
            info: &MIDDLE,
            scopes: ITEMS,
            requirements: &[],
            use_cache: true,
        }];
        assert_eq!(
            json(&security_requirements(&items)),
            r#"[{"OAuth2PasswordBearer":["items","me"]}]"#
        );
        let status = [Param::Dependency {
            info: &LEAF,
            scopes: &[],
            requirements: &[],
            use_cache: true,
        }];
        assert_eq!(
            json(&security_requirements(&status)),
            r#"[{"OAuth2PasswordBearer":[]}]"#
        );
        assert!(security_requirements(&[Param::Extractor]).is_empty());
    }

    #[test]
    fn chains_merge_per_scheme() {
        let params = [
            Param::Dependency {
                info: &LEAF,
                scopes: ITEMS,
                requirements: &[],
                use_cache: true,
            },
            Param::Dependency {
                info: &MIDDLE,
                scopes: &[],
                requirements: &[],
                use_cache: true,
            },
        ];
        assert_eq!(
            json(&security_requirements(&params)),
            r#"[{"OAuth2PasswordBearer":["items","me"]}]"#
        );
    }

    #[test]
    fn any_becomes_alternatives() {
        use crate::scope::Requirement;
        const ANY: &[Requirement] = &[Requirement::Any(&[
            Requirement::Scope(Scope::new("items")),
            Requirement::Scope(Scope::new("admin")),
        ])];
        let params = [Param::Dependency {
            info: &MIDDLE,
            scopes: &[],
            requirements: ANY,
            use_cache: true,
        }];
        assert_eq!(
            json(&security_requirements(&params)),
            r#"[{"OAuth2PasswordBearer":["me","items"]},{"OAuth2PasswordBearer":["me","admin"]}]"#
        );
    }
}
