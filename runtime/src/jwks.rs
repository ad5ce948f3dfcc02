//! The JWKS client: fetches remote key sets, keeps them fresh, and survives
//! a misbehaving provider.
//!
//! Reads never wait: the request path loads the current [`KeySet`] from an
//! `ArcSwap`. Writers (the background task, or a request that met an
//! unknown `kid`) serialize on one `tokio::sync::Mutex` per key set that
//! holds the time of the last fetch attempt, which gives single flight and
//! the rate limit in one place.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use arc_swap::ArcSwap;
use http::header::{ACCEPT, CACHE_CONTROL};
use http::{HeaderMap, HeaderValue, StatusCode};
use rustls_platform_verifier::BuilderVerifierExt;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::verify::{IssuerPolicy, KeySet, Source, parse_jwks};

/// How remote key sets are fetched and refreshed.
///
/// ```
/// use std::time::Duration;
/// use axum_scopes::JwksOptions;
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
    /// Set only through [`dangerous::allow_http`], never by
    /// [`AuthenticatorBuilder::jwks_options`](crate::AuthenticatorBuilder::jwks_options).
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

/// Settings that weaken security, kept apart so that they stand out in
/// review.
pub mod dangerous {
    use crate::AuthenticatorBuilder;

    /// Lets JWKS and discovery URLs (and redirects) use plain `http`.
    ///
    /// Meant for tests against a local provider: over `http`, anyone on the
    /// path can replace the keys and so mint tokens. By default only
    /// `https` URLs are accepted.
    pub fn allow_http(mut builder: AuthenticatorBuilder) -> AuthenticatorBuilder {
        builder.jwks.allow_http = true;
        builder
    }
}

/// Why a discovery document or key set could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The URL is not `https` and [`dangerous::allow_http`] was not used, or
    /// it is not a URL at all.
    #[error("URL is not an https URL")]
    InsecureUrl,
    /// The HTTP client could not be set up (no usable TLS roots, for
    /// instance).
    #[error("HTTP client could not be built")]
    Client(#[source] reqwest::Error),
    /// The provider did not answer within [`JwksOptions::connect_timeout`]
    /// or [`JwksOptions::timeout`].
    #[error("provider did not answer in time")]
    Timeout(#[source] reqwest::Error),
    /// Connecting or reading failed.
    #[error("request to the provider failed")]
    Http(#[source] reqwest::Error),
    /// The provider answered with a status other than 2xx.
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
    fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
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
    client: reqwest::Client,
    options: JwksOptions,
    policy: IssuerPolicy,
    /// When the last fetch started; held across the fetch, so concurrent
    /// refreshes wait for the one in flight instead of starting their own.
    last_attempt: Mutex<Option<Instant>>,
    failing: AtomicBool,
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
                keys.store(Arc::new(set));
                self.failing.store(false, Ordering::Relaxed);
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

/// Refreshes until the last [`crate::Authenticator`] holding the source is
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

fn client(options: &JwksOptions) -> Result<reqwest::Client, JwksError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map(rustls::ConfigBuilder::<rustls::ClientConfig, _>::with_no_client_auth);
    let builder = reqwest::Client::builder()
        .https_only(!options.allow_http)
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(reqwest::redirect::Policy::limited(3));
    let builder = match tls {
        Ok(tls) => builder.tls_backend_preconfigured(tls),
        // No TLS roots (a bare container): plain-http providers behind
        // `dangerous::allow_http` still work, https fails when used.
        Err(err) => {
            tracing::warn!(error = %err, "no TLS configuration for JWKS fetches");
            builder
        }
    };
    builder.build().map_err(JwksError::Client)
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
    client: &reqwest::Client,
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

/// GETs `url` with the size bound, returning the body and `max-age`.
async fn get(
    client: &reqwest::Client,
    options: &JwksOptions,
    url: &str,
) -> Result<(Vec<u8>, Option<Duration>), JwksError> {
    let limit = options.max_response_size;
    let mut response = client
        .get(url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .send()
        .await
        .map_err(JwksError::from_reqwest)?;
    if !response.status().is_success() {
        return Err(JwksError::Status(response.status()));
    }
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(JwksError::TooLarge { limit });
    }
    let max_age = max_age(response.headers());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(JwksError::from_reqwest)? {
        if body.len() + chunk.len() > limit {
            return Err(JwksError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, max_age))
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
    use super::*;

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
