//! The `htu` comparison (RFC 9449 §4.3 step 9): the proof's URI and the request's, both
//! without query and fragment, after RFC 3986's syntax-based normalisation (case of the scheme
//! and host, percent-encoding, dot segments, §6.2.2) and scheme-based normalisation (default
//! port, empty path, §6.2.3).
//!
//! The request's URI is rebuilt from the external origin the server is configured with, never
//! from its `Host` header (unless `dangerous` says so): a proof captured for another origin
//! must not pass here. `http::Uri` parses; the normalisation is the few rules above.

use http::Uri;

/// The server's external origin and path prefix, normalised: what a request's URI starts with
/// as its clients see it (behind a proxy as well).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct External {
    /// `https` or `http`, lower case.
    scheme: Box<str>,
    /// `host[:port]`, the host in lower case, the default port left out.
    authority: Box<str>,
    /// The path prefix the proxy strips, normalised, without a trailing `/` (empty for none).
    prefix: Box<str>,
}

impl External {
    /// Parses `url`: `https://host[:port][/prefix]` (or `http`), without user, query or
    /// fragment.
    pub(crate) fn parse(url: &str) -> Option<Self> {
        if url.contains(['?', '#']) {
            return None;
        }
        let normal = Normal::parse(url)?;
        let prefix = normal.path.trim_end_matches('/');
        Some(Self {
            scheme: normal.scheme.into(),
            authority: normal.authority.into(),
            prefix: prefix.into(),
        })
    }

    /// The normalised URI of a request for `path` (as the router saw it) on `host`, or on the
    /// configured authority when `host` is `None`.
    pub(crate) fn request_uri(&self, path: &str, host: Option<&str>) -> Option<String> {
        let authority = match host {
            Some(host) => authority(&self.scheme, &host.parse().ok()?)?,
            None => self.authority.to_string(),
        };
        let path = normalize_path(path.split(['?', '#']).next().unwrap_or(""))?;
        let mut uri = String::with_capacity(
            self.scheme.len() + 3 + authority.len() + self.prefix.len() + path.len(),
        );
        uri.push_str(&self.scheme);
        uri.push_str("://");
        uri.push_str(&authority);
        uri.push_str(&self.prefix);
        uri.push_str(&path);
        Some(uri)
    }
}

/// `htu` normalised and without query and fragment, or `None` when it is not an absolute
/// `http(s)` URI.
pub(crate) fn normalize(htu: &str) -> Option<String> {
    let normal = Normal::parse(htu.split(['?', '#']).next().unwrap_or(""))?;
    Some(format!(
        "{}://{}{}",
        normal.scheme, normal.authority, normal.path
    ))
}

/// An absolute `http(s)` URI's normalised parts.
struct Normal {
    scheme: String,
    authority: String,
    path: String,
}

impl Normal {
    fn parse(text: &str) -> Option<Self> {
        let uri: Uri = text.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let authority = uri.authority()?;
        if authority.as_str().contains('@') {
            return None;
        }
        Some(Self {
            authority: self::authority(&scheme, authority)?,
            path: normalize_path(uri.path())?,
            scheme,
        })
    }
}

/// `host[:port]`, the host in lower case, the scheme's default port left out.
fn authority(scheme: &str, authority: &http::uri::Authority) -> Option<String> {
    let host = authority.host();
    if host.is_empty() {
        return None;
    }
    let host = host.to_ascii_lowercase();
    let default = if scheme == "https" { 443 } else { 80 };
    Some(match authority.port_u16() {
        Some(port) if port != default => format!("{host}:{port}"),
        _ => host,
    })
}

/// A path with percent-encodings normalised (hex digits in upper case, unreserved characters
/// decoded) and dot segments removed; `/` for an empty path. `None` for a broken
/// percent-encoding.
fn normalize_path(path: &str) -> Option<String> {
    let decoded = normalize_percent(path)?;
    Some(remove_dot_segments(&decoded))
}

fn normalize_percent(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            if value.is_ascii_alphanumeric() || matches!(value, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(value));
            } else {
                out.push('%');
                out.push_str(&std::str::from_utf8(hex).ok()?.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(char::from(bytes[i]));
            i += 1;
        }
    }
    Some(out)
}

/// RFC 3986 §5.2.4 for an absolute path (or an empty one, which becomes `/`).
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut segments = path.strip_prefix('/').unwrap_or(path).split('/').peekable();
    let mut trailing = false;
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        match segment {
            "." => trailing = last,
            ".." => {
                out.pop();
                trailing = last;
            }
            segment => {
                out.push(segment);
                trailing = false;
            }
        }
    }
    let mut normal = String::with_capacity(path.len() + 1);
    for segment in &out {
        normal.push('/');
        normal.push_str(segment);
    }
    if trailing || normal.is_empty() {
        normal.push('/');
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3986_normalisation() {
        let n = |uri| normalize(uri);
        assert_eq!(
            n("HTTPS://API.Example.COM:443/items").unwrap(),
            "https://api.example.com/items"
        );
        assert_eq!(n("http://a.test:80").unwrap(), "http://a.test/");
        assert_eq!(
            n("http://a.test:8080/x?q=1#f").unwrap(),
            "http://a.test:8080/x"
        );
        assert_eq!(n("http://a.test/a/./b/../c").unwrap(), "http://a.test/a/c");
        assert_eq!(n("http://a.test/a/b/..").unwrap(), "http://a.test/a/");
        assert_eq!(
            n("http://a.test/%7euser/%2f%41").unwrap(),
            "http://a.test/~user/%2FA"
        );
        assert_eq!(n("http://a.test/items/").unwrap(), "http://a.test/items/");
        assert!(n("http://a.test/%zz").is_none());
        assert!(n("ftp://a.test/x").is_none());
        assert!(n("/relative").is_none());
        assert!(n("http://user@a.test/x").is_none());
        assert!(n("").is_none());
    }

    #[test]
    fn the_request_uri_comes_from_the_configured_origin() {
        let external = External::parse("https://API.example.com:443/v1/").unwrap();
        assert_eq!(
            external.request_uri("/items/%7e", None).unwrap(),
            "https://api.example.com/v1/items/~"
        );
        assert_eq!(
            external
                .request_uri("/items", Some("other.test:8443"))
                .unwrap(),
            "https://other.test:8443/v1/items"
        );
        assert!(External::parse("https://a.test/?q").is_none());
        assert!(External::parse("a.test").is_none());
    }
}
