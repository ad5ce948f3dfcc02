//! Where credentials travel (header, query, cookie), the CSRF rule for cookies, and API keys.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::header::{AUTHORIZATION, COOKIE, ORIGIN};
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::rejection::{AuthError, CredentialKind, InvalidRequest};

mod bearer;
mod config;

pub use self::bearer::{BearerToken, Credential, MissingBearerToken, bearer_token};
pub use self::config::AuthConfig;

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
    note = "use `BearerHeader`, `TokenCookie<N>`, `ApiKeyHeader<N>`, `ApiKeyQuery<N>`, `ApiKeyCookie<N>` or a tuple of them"
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
    /// Another header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie: subject to the [`CsrfPolicy`].
    Cookie,
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

/// Finds the credential of `C` and applies `config`'s [`CsrfPolicy`] when it is a cookie.
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
        config.csrf().check(parts)?;
    }
    Ok(found)
}

/// A bearer token in the `Authorization` header (RFC 6750 §2.1).
///
/// Another scheme (`Basic ...`) counts as no credential. Unlike the tutorial's lenient
/// [`BearerToken`], what follows `Bearer ` must be one RFC 6750
/// `b64token`, and the header must appear once; otherwise the request is `invalid_request`.
#[derive(Debug)]
pub enum BearerHeader {}

impl CredentialSource for BearerHeader {
    const KIND: CredentialKind = CredentialKind::BearerToken;

    fn extract(parts: &Parts) -> Result<Option<RawCredential<'_>>, AuthError> {
        let Some((_, range)) = bearer_token(parts) else {
            return Ok(None);
        };
        let invalid = |reason| AuthError::invalid_request(Self::KIND, reason);
        if parts.headers.get_all(AUTHORIZATION).iter().nth(1).is_some() {
            return Err(invalid(InvalidRequest::RepeatedCredential));
        }
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .map_or(&[][..], HeaderValue::as_bytes);
        let token = &header[range];
        if !is_b64token(token) {
            return Err(invalid(InvalidRequest::MalformedAuthorization));
        }
        Ok(Some(RawCredential::new(token, Location::Authorization)))
    }
}

/// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &[u8]) -> bool {
    let body = token.iter().take_while(|&&b| b != b'=').count();
    body > 0
        && token[..body]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        && token[body..].iter().all(|&b| b == b'=')
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
        let Some(query) = parts.uri.query() else {
            return Ok(None);
        };
        let mut found = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if name != N::NAME {
                continue;
            }
            if found.is_some() {
                return Err(AuthError::invalid_request(
                    Self::KIND,
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

/// The CSRF rule for cookie credentials.
///
/// A request that authenticates with a cookie and uses a method other than `GET`, `HEAD`,
/// `OPTIONS` or `TRACE` passes when it carries the custom header (any value; defaults to
/// `X-Requested-With`), or an `Origin` header equal (ASCII case-insensitively) to an allowed
/// origin (defaults to none). Otherwise it is rejected with 403. Credentials in headers and
/// query parameters are never checked: a browser does not attach them on its own.
///
/// The custom header works because a cross-site page cannot set it without a CORS preflight
/// that the server has to approve: never allow it in CORS for untrusted origins.
///
/// ```
/// use axum_scopes::AuthConfig;
/// use axum_scopes::credential::CsrfPolicy;
///
/// let config = AuthConfig::new().with_csrf(
///     CsrfPolicy::new().allow_origin("https://app.example.com").without_header(),
/// );
/// ```
///
#[doc = include_str!("../../docs/cookies.md")]
#[derive(Debug, Clone)]
pub struct CsrfPolicy {
    enabled: bool,
    header: Option<HeaderName>,
    origins: Vec<HeaderValue>,
}

impl Default for CsrfPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            header: Some(HeaderName::from_static("x-requested-with")),
            origins: Vec::new(),
        }
    }
}

impl CsrfPolicy {
    /// The default policy: enabled, `X-Requested-With` accepted, no origin allowed.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts requests whose `Origin` is `origin` (`scheme://host[:port]`, no path).
    ///
    /// # Panics
    ///
    /// When `origin` is not a valid header value, or is `null` (sent by sandboxed and
    /// privacy-sensitive contexts, so it proves nothing).
    #[must_use]
    pub fn allow_origin(mut self, origin: &str) -> Self {
        assert!(
            !origin.eq_ignore_ascii_case("null"),
            "the `null` origin proves nothing and cannot be allowed"
        );
        let origin = HeaderValue::from_str(origin).expect("an origin is a valid header value");
        self.origins.push(origin);
        self
    }

    /// Accepts requests that carry `header`, whatever its value, instead of `X-Requested-With`.
    #[must_use]
    pub fn with_header(mut self, header: HeaderName) -> Self {
        self.header = Some(header);
        self
    }

    /// Accepts no custom header: only an allowed `Origin` lets a request through.
    #[must_use]
    pub fn without_header(mut self) -> Self {
        self.header = None;
        self
    }

    /// A policy that checks nothing: `axum_scopes::dangerous::disable_csrf_check`.
    pub(crate) fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Checks a request that authenticates with a cookie.
    ///
    /// # Errors
    ///
    /// [`AuthErrorKind::CrossSiteRequest`](crate::rejection::AuthErrorKind::CrossSiteRequest) when the
    /// method is unsafe and neither the custom header nor an allowed `Origin` is there.
    pub fn check(&self, parts: &Parts) -> Result<(), AuthError> {
        let safe = matches!(
            parts.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if !self.enabled || safe {
            return Ok(());
        }
        if self
            .header
            .as_ref()
            .is_some_and(|header| parts.headers.contains_key(header))
        {
            return Ok(());
        }
        let mut origins = parts.headers.get_all(ORIGIN).iter();
        if let (Some(origin), None) = (origins.next(), origins.next())
            && self
                .origins
                .iter()
                .any(|allowed| allowed.as_bytes().eq_ignore_ascii_case(origin.as_bytes()))
        {
            return Ok(());
        }
        Err(AuthError::cross_site_request())
    }
}

/// The configured API keys, checked in constant time: the state of [`ApiKey<S>`].
///
/// Each key has a name (an id you choose, such as the client's) that the extractor yields; the
/// key itself is never exposed again. Keys are stored as SHA-256 digests and a presented key
/// is hashed and compared with every configured digest with [`subtle`]'s constant-time
/// equality, without stopping at a match, so the time taken tells neither whether nor which key
/// matched, nor how long the keys are. Use long random keys (32 bytes or more): the digests
/// defeat timing, not guessing. Cloning is cheap (one reference count). Defaults to no keys,
/// which rejects every key.
///
/// ```
/// use axum_scopes::credential::ApiKeys;
///
/// let keys = ApiKeys::new()
///     .with_key("ci", "k3y-for-ci-0123456789abcdef")
///     .with_key("billing", "k3y-for-billing-0123456789ab");
/// assert_eq!(keys.verify(b"k3y-for-ci-0123456789abcdef"), Some("ci"));
/// assert_eq!(keys.verify(b"guess"), None);
/// ```
#[derive(Clone, Default)]
pub struct ApiKeys {
    entries: Arc<Vec<KeyEntry>>,
}

#[derive(Clone)]
struct KeyEntry {
    name: Arc<str>,
    digest: [u8; 32],
}

impl ApiKeys {
    /// No keys.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key`, known by `name`.
    ///
    /// # Panics
    ///
    /// When `key` is empty (an empty credential counts as none and could never match), or is
    /// already configured: both are configuration mistakes best caught at start-up.
    #[must_use]
    pub fn with_key(mut self, name: impl Into<Arc<str>>, key: impl AsRef<[u8]>) -> Self {
        let key = key.as_ref();
        assert!(!key.is_empty(), "an API key cannot be empty");
        let digest: [u8; 32] = Sha256::digest(key).into();
        assert!(
            self.entries.iter().all(|entry| entry.digest != digest),
            "an API key is configured twice"
        );
        Arc::make_mut(&mut self.entries).push(KeyEntry {
            name: name.into(),
            digest,
        });
        self
    }

    /// The name of the configured key equal to `presented`, found in constant time.
    #[must_use]
    pub fn verify(&self, presented: &[u8]) -> Option<&str> {
        self.find(presented).map(|name| &**name)
    }

    /// The number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, presented: &[u8]) -> Option<&Arc<str>> {
        let digest: [u8; 32] = Sha256::digest(presented).into();
        let mut matched = Choice::from(0);
        let mut index = 0_u64;
        for (entry, i) in self.entries.iter().zip(0_u64..) {
            let equal = entry.digest.ct_eq(&digest);
            index.conditional_assign(&i, equal);
            matched |= equal;
        }
        if bool::from(matched) {
            let index = usize::try_from(index).ok()?;
            self.entries.get(index).map(|entry| &entry.name)
        } else {
            None
        }
    }
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: the digests of short keys could be reversed.
        f.debug_set()
            .entries(self.entries.iter().map(|entry| &entry.name))
            .finish()
    }
}

/// A request authenticated by one of the [`ApiKeys`] in the router state, found through the
/// source `S` (e.g. [`ApiKeyHeader<N>`]).
///
/// Yields the matched key's name. Needs `ApiKeys: FromRef<St>` and `AuthConfig: FromRef<St>`
/// for the router state `St`. Rejects with [`AuthError`], answered per that config: no key,
/// 401 `{"detail":"Not authenticated"}` with `WWW-Authenticate: APIKey` (FastAPI's answer); a
/// wrong key, 401 `Could not validate credentials` with `APIKey`; a repeated or doubly placed
/// key, 400; a cookie key failing the [`CsrfPolicy`], 403. As `Option<ApiKey<S>>` a request
/// without a key passes as `None`, while a wrong key is still rejected.
///
/// Works in handlers and as a parameter of a `#[dependency]`.
pub struct ApiKey<S> {
    name: Arc<str>,
    source: PhantomData<fn() -> S>,
}

impl<S> ApiKey<S> {
    /// The name the matched key was configured with.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<S> Clone for ApiKey<S> {
    fn clone(&self) -> Self {
        Self {
            name: Arc::clone(&self.name),
            source: PhantomData,
        }
    }
}

impl<S> fmt::Debug for ApiKey<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey").field("name", &self.name).finish()
    }
}

/// Finds and verifies the key of `S`: `Ok(None)` when the request carries none.
fn authenticate<S: CredentialSource>(
    parts: &Parts,
    keys: &ApiKeys,
    config: &AuthConfig,
) -> Result<Option<Arc<str>>, AuthError> {
    let Some(credential) = find_credential::<S>(parts, config)? else {
        return Ok(None);
    };
    keys.find(credential.as_bytes())
        .map(|name| Some(Arc::clone(name)))
        .ok_or_else(AuthError::invalid_api_key)
}

impl<St, S> FromRequestParts<St> for ApiKey<S>
where
    St: Send + Sync,
    S: CredentialSource,
    ApiKeys: FromRef<St>,
    AuthConfig: FromRef<St>,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        let config = AuthConfig::from_ref(state);
        authenticate::<S>(parts, &ApiKeys::from_ref(state), &config)
            .and_then(|name| name.ok_or_else(|| AuthError::missing_credentials(S::KIND)))
            .map(|name| Self {
                name,
                source: PhantomData,
            })
            .map_err(|error| error.with_config(&config))
    }
}

impl<St, S> OptionalFromRequestParts<St> for ApiKey<S>
where
    St: Send + Sync,
    S: CredentialSource,
    ApiKeys: FromRef<St>,
    AuthConfig: FromRef<St>,
{
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &St,
    ) -> Result<Option<Self>, Self::Rejection> {
        let config = AuthConfig::from_ref(state);
        authenticate::<S>(parts, &ApiKeys::from_ref(state), &config)
            .map(|name| {
                name.map(|name| Self {
                    name,
                    source: PhantomData,
                })
            })
            .map_err(|error| error.with_config(&config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
