//! The JWKS client: fetches remote key sets, keeps them fresh, and survives
//! a misbehaving provider.
//!
//! Reads never wait: the request path loads the current [`KeySet`] from an
//! `ArcSwap`. Writers (the background task, or a request that met an
//! unknown `kid`) serialize on one `tokio::sync::Mutex` per key set that
//! holds the time of the last fetch attempt, which gives single flight and
//! the rate limit in one place.
//!
//! Fetches go through hyper-util's client and `hyper-rustls`, with a rustls
//! configuration built on an explicit `ring` provider. Not reqwest: a library
//! that enables a reqwest TLS feature enables it in every reqwest of the
//! user's build (Cargo unifies features), and `rustls-no-provider` makes
//! their `Client::builder().build()` panic unless a process-wide provider is
//! installed. Nothing here installs one either.

use std::sync::OnceLock;

use super::key::KeyId;
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::body::Bytes;
use http::header::{ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, LOCATION};
use http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_platform_verifier::BuilderVerifierExt;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tokio::time::error::Elapsed;
use tower_service::Service;

use super::key::parse_jwks;
use super::verify::{IssuerPolicy, KeySet, Source};

/// How remote key sets are fetched and refreshed.
///
/// ```
/// use std::time::Duration;
/// use axum_scopes::jwt::JwksOptions;
///
/// let options = JwksOptions::default()
///     .min_refresh_interval(Duration::from_secs(30))
///     .timeout(Duration::from_secs(3));
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct JwksOptions {
    min_refresh_interval: Duration,
    refresh_interval: Duration,
    min_max_age: Duration,
    max_max_age: Duration,
    max_response_size: usize,
    connect_timeout: Duration,
    timeout: Duration,
    /// Set only through [`dangerous::allow_http`](https://docs.rs/axum-scopes/latest/axum_scopes/dangerous/fn.allow_http.html), never by
    /// [`AuthenticatorBuilder::jwks_options`](super::AuthenticatorBuilder::jwks_options).
    pub(crate) allow_http: bool,
}

impl Default for JwksOptions {
    fn default() -> Self {
        Self {
            min_refresh_interval: Duration::from_secs(10),
            refresh_interval: Duration::from_secs(5 * 60),
            min_max_age: Duration::from_secs(60),
            max_max_age: Duration::from_secs(24 * 60 * 60),
            max_response_size: 256 * 1024,
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            allow_http: false,
        }
    }
}

impl JwksOptions {
    /// Shortest time between two fetches caused by tokens with an unknown
    /// `kid`, and the delay before the background task retries a failed
    /// fetch. Within it, an unknown `kid` is rejected without a fetch, so a
    /// flood of made-up `kid`s costs the provider at most one request per
    /// interval.
    ///
    /// Defaults to 10 seconds.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// Time between background refreshes when the provider sends no
    /// `Cache-Control: max-age`.
    ///
    /// Defaults to 5 minutes.
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// Bounds applied to the provider's `Cache-Control: max-age` (and to
    /// [`JwksOptions::refresh_interval`]) before it schedules the next
    /// background refresh; `no-cache` and `no-store` count as zero.
    ///
    /// Defaults to 1 minute and 1 day.
    pub fn max_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_max_age = min;
        self.max_max_age = max.max(min);
        self
    }

    /// Largest response body accepted, for discovery documents and key sets
    /// alike; a larger one fails the fetch ([`JwksError::TooLarge`]) and the
    /// keys already held stay in use.
    ///
    /// Defaults to 256 KiB.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Time allowed to open the connection (TCP and TLS).
    ///
    /// Defaults to 2 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole fetch, from connecting to the last body byte.
    ///
    /// Defaults to 5 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// The cause kept as [`JwksError`]'s source: the HTTP client's, TLS's or
/// tokio's error, boxed so that no client library becomes public API.
type BoxError = Box<dyn Error + Send + Sync>;

/// Why a discovery document or key set could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The URL is not `https` and [`dangerous::allow_http`](https://docs.rs/axum-scopes/latest/axum_scopes/dangerous/fn.allow_http.html) was not used, or
    /// it is not a URL at all.
    #[error("URL is not an https URL")]
    InsecureUrl,
    /// The HTTP client could not be set up: rustls refused its protocol
    /// versions. (Missing TLS roots are not this error: the client is built
    /// without them, and `https` fetches then fail as [`JwksError::Http`].)
    #[error("HTTP client could not be built")]
    Client(#[source] BoxError),
    /// The provider did not answer within [`JwksOptions::connect_timeout`]
    /// or [`JwksOptions::timeout`]; the source is tokio's `Elapsed`.
    #[error("provider did not answer in time")]
    Timeout(#[source] BoxError),
    /// The URL could not be parsed, or connecting, the TLS handshake or
    /// reading failed; the source is hyper-util's or rustls' error.
    #[error("request to the provider failed")]
    Http(#[source] BoxError),
    /// The provider answered with a status other than 2xx.
    ///
    /// Redirects (3xx) are not followed and end here too: the keys come
    /// from exactly the URL configured or discovered, as the issuer must
    /// match exactly. Configure the URL the redirect points to.
    #[error("provider answered {0}")]
    Status(StatusCode),
    /// The body is larger than [`JwksOptions::max_response_size`].
    #[error("response exceeds {limit} bytes")]
    TooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The body is not a discovery document (an object with `issuer` and
    /// `jwks_uri` strings) or not a JWKS (an object with a `keys` array).
    #[error("response is not the expected JSON document")]
    InvalidDocument(#[source] serde_json::Error),
    /// The discovery document names another issuer than the configured one
    /// (`OpenID` Connect Discovery §4.3: they must be identical).
    #[error("discovery document names issuer `{found}`, expected `{expected}`")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
}

impl JwksError {
    /// A failed request: [`JwksError::Timeout`] when the connect timeout
    /// fired (hyper-util wraps the connector's error), else
    /// [`JwksError::Http`].
    fn request(err: impl Into<BoxError>) -> Self {
        let err = err.into();
        let first: &(dyn Error + 'static) = &*err;
        let timed_out =
            std::iter::successors(Some(first), |&err| err.source()).any(<dyn Error>::is::<Elapsed>);
        if timed_out {
            Self::Timeout(err)
        } else {
            Self::Http(err)
        }
    }
}

/// Where a remote key set is published.
pub(crate) enum JwksUrl<'a> {
    Direct(&'a str),
    /// The issuer, whose discovery document names the JWKS URL.
    Discover(&'a str),
}

/// The fetching side of a remote [`Source`].
pub(crate) struct Remote {
    url: String,
    client: HttpClient,
    options: JwksOptions,
    policy: IssuerPolicy,
    /// When the last fetch started; held across the fetch, so concurrent
    /// refreshes wait for the one in flight instead of starting their own.
    last_attempt: Mutex<Option<Instant>>,
    failing: AtomicBool,
    /// Told the keys each refresh removes, so the token cache drops what they verified.
    pub(crate) on_removed: OnceLock<Box<dyn Fn(Vec<KeyId>) + Send + Sync>>,
}

impl Remote {
    /// Discovers (if asked) and fetches the key set once, then starts the
    /// background refresh. Errors carry the URL that failed.
    pub(crate) async fn connect(
        url: JwksUrl<'_>,
        policy: IssuerPolicy,
        options: &JwksOptions,
    ) -> Result<Arc<Source>, (String, JwksError)> {
        let client = client(options).map_err(|err| (String::new(), err))?;
        let url = match url {
            JwksUrl::Direct(url) => url.to_owned(),
            JwksUrl::Discover(issuer) => {
                let document = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                discover(&client, options, issuer, &document)
                    .await
                    .map_err(|err| (document, err))?
            }
        };
        check_scheme(&url, options).map_err(|err| (url.clone(), err))?;
        let remote = Self {
            url,
            client,
            options: options.clone(),
            policy,
            // The start-up fetch does not count: a key rotated just before
            // start may be needed at once.
            last_attempt: Mutex::new(None),
            failing: AtomicBool::new(false),
            on_removed: OnceLock::new(),
        };
        let (keys, max_age) = remote
            .fetch()
            .await
            .map_err(|err| (remote.url.clone(), err))?;
        let delay = remote.next_refresh(max_age);
        let source = Arc::new(Source {
            keys: ArcSwap::from_pointee(keys),
            remote: Some(remote),
        });
        tokio::spawn(refresh_in_background(Arc::downgrade(&source), delay));
        Ok(source)
    }

    /// Whether the last fetch failed (the keys held are then stale).
    pub(crate) fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// Refreshes after a token named an unknown `kid`, unless another
    /// refresh completed while this one waited (single flight) or the last
    /// attempt is too recent (rate limit).
    pub(crate) async fn refresh_on_miss(&self, keys: &ArcSwap<KeySet>) {
        let seen = keys.load_full();
        let mut last_attempt = self.last_attempt.lock().await;
        if !Arc::ptr_eq(&seen, &keys.load()) {
            return;
        }
        if last_attempt.is_some_and(|at| at.elapsed() < self.options.min_refresh_interval) {
            tracing::debug!(url = %self.url, "JWKS refresh skipped: rate limited");
            return;
        }
        *last_attempt = Some(Instant::now());
        self.fetch_and_store(keys).await;
    }

    /// A scheduled refresh; returns the delay until the next one.
    async fn refresh_scheduled(&self, keys: &ArcSwap<KeySet>) -> Duration {
        let mut last_attempt = self.last_attempt.lock().await;
        *last_attempt = Some(Instant::now());
        match self.fetch_and_store(keys).await {
            Some(max_age) => self.next_refresh(max_age),
            None => self.options.min_refresh_interval,
        }
    }

    /// Fetches and swaps the new set in; on failure the old set stays
    /// (stale-if-error). Returns the `max-age` on success.
    async fn fetch_and_store(&self, keys: &ArcSwap<KeySet>) -> Option<Option<Duration>> {
        match self.fetch().await {
            Ok((set, max_age)) => {
                tracing::debug!(url = %self.url, keys = set.len(), "JWKS refreshed");
                let old = keys.swap(Arc::new(set));
                self.failing.store(false, Ordering::Relaxed);
                if let Some(on_removed) = self.on_removed.get() {
                    let new = keys.load();
                    let removed = old
                        .entries
                        .iter()
                        .map(|entry| entry.id)
                        .filter(|id| !new.entries.iter().any(|entry| entry.id == *id))
                        .collect();
                    on_removed(removed);
                }
                Some(max_age)
            }
            Err(err) => {
                tracing::warn!(url = %self.url, error = %err, "JWKS refresh failed; keeping the previous keys");
                self.failing.store(true, Ordering::Relaxed);
                None
            }
        }
    }

    async fn fetch(&self) -> Result<(KeySet, Option<Duration>), JwksError> {
        let (body, max_age) = get(&self.client, &self.options, &self.url).await?;
        let keys = parse_jwks(&body, false).map_err(JwksError::InvalidDocument)?;
        Ok((self.policy.key_set(keys), max_age))
    }

    fn next_refresh(&self, max_age: Option<Duration>) -> Duration {
        max_age
            .unwrap_or(self.options.refresh_interval)
            .clamp(self.options.min_max_age, self.options.max_max_age)
    }
}

/// Refreshes until the last [`Authenticator`](super::Authenticator) holding the source is
/// dropped. Holds only a weak reference while sleeping.
async fn refresh_in_background(source: Weak<Source>, mut delay: Duration) {
    loop {
        tokio::time::sleep(delay).await;
        let Some(source) = source.upgrade() else {
            return;
        };
        let Some(remote) = &source.remote else {
            return;
        };
        delay = remote.refresh_scheduled(&source.keys).await;
    }
}

/// The client every fetch of one [`Remote`] goes through (its pool keeps
/// the connection to the provider alive between refreshes).
type HttpClient = Client<Connector, Empty<Bytes>>;

fn client(options: &JwksOptions) -> Result<HttpClient, JwksError> {
    // An explicit provider, never the process-wide default: the user's
    // rustls may have another backend, or none installed.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| JwksError::Client(err.into()))?;
    let tls = match tls.clone().with_platform_verifier() {
        Ok(tls) => tls.with_no_client_auth(),
        // No TLS roots (a bare container): plain-http providers behind
        // `dangerous::allow_http` still work, https fails when used.
        Err(err) => {
            tracing::warn!(error = %err, "no TLS configuration for JWKS fetches");
            tls.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        }
    };
    let https = HttpsConnectorBuilder::new().with_tls_config(tls);
    let https = if options.allow_http {
        https.https_or_http()
    } else {
        https.https_only()
    };
    let connector = Connector {
        https: https.enable_http1().build(),
        timeout: options.connect_timeout,
    };
    Ok(Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .build(connector))
}

/// The TLS connector with [`JwksOptions::connect_timeout`] around TCP and
/// TLS together (hyper-util's own timeout covers TCP only).
#[derive(Clone)]
struct Connector {
    https: HttpsConnector<HttpConnector>,
    timeout: Duration,
}

impl Service<Uri> for Connector {
    type Response = <HttpsConnector<HttpConnector> as Service<Uri>>::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.https.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = tokio::time::timeout(self.timeout, self.https.call(uri));
        Box::pin(async move { connecting.await? })
    }
}

fn check_scheme(url: &str, options: &JwksOptions) -> Result<(), JwksError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => Ok(()),
        Some(scheme) if options.allow_http && scheme.eq_ignore_ascii_case("http") => Ok(()),
        _ => Err(JwksError::InsecureUrl),
    }
}

async fn discover(
    client: &HttpClient,
    options: &JwksOptions,
    issuer: &str,
    url: &str,
) -> Result<String, JwksError> {
    #[derive(Deserialize)]
    struct Discovery {
        issuer: String,
        jwks_uri: String,
    }
    check_scheme(url, options)?;
    let (body, _) = get(client, options, url).await?;
    let document: Discovery = serde_json::from_slice(&body).map_err(JwksError::InvalidDocument)?;
    if document.issuer != issuer {
        return Err(JwksError::IssuerMismatch {
            expected: issuer.to_owned(),
            found: document.issuer,
        });
    }
    Ok(document.jwks_uri)
}

/// GETs `url` within [`JwksOptions::timeout`] and the size bound,
/// returning the body and `max-age`.
///
/// Redirects are refused ([`JwksError::Status`]) rather than followed:
/// key material should come from the URL the operator configured or the
/// issuer's discovery document named, not from wherever that URL points
/// today, and refusing needs no URL resolution and cannot downgrade
/// `https` to `http`. The `Location` is logged to say what to configure.
async fn get(
    client: &HttpClient,
    options: &JwksOptions,
    url: &str,
) -> Result<(Bytes, Option<Duration>), JwksError> {
    tokio::time::timeout(options.timeout, get_bounded(client, options, url))
        .await
        .map_err(|elapsed| JwksError::Timeout(elapsed.into()))?
}

async fn get_bounded(
    client: &HttpClient,
    options: &JwksOptions,
    url: &str,
) -> Result<(Bytes, Option<Duration>), JwksError> {
    let limit = options.max_response_size;
    let request = Request::get(url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .body(Empty::new())
        .map_err(JwksError::request)?;
    let response = client.request(request).await.map_err(JwksError::request)?;
    let status = response.status();
    if !status.is_success() {
        if status.is_redirection() {
            tracing::debug!(url, location = ?response.headers().get(LOCATION), "redirect not followed");
        }
        return Err(JwksError::Status(status));
    }
    let content_length = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|len| len.to_str().ok()?.parse::<u64>().ok());
    if content_length.is_some_and(|len| len > limit as u64) {
        return Err(JwksError::TooLarge { limit });
    }
    let max_age = max_age(response.headers());
    // Without a Content-Length (chunked), the bound applies as data arrives.
    let body = Limited::new(response.into_body(), limit)
        .collect()
        .await
        .map_err(|err| {
            if err.is::<LengthLimitError>() {
                JwksError::TooLarge { limit }
            } else {
                JwksError::request(err)
            }
        })?;
    Ok((body.to_bytes(), max_age))
}

/// `max-age` of `Cache-Control` (RFC 9111 §5.2.2.1); `no-cache` and
/// `no-store` count as zero.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').find_map(|directive| {
        let directive = directive.trim();
        if directive.eq_ignore_ascii_case("no-cache") || directive.eq_ignore_ascii_case("no-store")
        {
            return Some(Duration::ZERO);
        }
        let (name, seconds) = directive.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        let seconds = seconds.trim().trim_matches('"').parse().ok()?;
        Some(Duration::from_secs(seconds))
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    /// Answers every connection on a loopback port with `response`, once
    /// the request head has arrived; returns the port. A plain thread, so
    /// the server needs no tokio feature the library does not.
    fn serve(response: &'static [u8]) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                let mut head = Vec::new();
                let mut buf = [0; 1024];
                while !head.ends_with(b"\r\n\r\n") {
                    let Ok(n @ 1..) = stream.read(&mut buf) else {
                        break;
                    };
                    head.extend_from_slice(&buf[..n]);
                }
                let _ = stream.write_all(response);
            }
        });
        port
    }

    async fn fetch(options: &JwksOptions, url: &str) -> Result<Bytes, JwksError> {
        let client = client(options).unwrap();
        get(&client, options, url).await.map(|(body, _)| body)
    }

    fn plain_http() -> JwksOptions {
        JwksOptions {
            allow_http: true,
            ..JwksOptions::default()
        }
    }

    #[tokio::test]
    async fn redirects_are_refused() {
        let port = serve(
            b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/jwks\r\nContent-Length: 0\r\n\r\n",
        );
        let err = fetch(&plain_http(), &format!("http://127.0.0.1:{port}/jwks"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, JwksError::Status(StatusCode::FOUND)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn chunked_body_is_bounded_as_it_streams() {
        let port = serve(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              8\r\n{\"keys\":\r\n8\r\n[      ]\r\n1\r\n}\r\n0\r\n\r\n",
        );
        let url = format!("http://127.0.0.1:{port}/jwks");
        let body = fetch(&plain_http(), &url).await.unwrap();
        assert_eq!(&body[..], b"{\"keys\":[      ]}");
        let options = plain_http().max_response_size(16);
        let err = fetch(&options, &url).await.unwrap_err();
        assert!(matches!(err, JwksError::TooLarge { limit: 16 }), "{err:?}");
    }

    #[tokio::test]
    async fn connect_timeout_covers_the_tls_handshake() {
        // Accepts TCP, then never answers the TLS ClientHello.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || listener.incoming().collect::<Vec<_>>());
        let options = JwksOptions::default().connect_timeout(Duration::from_millis(200));
        let started = Instant::now();
        let err = fetch(&options, &format!("https://127.0.0.1:{port}/jwks"))
            .await
            .unwrap_err();
        assert!(matches!(err, JwksError::Timeout(_)), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn https_only_client_refuses_http_even_past_the_scheme_check() {
        let err = fetch(&JwksOptions::default(), "http://127.0.0.1:1/jwks")
            .await
            .unwrap_err();
        assert!(matches!(err, JwksError::Http(_)), "{err:?}");
    }

    #[test]
    fn cache_control_max_age() {
        let mut headers = HeaderMap::new();
        assert_eq!(max_age(&headers), None);
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, Max-Age=\"300\", must-revalidate"),
        );
        assert_eq!(max_age(&headers), Some(Duration::from_secs(300)));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        assert_eq!(max_age(&headers), Some(Duration::ZERO));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=-1"));
        assert_eq!(max_age(&headers), None);
    }

    #[test]
    fn only_https_unless_dangerous() {
        let options = JwksOptions::default();
        assert!(check_scheme("https://idp.example/jwks", &options).is_ok());
        assert!(check_scheme("HTTPS://idp.example/jwks", &options).is_ok());
        for url in [
            "http://idp.example/jwks",
            "file:///etc/passwd",
            "idp.example",
        ] {
            assert!(matches!(
                check_scheme(url, &options),
                Err(JwksError::InsecureUrl)
            ));
        }
        let options = JwksOptions {
            allow_http: true,
            ..JwksOptions::default()
        };
        assert!(check_scheme("http://127.0.0.1:1/jwks", &options).is_ok());
        assert!(check_scheme("file:///etc/passwd", &options).is_err());
    }
}
