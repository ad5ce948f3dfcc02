//! The catalogue's `implies [..]`: checked, and closed transitively at compile time.

use syn::LitStr;

use super::ScopeEntry;
use crate::ast::Errors;

/// Checks the catalogue's implications (every implied scope declared, none implying itself, no
/// cycle), reporting each error at its literal, and returns each valid scope's implied scopes,
/// closed transitively, in catalogue order.
pub(super) fn implications(valid: &[&ScopeEntry], errors: &mut Errors) -> Vec<Vec<String>> {
    let names: Vec<String> = valid.iter().map(|entry| entry.scope.value()).collect();
    // Direct edges, by index.
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); valid.len()];
    for (from, entry) in valid.iter().enumerate() {
        for implied in &entry.implies {
            let text = implied.value();
            match names.iter().position(|name| *name == text) {
                Some(to) if to == from => errors.push(syn::Error::new(
                    implied.span(),
                    format!("`{text}` implies itself; remove it from its own `implies` list"),
                )),
                Some(to) => {
                    if !edges[from].contains(&to) {
                        edges[from].push(to);
                    }
                }
                None => {
                    let others = names.iter().enumerate().filter(|(at, _)| *at != from);
                    let nearest = crate::suggest::nearest(
                        &text,
                        others.clone().map(|(_, name)| name.as_str()),
                    );
                    let hint = if let Some(nearest) = nearest {
                        format!("did you mean `{nearest}`?")
                    } else {
                        let declared: Vec<String> =
                            others.map(|(_, name)| format!("`{name}`")).collect();
                        if declared.is_empty() {
                            format!("declare it (`\"{text}\" => \"...\"`)")
                        } else {
                            format!(
                                "declare it (`\"{text}\" => \"...\"`) or imply one of {}",
                                declared.join(", ")
                            )
                        }
                    };
                    errors.push(syn::Error::new(
                        implied.span(),
                        format!(
                            "`{text}`, implied by `{}`, is not in the catalogue; {hint}",
                            entry.scope.value()
                        ),
                    ));
                }
            }
        }
    }
    // A cycle: report it once, at the implication that closes it.
    let mut reported = false;
    for start in 0..valid.len() {
        if reported {
            break;
        }
        if let Some(path) = cycle_from(start, &edges) {
            let closing = path[path.len() - 2];
            let implied = valid[closing]
                .implies
                .iter()
                .find(|lit| lit.value() == names[start])
                .map_or_else(|| valid[closing].scope.span(), LitStr::span);
            let chain = path
                .iter()
                .map(|&i| format!("`{}`", names[i]))
                .collect::<Vec<_>>()
                .join(" implies ");
            errors.push(syn::Error::new(
                implied,
                format!(
                    "implication cycle: {chain}; scopes that imply each other grant the same, so keep one of them or drop an implication"
                ),
            ));
            reported = true;
        }
    }
    // The transitive closure, in catalogue order, without the scope itself.
    (0..valid.len())
        .map(|from| {
            let mut seen = vec![false; valid.len()];
            let mut stack = edges[from].clone();
            while let Some(next) = stack.pop() {
                if next != from && !seen[next] {
                    seen[next] = true;
                    stack.extend(edges[next].iter().copied());
                }
            }
            (0..valid.len())
                .filter(|&i| seen[i])
                .map(|i| names[i].clone())
                .collect()
        })
        .collect()
}

/// A path `start -> .. -> start` through `edges`, if there is one.
fn cycle_from(start: usize, edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    fn walk(
        node: usize,
        start: usize,
        edges: &[Vec<usize>],
        path: &mut Vec<usize>,
        seen: &mut [bool],
    ) -> bool {
        for &next in &edges[node] {
            if next == start {
                path.push(next);
                return true;
            }
            if !seen[next] {
                seen[next] = true;
                path.push(next);
                if walk(next, start, edges, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start];
    let mut seen = vec![false; edges.len()];
    walk(start, start, edges, &mut path, &mut seen).then_some(path)
}
