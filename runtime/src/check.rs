//! The compile-time checks the macros emit: `const` evaluations over the static scope tree.
//!
//! The macros see one function at a time and cannot name the scheme a handler's chains end in:
//! only the types of its parameters reach it. So they emit `const _` items that walk the tree
//! of [`Param`]s here and panic, at the user's literal, with a message built in a const buffer.

use crate::dependency::SecurityParam;
use crate::dependency::edge::{Edge, Scopes};
use crate::dependency::tree::Param;
use crate::scheme::SchemeInfo;
use crate::scope::{Scope, str_eq};

/// The first scheme reached below `params` whose catalogue does not declare `scope`.
#[must_use]
pub const fn scheme_lacking(params: &[Param], scope: &str) -> Option<&'static SchemeInfo> {
    let mut i = 0;
    while i < params.len() {
        match params[i] {
            Param::Credential(scheme) if !declares(scheme, scope) => return Some(scheme),
            Param::Dependency { info, .. } => {
                if let Some(scheme) = scheme_lacking(info.params, scope) {
                    return Some(scheme);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

const fn declares(scheme: &SchemeInfo, scope: &str) -> bool {
    let mut i = 0;
    while i < scheme.scopes.len() {
        if str_eq(scheme.scopes[i].scope.as_str(), scope) {
            return true;
        }
        i += 1;
    }
    false
}

/// The first of `scopes` that a scheme below `params` does not declare, with that scheme.
#[must_use]
pub(crate) const fn first_lacking(
    params: &[Param],
    scopes: &[Scope],
) -> Option<(&'static str, &'static SchemeInfo)> {
    let mut i = 0;
    while i < scopes.len() {
        if let Some(scheme) = scheme_lacking(params, scopes[i].as_str()) {
            return Some((scopes[i].as_str(), scheme));
        }
        i += 1;
    }
    None
}

/// A compile error at the caller (the user's literal `scope`) when `scope` is the one
/// `first_lacking` found.
///
/// # Panics
///
/// Then, with [`unknown_scope`]'s message: in a `const`, a compile error.
#[track_caller]
pub const fn assert_declared(lacking: Option<(&'static str, &'static SchemeInfo)>, scope: &str) {
    if let Some((lacking, scheme)) = lacking
        && str_eq(lacking, scope)
    {
        panic!("{}", unknown_scope(scope, scheme).as_str());
    }
}

/// A compile error at the caller (the user's attribute) when nothing below it enforces the
/// scopes: `attribute` on `owner` is never enforced.
///
/// # Panics
///
/// Unless `enforces`: in a `const`, a compile error.
#[track_caller]
pub const fn assert_enforced(enforces: bool, attribute: &str, owner: &str) {
    if !enforces {
        let message = Message::new()
            .push("`")
            .push(attribute)
            .push("` on `")
            .push(owner)
            .push(
                "` is never enforced: no dependency below it takes `SecurityScopes`; take \
                 `security_scopes: SecurityScopes` in the dependency that verifies the token and \
                 compare it with the token's scopes",
            );
        panic!("{}", message.as_str());
    }
}

/// A compile-time error message, built in a fixed buffer because `const` code cannot allocate.
pub struct Message {
    buf: [u8; Self::CAPACITY],
    len: usize,
}

impl Message {
    const CAPACITY: usize = 1024;
    const ELLIPSIS: &'static str = "...";

    const fn new() -> Self {
        Self {
            buf: [0; Self::CAPACITY],
            len: 0,
        }
    }

    /// Appends `text`, cut short with `...` when the buffer is full.
    const fn push(mut self, text: &str) -> Self {
        if self.len > Self::CAPACITY - Self::ELLIPSIS.len() {
            // Already cut short.
            return self;
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if self.len == Self::CAPACITY - Self::ELLIPSIS.len() {
                let dots = Self::ELLIPSIS.as_bytes();
                let mut j = 0;
                while j < dots.len() {
                    self.buf[self.len] = dots[j];
                    self.len += 1;
                    j += 1;
                }
                return self;
            }
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// The message.
    #[must_use]
    pub const fn as_str(&self) -> &str {
        let (bytes, _) = self.buf.split_at(self.len);
        // Only whole `&str`s and ASCII dots are pushed, except where the cut falls inside a
        // multi-byte character; scopes are ASCII and scheme names are the user's identifiers.
        match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => "unknown scope",
        }
    }
}

/// ``unknown scope `itmes` for `OAuth2PasswordBearer`; did you mean `items`? declared scopes:
/// `me`, `items` ``
#[must_use]
pub const fn unknown_scope(scope: &str, scheme: &SchemeInfo) -> Message {
    let mut message = Message::new()
        .push("unknown scope `")
        .push(scope)
        .push("` for `")
        .push(scheme.name)
        .push("`");
    message = match nearest(scope, scheme) {
        Some(nearest) => message.push("; did you mean `").push(nearest).push("`? "),
        None => message.push("; "),
    };
    if scheme.scopes.is_empty() {
        return message.push("the scheme declares no scopes: add it to the scheme's `scopes`");
    }
    message = message.push("declared scopes: ");
    let mut i = 0;
    while i < scheme.scopes.len() {
        if i > 0 {
            message = message.push(", ");
        }
        message = message
            .push("`")
            .push(scheme.scopes[i].scope.as_str())
            .push("`");
        i += 1;
    }
    message
}

/// The declared scope nearest to `scope` by edit distance, if it is near enough to be a typo.
const fn nearest(scope: &str, scheme: &SchemeInfo) -> Option<&'static str> {
    let mut best: Option<&'static str> = None;
    let mut best_distance = usize::MAX;
    let mut i = 0;
    while i < scheme.scopes.len() {
        let candidate = scheme.scopes[i].scope.as_str();
        let distance = edit_distance(scope.as_bytes(), candidate.as_bytes());
        if distance < best_distance {
            best_distance = distance;
            best = Some(candidate);
        }
        i += 1;
    }
    // As rustc's own suggestions: at most a third of the length, and at least one edit.
    let limit = if scope.len() / 3 > 1 {
        scope.len() / 3
    } else {
        1
    };
    if best_distance <= limit { best } else { None }
}

/// Optimal string alignment distance (Levenshtein with transpositions), on the first 64 bytes
/// of each scope, keeping three rows of the table.
const fn edit_distance(left: &[u8], right: &[u8]) -> usize {
    const MAX: usize = 64;
    let rows = if left.len() < MAX { left.len() } else { MAX };
    let cols = if right.len() < MAX { right.len() } else { MAX };
    let mut before = [0usize; MAX + 1];
    let mut previous = [0usize; MAX + 1];
    let mut current = [0usize; MAX + 1];
    let mut col = 0;
    while col <= cols {
        previous[col] = col;
        col += 1;
    }
    let mut row = 1;
    while row <= rows {
        current[0] = row;
        col = 1;
        while col <= cols {
            let cost = if left[row - 1] == right[col - 1] {
                0
            } else {
                1
            };
            let mut best = min(
                previous[col] + 1,
                min(current[col - 1] + 1, previous[col - 1] + cost),
            );
            if row > 1
                && col > 1
                && left[row - 1] == right[col - 2]
                && left[row - 2] == right[col - 1]
            {
                best = min(best, before[col - 2] + 1);
            }
            current[col] = best;
            col += 1;
        }
        before = previous;
        previous = current;
        row += 1;
    }
    previous[cols]
}

const fn min(a: usize, b: usize) -> usize {
    if a < b { a } else { b }
}

/// The compile-time checks of an [`Edge`] over the parameter `P` (`Security<D>`), evaluated
/// once per pair however many handlers share it.
pub trait EdgeChecks<P> {
    /// The first scope of the edge some scheme below `P` does not declare, with that scheme.
    const LACKING: Option<(&'static str, &'static SchemeInfo)>;
}

impl<L: Scopes + 'static, P: SecurityParam> EdgeChecks<P> for Edge<L> {
    const LACKING: Option<(&'static str, &'static SchemeInfo)> =
        first_lacking(&[P::BARE], L::SCOPES);
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn message_with_suggestion() {
        assert_eq!(
            unknown_scope("itmes", &SCHEME).as_str(),
            "unknown scope `itmes` for `OAuth2PasswordBearer`; did you mean `items`? declared scopes: `me`, `items`"
        );
    }

    #[test]
    fn message_without_suggestion() {
        assert_eq!(
            unknown_scope("admin", &SCHEME).as_str(),
            "unknown scope `admin` for `OAuth2PasswordBearer`; declared scopes: `me`, `items`"
        );
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance(b"itmes", b"items"), 1);
        assert_eq!(edit_distance(b"", b"me"), 2);
        assert_eq!(edit_distance(b"kitten", b"sitting"), 3);
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(2000);
        let long: &'static str = Box::leak(long.into_boxed_str());
        let message = unknown_scope(long, &SCHEME);
        assert!(message.as_str().ends_with("..."));
        assert_eq!(message.as_str().len(), Message::CAPACITY);
    }
}
