//! Where credentials travel (header, query, cookie), the CSRF rule for cookies, and API keys.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use http::HeaderValue;
use http::header::{AUTHORIZATION, COOKIE};
use http::request::Parts;

use crate::rejection::{AuthError, CredentialKind, InvalidRequest};

mod api_key;
pub(crate) mod bearer;
mod config;
mod csrf;
mod layer;
mod websocket;

pub use self::api_key::{ApiKey, ApiKeys};
pub use self::bearer::{BearerToken, Credential, MissingBearerToken, bearer_token};
pub use self::config::AuthConfig;
pub use self::csrf::CsrfPolicy;
pub use self::layer::{Completing, Configured};
pub use self::websocket::{TOKEN_PROTOCOL_PREFIX, WebSocketProtocol};

/// Where a credential travels in a request: a header, a query parameter, a cookie, or a
/// combination of them.
///
/// The sources of this crate are marker types: [`BearerHeader`], [`TokenCookie<N>`],
/// [`ApiKeyHeader<N>`], [`ApiKeyQuery<N>`] and [`ApiKeyCookie<N>`], where `N` names the header,
/// parameter or cookie through [`CredentialName`]. A pair `(A, B)` (or triple) looks in every
/// place and rejects a request that uses more than one, as RFC 6750 §2 requires.
///
/// Extractors call [`find_credential`], which adds the [`CsrfPolicy`] check for cookies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a credential source",
    label = "not a source of credentials",
    note = "use `BearerHeader`, `TokenCookie<N>`, `ApiKeyHeader<N>`, `ApiKeyQuery<N>`, `ApiKeyCookie<N>` or a tuple of them",
    note = "`ApiKey<S>` takes a scheme declared with `api_key: {{ .. }}`; a scheme of another kind is read by `Authenticated<C, S>` or `BearerToken<S>`"
)]
pub trait CredentialSource: Send + Sync + 'static {
    /// The kind of credential, which decides the challenge of the answers.
    const KIND: CredentialKind;

    /// Finds the credential in `parts`, borrowing it where it needs no decoding.
    ///
    /// # Errors
    ///
    /// [`AuthErrorKind::InvalidRequest`](crate::rejection::AuthErrorKind::InvalidRequest) when the place
    /// is ambiguous: repeated, malformed, or several places used at once.
    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError>;
}

/// Where the credential of a [`Scheme`](crate::Scheme) travels: what
/// [`Authenticated<C, S>`](crate::Authenticated) reads.
///
/// The scheme macros implement it: OAuth2, OpenID Connect and HTTP bearer schemes read the
/// `Authorization: Bearer` header ([`BearerHeader`]); an API-key or token-cookie scheme is its
/// own source, reading the header, query parameter or cookie it declares (so what OpenAPI
/// documents is what the extractor reads).
pub trait SchemeSource: crate::Scheme {
    /// The scheme's credential source.
    type Source: CredentialSource;
}

/// The name of a header, query parameter or cookie that carries a credential.
///
/// ```
/// use axum_scopes::credential::{ApiKeyHeader, CredentialName};
///
/// /// `X-API-Key`, as in FastAPI's `APIKeyHeader(name="X-API-Key")`.
/// struct XApiKey;
///
/// impl CredentialName for XApiKey {
///     const NAME: &'static str = "x-api-key";
/// }
///
/// type Source = ApiKeyHeader<XApiKey>;
/// ```
pub trait CredentialName: Send + Sync + 'static {
    /// The name. Headers compare it case-insensitively (an invalid header name never matches);
    /// query parameters and cookies compare it exactly.
    const NAME: &'static str;
}

/// Where a [`RawCredential`] was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// The `Authorization` header, `Bearer` scheme.
    Authorization,
    /// The `Authorization` header, `DPoP` scheme (RFC 9449 §7.1): its proof travels in the
    /// `DPoP` header.
    Dpop,
    /// Another header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie: subject to the [`CsrfPolicy`].
    Cookie,
    /// A WebSocket subprotocol ([`WebSocketProtocol`]).
    WebSocketProtocol,
}

/// A credential as sent, not yet verified.
///
/// Borrows from the request unless it had to be decoded (a percent-encoded query parameter).
/// Its bytes may not be UTF-8. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct RawCredential<'a> {
    value: Cow<'a, [u8]>,
    location: Location,
}

impl<'a> RawCredential<'a> {
    /// A credential found at `location`.
    #[must_use]
    pub fn new(value: impl Into<Cow<'a, [u8]>>, location: Location) -> Self {
        Self {
            value: value.into(),
            location,
        }
    }

    /// The credential's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.value
    }

    /// The credential as text, or `None` when it is not UTF-8.
    #[must_use]
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.value).ok()
    }

    /// Where it was found.
    #[must_use]
    pub fn location(&self) -> Location {
        self.location
    }
}

impl fmt::Debug for RawCredential<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A credential: never print it.
        f.debug_struct("RawCredential")
            .field("value", &"[redacted]")
            .field("location", &self.location)
            .finish()
    }
}

/// Finds the credential of `C` and applies `config`'s [`CsrfPolicy`] when it is a cookie (the
/// router's config, when [`AuthConfig`] is installed as its layer).
///
/// `Ok(None)` means no credential at all; the caller decides whether that is an error. The
/// errors carry no config: attach it with [`AuthError::with_config`].
///
/// # Errors
///
/// What [`CredentialSource::extract`] reports, and
/// [`AuthErrorKind::CrossSiteRequest`](crate::rejection::AuthErrorKind::CrossSiteRequest) when a cookie
/// credential fails the CSRF policy.
pub fn find_credential<'p, C: CredentialSource>(
    parts: &'p Parts,
    config: &AuthConfig,
) -> Result<Option<RawCredential<'p>>, AuthError> {
    let found = C::extract(parts)?;
    if found
        .as_ref()
        .is_some_and(|credential| credential.location == Location::Cookie)
    {
        AuthConfig::of(parts, config).csrf().check(parts)?;
    }
    Ok(found)
}

/// A bearer token in the `Authorization` header (RFC 6750 §2.1).
///
/// Also the `DPoP` scheme (RFC 9449 §7.1), found at [`Location::Dpop`]: the guards check its
/// proof when the authenticator accepts DPoP, and count it as no credential otherwise.
/// Another scheme (`Basic ...`) counts as no credential. Unlike the tutorial's lenient
/// [`BearerToken`], what follows `Bearer ` must be one RFC 6750
/// `b64token`, and the header must appear once; otherwise the request is `invalid_request`.
#[derive(Debug)]
pub enum BearerHeader {}

impl CredentialSource for BearerHeader {
    const KIND: CredentialKind = CredentialKind::BearerToken;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        // One look-up of the header for every request.
        let mut values = parts.headers.get_all(AUTHORIZATION).iter();
        let Some(header) = values.next().map(HeaderValue::as_bytes) else {
            return Ok(None);
        };
        let (range, location) = match bearer::bearer_range(header) {
            Some(range) => (range, Location::Authorization),
            None => match bearer::dpop_range(header) {
                Some(range) => (range, Location::Dpop),
                None => return Ok(None),
            },
        };
        let invalid = |reason| AuthError::invalid_request(Self::KIND, reason);
        if values.next().is_some() {
            return Err(invalid(InvalidRequest::RepeatedCredential));
        }
        let token = &header[range];
        if !is_b64token(token) {
            return Err(invalid(InvalidRequest::MalformedAuthorization));
        }
        Ok(Some(RawCredential::new(token, location)))
    }
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
///
/// Every byte of every request's token passes here, so each byte is a few comparisons without
/// a branch and there is no early exit (a token is nearly always valid): the compiler turns the
/// loop into vector instructions, 16 or 32 bytes at a time.
fn is_b64token(token: &[u8]) -> bool {
    let body = token
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |last| last + 1);
    body > 0
        && token[..body]
            .iter()
            .fold(true, |valid, &b| valid & is_b64token_byte(b))
}

/// Whether `b` is one of a `b64token`'s bytes before its `=` padding.
#[inline]
#[expect(
    clippy::needless_bitwise_bool,
    reason = "no branch per byte, so the loop vectorizes"
)]
const fn is_b64token_byte(b: u8) -> bool {
    // `b | 0x20` folds `A-Z` onto `a-z` and moves no other byte into it.
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    // `+` to `9` (0x2B..=0x39) is `+ , - . / 0-9`: all of them but `,`.
    let sign_or_digit = (b.wrapping_sub(b'+') < 15) & (b != b',');
    letter | sign_or_digit | (b == b'_') | (b == b'~')
}

/// A bearer token in the cookie named by `N`, as browsers send a session token.
///
/// Checked against the [`CsrfPolicy`] on state-changing methods; read its documentation before
/// choosing it.
pub struct TokenCookie<N>(PhantomData<fn() -> N>);

impl<N: CredentialName> CredentialSource for TokenCookie<N> {
    const KIND: CredentialKind = CredentialKind::BearerToken;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        cookie(parts, N::NAME, Self::KIND)
    }
}

/// An API key in the header named by `N`: FastAPI's `APIKeyHeader`.
pub struct ApiKeyHeader<N>(PhantomData<fn() -> N>);

impl<N: CredentialName> CredentialSource for ApiKeyHeader<N> {
    const KIND: CredentialKind = CredentialKind::ApiKey;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        let mut values = parts.headers.get_all(N::NAME).iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(value), None) => Ok(non_empty(value.as_bytes(), Location::Header)),
            (Some(_), Some(_)) => Err(AuthError::invalid_request(
                Self::KIND,
                InvalidRequest::RepeatedCredential,
            )),
        }
    }
}

/// An API key in the query parameter named by `N`: FastAPI's `APIKeyQuery`.
///
/// The value is percent-decoded (and `+` read as a space) like any query parameter; it is
/// borrowed unless decoding changed it. Keys in URLs end up in logs and browser history:
/// prefer a header.
pub struct ApiKeyQuery<N>(PhantomData<fn() -> N>);

impl<N: CredentialName> CredentialSource for ApiKeyQuery<N> {
    const KIND: CredentialKind = CredentialKind::ApiKey;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        query_parameter(parts, N::NAME, Self::KIND)
    }
}

/// The query parameter `name` of `parts` as a credential of `kind`: `None` when absent or
/// empty, an `invalid_request` when repeated.
pub(crate) fn query_parameter<'p>(
    parts: &'p Parts,
    name: &str,
    kind: CredentialKind,
) -> Result<Option<RawCredential<'p>>, AuthError> {
    let Some(query) = parts.uri.query() else {
        return Ok(None);
    };
    let mut found = None;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key != name {
            continue;
        }
        if found.is_some() {
            return Err(AuthError::invalid_request(
                kind,
                InvalidRequest::RepeatedCredential,
            ));
        }
        found = Some(value);
    }
    Ok(found.and_then(|value| {
        let value = match value {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        };
        (!value.is_empty()).then(|| RawCredential::new(value, Location::Query))
    }))
}

/// An API key in the cookie named by `N`: FastAPI's `APIKeyCookie`.
///
/// Checked against the [`CsrfPolicy`] on state-changing methods.
pub struct ApiKeyCookie<N>(PhantomData<fn() -> N>);

impl<N: CredentialName> CredentialSource for ApiKeyCookie<N> {
    const KIND: CredentialKind = CredentialKind::ApiKey;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        cookie(parts, N::NAME, Self::KIND)
    }
}

/// An empty value counts as none, as FastAPI's `if not api_key`.
fn non_empty(value: &[u8], location: Location) -> Option<RawCredential<'_>> {
    (!value.is_empty()).then(|| RawCredential::new(value, location))
}

/// The cookie `name` of every `Cookie` header (HTTP/2 may split them), RFC 6265 §5.4 syntax.
///
/// A name sent twice is rejected rather than resolved: a sibling subdomain can plant a second
/// cookie of the same name ("cookie tossing"), and picking either could pick the attacker's.
fn cookie<'p>(
    parts: &'p Parts,
    name: &str,
    kind: CredentialKind,
) -> Result<Option<RawCredential<'p>>, AuthError> {
    let mut found = None;
    for header in parts.headers.get_all(COOKIE) {
        for pair in header.as_bytes().split(|&b| b == b';') {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            if pair[..eq].trim_ascii() != name.as_bytes() {
                continue;
            }
            if found.is_some() {
                return Err(AuthError::invalid_request(
                    kind,
                    InvalidRequest::RepeatedCredential,
                ));
            }
            let value = pair[eq + 1..].trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|inner| inner.strip_suffix(b"\""))
                .unwrap_or(value);
            found = Some(value);
        }
    }
    Ok(found.and_then(|value| non_empty(value, Location::Cookie)))
}

macro_rules! one_of {
    ($first:ident $(, $rest:ident)+) => {
        /// Looks in every place; a request using more than one is `invalid_request`. Answers
        /// for a missing credential challenge with the first source's kind.
        impl<$first: CredentialSource $(, $rest: CredentialSource)+> CredentialSource
            for ($first, $($rest),+)
        {
            const KIND: CredentialKind = $first::KIND;

            fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
                let mut found = $first::extract(parts)?;
                $(
                    if let Some(credential) = $rest::extract(parts)? {
                        if found.is_some() {
                            return Err(AuthError::invalid_request(
                                Self::KIND,
                                InvalidRequest::SeveralCredentials,
                            ));
                        }
                        found = Some(credential);
                    }
                )+
                Ok(found)
            }
        }
    };
}

one_of!(A, B);
one_of!(A, B, C);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    fn parts(request: http::request::Builder) -> Parts {
        request.body(()).unwrap().into_parts().0
    }

    struct Session;

    impl CredentialName for Session {
        const NAME: &'static str = "session";
    }

    fn session(cookies: &[&[u8]]) -> Result<Option<Vec<u8>>, AuthError> {
        let mut request = http::Request::builder();
        for cookie in cookies {
            request = request.header(COOKIE, HeaderValue::from_bytes(cookie).unwrap());
        }
        let parts = parts(request);
        TokenCookie::<Session>::extract(&parts)
            .map(|found| found.map(|credential| credential.as_bytes().to_vec()))
    }

    #[test]
    fn cookie_parsing() {
        assert_eq!(session(&[b"session=abc"]).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(
            session(&[b"a=1; session=abc; b=2"]).unwrap(),
            Some(b"abc".to_vec())
        );
        assert_eq!(
            session(&[b"a=1", b"session=abc"]).unwrap(),
            Some(b"abc".to_vec())
        );
        assert_eq!(
            session(&[b"session=\"abc\""]).unwrap(),
            Some(b"abc".to_vec())
        );
        assert_eq!(session(&[b"session=a=b"]).unwrap(), Some(b"a=b".to_vec()));
        assert_eq!(
            session(&[b"session=\xff\xfe"]).unwrap(),
            Some(b"\xff\xfe".to_vec())
        );
        assert_eq!(
            session(&[b"Session=abc; sessions=x; session"]).unwrap(),
            None
        );
        assert_eq!(session(&[b"session="]).unwrap(), None);
        assert_eq!(session(&[]).unwrap(), None);
        assert!(session(&[b"session=a; session=b"]).is_err());
        assert!(session(&[b"session=a", b"session=a"]).is_err());
    }

    #[test]
    fn b64token_bytes_are_exactly_rfc_6750s() {
        for b in 0..=u8::MAX {
            let expected =
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
            assert_eq!(is_b64token_byte(b), expected, "byte {b:#04x}");
        }
    }

    #[test]
    fn b64token() {
        for good in ["abc", "a.b-c_d~e+f/g", "abc==", "eyJ0.eyJ1.c2ln"] {
            assert!(is_b64token(good.as_bytes()), "{good}");
        }
        for bad in ["", "=", "a b", "a=b", "a\"", "é", "a,b"] {
            assert!(!is_b64token(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn constant_time_lookup_finds_the_right_name() {
        let keys = ApiKeys::new()
            .with_key("one", "first-key")
            .with_key("two", "second-key");
        assert_eq!(keys.verify(b"first-key"), Some("one"));
        assert_eq!(keys.verify(b"second-key"), Some("two"));
        assert_eq!(keys.verify(b"second-ke"), None);
        assert_eq!(keys.verify(b"second-keyy"), None);
        assert_eq!(keys.verify(b""), None);
        assert_eq!(ApiKeys::new().verify(b"first-key"), None);
        assert_eq!(format!("{keys:?}"), r#"{"one", "two"}"#);
    }

    #[test]
    #[should_panic(expected = "configured twice")]
    fn duplicate_keys_are_refused() {
        let _ = ApiKeys::new().with_key("one", "k").with_key("two", "k");
    }

    #[test]
    fn csrf_rule() {
        let policy = CsrfPolicy::new().allow_origin("https://app.example");
        let check = |method: Method, headers: &[(&str, &str)]| {
            let mut request = http::Request::builder().method(method);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            policy.check(&parts(request)).is_ok()
        };
        assert!(check(Method::GET, &[]));
        assert!(check(Method::HEAD, &[]));
        assert!(!check(Method::POST, &[]));
        assert!(check(Method::POST, &[("x-requested-with", "fetch")]));
        assert!(check(Method::DELETE, &[("origin", "HTTPS://app.example")]));
        assert!(!check(Method::PUT, &[("origin", "https://evil.example")]));
        assert!(!check(Method::PATCH, &[("origin", "null")]));
        assert!(!check(
            Method::POST,
            &[
                ("origin", "https://app.example"),
                ("origin", "https://evil.example")
            ]
        ));
        assert!(
            CsrfPolicy::disabled()
                .check(&parts(http::Request::builder().method(Method::POST)))
                .is_ok()
        );
    }
}
