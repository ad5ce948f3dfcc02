//! How remote key sets are fetched and refreshed: [`JwksOptions`].

use std::time::Duration;

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
    pub(super) min_refresh_interval: Duration,
    pub(super) refresh_interval: Duration,
    pub(super) min_max_age: Duration,
    pub(super) max_max_age: Duration,
    pub(super) max_response_size: usize,
    pub(super) connect_timeout: Duration,
    pub(super) timeout: Duration,
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
    /// alike; a larger one fails the fetch ([`JwksError::TooLarge`](super::JwksError::TooLarge)) and the
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
