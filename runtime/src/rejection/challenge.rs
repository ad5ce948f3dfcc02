//! Writing a `WWW-Authenticate` challenge (RFC 7235 §2.1), and the parameters a configuration
//! adds to every challenge: the [`Realm`] and the RFC 9728 [`ResourceMetadata`] URL.

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;

/// The `realm` of a challenge (RFC 7235 §2.2): text that names the protection space.
///
/// Holds printable ASCII, spaces and tabs; `"` and `\` are escaped when the challenge is written.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Realm(Arc<str>);

impl Realm {
    /// A realm, or why `realm` cannot be one.
    ///
    /// # Errors
    ///
    /// [`InvalidRealm`] when `realm` holds a control character or a non-ASCII character, which
    /// a header cannot carry portably.
    pub fn new(realm: impl Into<Arc<str>>) -> Result<Self, InvalidRealm> {
        let realm = realm.into();
        if realm.bytes().all(is_quotable) {
            Ok(Self(realm))
        } else {
            Err(InvalidRealm(()))
        }
    }

    /// The realm as configured, unescaped.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Realm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// The URL of a protected resource's RFC 9728 metadata document, as bearer challenges name it
/// (`resource_metadata="<url>"`) so that a client can find the authorization server from a 401
/// alone. `openapi::ProtectedResource` serves the document and knows its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMetadata(Arc<str>);

impl ResourceMetadata {
    /// The metadata URL, or why it cannot be one: an absolute `https://` or `http://` URL of
    /// printable ASCII without spaces, quotes or backslashes.
    ///
    /// # Errors
    ///
    /// [`InvalidResourceMetadata`] for anything else.
    pub fn new(url: impl Into<Arc<str>>) -> Result<Self, InvalidResourceMetadata> {
        let url = url.into();
        let absolute = url.starts_with("https://") || url.starts_with("http://");
        let plain = url
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if absolute && plain {
            Ok(Self(url))
        } else {
            Err(InvalidResourceMetadata(()))
        }
    }

    /// The URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The error of [`ResourceMetadata::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid resource metadata URL: an absolute http(s) URL of printable ASCII without spaces, quotes or backslashes"
)]
pub struct InvalidResourceMetadata(());

/// What challenges say of DPoP when an authenticator accepts it (RFC 9449 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DpopChallenge {
    /// The accepted proof algorithms, space separated.
    pub(crate) algs: Box<str>,
    /// Whether Bearer tokens are accepted too.
    pub(crate) bearer: bool,
}

/// The error of [`Realm::new`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid realm: a realm holds printable ASCII characters, spaces and tabs only")]
pub struct InvalidRealm(());

/// Writes a challenge (RFC 7235 §2.1): `scheme`, then each `name="value"`, comma separated.
///
/// Values are written as quoted strings with `"` and `\` escaped. Returns `None` when `scheme`
/// or a name is not an RFC 7230 token, or a value holds a control or non-ASCII character.
///
/// ```
/// use axum_scopes::rejection::challenge;
///
/// let value = challenge("Bearer", &[("realm", r#"say "hi""#), ("error", "invalid_token")]);
/// assert_eq!(value.unwrap(), r#"Bearer realm="say \"hi\"", error="invalid_token""#);
/// assert!(challenge("Bearer", &[("realm", "line\nbreak")]).is_none());
/// ```
#[must_use]
pub fn challenge<'a, I>(scheme: &str, params: I) -> Option<HeaderValue>
where
    I: IntoIterator<Item = &'a (&'a str, &'a str)>,
{
    if !is_token(scheme) {
        return None;
    }
    let mut value = String::from(scheme);
    for (i, (name, param)) in params.into_iter().enumerate() {
        if !is_token(name) || !param.bytes().all(is_quotable) {
            return None;
        }
        value.push_str(if i == 0 { " " } else { ", " });
        value.push_str(name);
        value.push_str("=\"");
        for c in param.chars() {
            if matches!(c, '"' | '\\') {
                value.push('\\');
            }
            value.push(c);
        }
        value.push('"');
    }
    HeaderValue::try_from(value).ok()
}

/// RFC 7230 `token`: one or more `tchar`.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A byte a quoted string can carry, escaped or not: HTAB, SP and visible ASCII.
fn is_quotable(byte: u8) -> bool {
    byte == b'\t' || (0x20..=0x7e).contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_quote_and_escape() {
        let value = |params: &[(&str, &str)]| {
            challenge("Bearer", params).map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(value(&[]).unwrap(), "Bearer");
        assert_eq!(
            value(&[("realm", "a\\b\"c"), ("scope", "x y")]).unwrap(),
            r#"Bearer realm="a\\b\"c", scope="x y""#
        );
        assert_eq!(
            value(&[("realm", "tab\there")]).unwrap(),
            "Bearer realm=\"tab\there\""
        );
        assert!(value(&[("realm", "é")]).is_none());
        assert!(value(&[("realm", "\r\nSet-Cookie: x")]).is_none());
        assert!(value(&[("bad name", "x")]).is_none());
        assert!(challenge("Two words", &[]).is_none());
        assert!(challenge("", &[]).is_none());
    }

    #[test]
    fn realm_is_validated() {
        assert_eq!(Realm::new("my \"api\"").unwrap().as_str(), "my \"api\"");
        assert!(Realm::new("new\nline").is_err());
        assert!(Realm::new("café").is_err());
        assert!(Realm::new("").is_ok());
    }
}
