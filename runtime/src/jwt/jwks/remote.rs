//! One remote key set ([`Remote`]): fetched at start, refreshed in the background and on an
//! unknown `kid`, swapped into its verifier's source.
//!
//! Reads never wait: the request path loads the current key set from the verifier's
//! `ArcSwap`. Writers (the background task, or a request that met an unknown `kid`) serialize on
//! one `tokio::sync::Mutex` per key set that holds the time of the last fetch attempt, which
//! gives single flight and the rate limit in one place; a failed fetch keeps the old keys
//! (stale-if-error).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::error::JwksError;
use super::http::{self, HttpClient};
use super::options::JwksOptions;
use crate::jwt::key::parse_jwks;
use crate::jwt::policy::{KeySet, Rules};
use crate::jwt::verifier::Verifier;

/// Where a remote key set is published.
pub(crate) enum JwksUrl<'a> {
    Direct(&'a str),
    /// The issuer, whose discovery document names the JWKS URL.
    Discover(&'a str),
}

/// The fetching side of one source of a [`Verifier`].
pub(crate) struct Remote {
    url: String,
    client: HttpClient,
    options: JwksOptions,
    rules: Arc<Rules>,
    /// When the last fetch started; held across the fetch, so concurrent
    /// refreshes wait for the one in flight instead of starting their own.
    last_attempt: Mutex<Option<Instant>>,
    failing: AtomicBool,
}

impl Remote {
    /// Discovers (if asked) and fetches the key set once. Returns the remote, its first keys
    /// and the delay until its first scheduled refresh; errors carry the URL that failed.
    pub(crate) async fn connect(
        url: JwksUrl<'_>,
        rules: Arc<Rules>,
        options: &JwksOptions,
    ) -> Result<(Arc<Self>, KeySet, Duration), (String, JwksError)> {
        let client = http::client(options).map_err(|err| (String::new(), err))?;
        let url = match url {
            JwksUrl::Direct(url) => url.to_owned(),
            JwksUrl::Discover(issuer) => {
                let document = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                http::discover(&client, options, issuer, &document)
                    .await
                    .map_err(|err| (document, err))?
                    .jwks_uri
            }
        };
        http::check_scheme(&url, options).map_err(|err| (url.clone(), err))?;
        let remote = Self {
            url,
            client,
            options: options.clone(),
            rules,
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
        Ok((Arc::new(remote), keys, delay))
    }

    /// The `introspection_endpoint` of `issuer`'s discovery document; errors carry the URL
    /// that failed.
    pub(crate) async fn introspection_endpoint(
        issuer: &str,
        options: &JwksOptions,
    ) -> Result<String, (String, JwksError)> {
        let client = http::client(options).map_err(|err| (String::new(), err))?;
        let document = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery = http::discover(&client, options, issuer, &document)
            .await
            .map_err(|err| (document.clone(), err))?;
        discovery
            .introspection_endpoint
            .ok_or((document, JwksError::NoIntrospectionEndpoint))
    }

    /// Refreshes source `source` of `verifier` in the background, first after `delay`, until
    /// the verifier is dropped (the task holds it only weakly while sleeping).
    pub(crate) fn refresh_in_background(
        self: &Arc<Self>,
        verifier: Weak<Verifier>,
        source: usize,
        mut delay: Duration,
    ) {
        let remote = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(delay).await;
                let Some(verifier) = verifier.upgrade() else {
                    return;
                };
                delay = remote.refresh_scheduled(&verifier, source).await;
            }
        });
    }

    /// Whether the last fetch failed (the keys held are then stale).
    pub(crate) fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// Refreshes after a token named an unknown `kid`, unless another
    /// refresh completed while this one waited (single flight) or the last
    /// attempt is too recent (rate limit).
    pub(crate) async fn refresh_on_miss(&self, verifier: &Verifier, source: usize) {
        let seen = verifier.key_set(source);
        let mut last_attempt = self.last_attempt.lock().await;
        let now = verifier.key_set(source);
        if !matches!((&seen, &now), (Some(seen), Some(now)) if Arc::ptr_eq(seen, now)) {
            return;
        }
        if last_attempt.is_some_and(|at| at.elapsed() < self.options.min_refresh_interval) {
            tracing::debug!(url = %self.url, "JWKS refresh skipped: rate limited");
            return;
        }
        *last_attempt = Some(Instant::now());
        self.fetch_and_store(verifier, source).await;
    }

    /// A scheduled refresh; returns the delay until the next one.
    async fn refresh_scheduled(&self, verifier: &Verifier, source: usize) -> Duration {
        let mut last_attempt = self.last_attempt.lock().await;
        *last_attempt = Some(Instant::now());
        match self.fetch_and_store(verifier, source).await {
            Some(max_age) => self.next_refresh(max_age),
            None => self.options.min_refresh_interval,
        }
    }

    /// Fetches and swaps the new set in; on failure the old set stays
    /// (stale-if-error). Returns the `max-age` on success.
    async fn fetch_and_store(
        &self,
        verifier: &Verifier,
        source: usize,
    ) -> Option<Option<Duration>> {
        match self.fetch().await {
            Ok((set, max_age)) => {
                let keys = set.entries.len();
                let removed = verifier.replace_keys(source, set);
                self.failing.store(false, Ordering::Relaxed);
                tracing::debug!(url = %self.url, keys, removed, "JWKS refreshed");
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
        let (body, max_age) = http::get(&self.client, &self.options, &self.url).await?;
        let keys = parse_jwks(&body, false).map_err(JwksError::InvalidDocument)?;
        Ok((self.rules.key_set(keys), max_age))
    }

    fn next_refresh(&self, max_age: Option<Duration>) -> Duration {
        max_age
            .unwrap_or(self.options.refresh_interval)
            .clamp(self.options.min_max_age, self.options.max_max_age)
    }
}
