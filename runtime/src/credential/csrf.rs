//! The CSRF rule for cookie credentials: [`CsrfPolicy`].

use http::header::{ORIGIN, UPGRADE};
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method};

#[cfg(doc)]
use super::{ApiKeyCookie, AuthConfig, TokenCookie};
use crate::rejection::AuthError;

/// The CSRF rule for cookie credentials.
///
/// A request that authenticates with a cookie and uses a method other than `GET`, `HEAD`,
/// `OPTIONS` or `TRACE`, or asks for a WebSocket (`Upgrade: websocket`, whatever the method),
/// passes when it carries the custom header (any value; defaults to `X-Requested-With`), or an
/// `Origin` header equal (ASCII case-insensitively) to an allowed origin (defaults to none).
/// Otherwise it is rejected with 403. Credentials in headers and query parameters are never
/// checked: a browser does not attach them on its own.
///
/// WebSocket upgrades are `GET`s, and a page on any site may open a WebSocket to any server,
/// the browser sending the cookie along: cross-site WebSocket hijacking, the CSRF of
/// WebSockets. Browsers cannot set a custom header on a WebSocket, so a page of your own
/// needs its origin allowed ([`CsrfPolicy::allow_origin`]).
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
        ) && !is_websocket_upgrade(parts);
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

/// Whether `parts` asks for a WebSocket: an `Upgrade` header naming `websocket` (RFC 6455
/// §4.1, compared case-insensitively, in any of its comma-separated values).
fn is_websocket_upgrade(parts: &Parts) -> bool {
    parts.headers.get_all(UPGRADE).iter().any(|value| {
        value
            .as_bytes()
            .split(|&b| b == b',')
            .any(|protocol| protocol.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}
