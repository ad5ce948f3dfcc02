//! API keys: the configured [`ApiKeys`] and the [`ApiKey<S>`] extractor.

use std::fmt;
use std::hint::black_box;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use sha2::{Digest, Sha256};

#[cfg(doc)]
use super::{ApiKeyHeader, CsrfPolicy};
use super::{AuthConfig, Credential, CredentialSource, find_credential};
use crate::rejection::AuthError;
use crate::scheme::{Scheme, SchemeInfo};

/// The configured API keys, checked in constant time: the state of [`ApiKey<S>`].
///
/// Each key has a name (an id you choose, such as the client's) that the extractor yields; the
/// key itself is never exposed again. Keys are stored as SHA-256 digests and a presented key
/// is hashed and compared with every configured digest in constant time
/// ([`constant_time_eq`]), without stopping at a match and picking the match without a
/// branch, so the time taken tells neither whether nor which key matched, nor how long the
/// keys are. Use long random keys (32 bytes or more): the digests
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
        let mut matched = 0_usize;
        let mut index = 0_usize;
        for (i, entry) in self.entries.iter().enumerate() {
            // All ones when equal, else zero; `black_box` keeps the optimizer from turning the
            // select below back into a branch on the comparison.
            let equal = black_box(usize::from(constant_time_eq::constant_time_eq_32(
                &entry.digest,
                &digest,
            )))
            .wrapping_neg();
            index = (index & !equal) | (i & equal);
            matched |= equal;
        }
        if matched == 0 {
            None
        } else {
            self.entries.get(index).map(|entry| &entry.name)
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
pub struct ApiKey<S: CredentialSource> {
    name: Arc<str>,
    source: PhantomData<fn() -> S>,
}

impl<S: CredentialSource> ApiKey<S> {
    /// The name the matched key was configured with.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<S: CredentialSource> Clone for ApiKey<S> {
    fn clone(&self) -> Self {
        Self {
            name: Arc::clone(&self.name),
            source: PhantomData,
        }
    }
}

impl<S: CredentialSource> fmt::Debug for ApiKey<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey").field("name", &self.name).finish()
    }
}

/// An `ApiKey` of a declared API-key scheme documents its operations with that scheme.
impl<S: Scheme + CredentialSource> Credential for ApiKey<S> {
    const SCHEME: SchemeInfo = S::INFO;
}

impl<S: Scheme + CredentialSource> Credential for Option<ApiKey<S>> {
    const SCHEME: SchemeInfo = S::INFO;
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
            .map_err(|error| refused(error).with_config(AuthConfig::of(parts, &config)))
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
            .map_err(|error| refused(error).with_config(AuthConfig::of(parts, &config)))
    }
}

/// `error`, logged as the one event of a request the API-key extractors refuse: info level,
/// target `axum_scopes`, `outcome = "refused"` and the reason (see
/// [`AuthErrorKind::reason`](crate::rejection::AuthErrorKind::reason)), never the key.
#[cold]
fn refused(error: AuthError) -> AuthError {
    tracing::info!(
        target: "axum_scopes",
        outcome = "refused",
        reason = error.kind().reason(),
        "request refused"
    );
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_by_its_name_and_no_other() {
        let keys = ApiKeys::new()
            .with_key("first", "key-one-0123456789abcdef")
            .with_key("second", "key-two-0123456789abcdef")
            .with_key("third", "key-three-0123456789abcd");
        assert_eq!(keys.verify(b"key-one-0123456789abcdef"), Some("first"));
        assert_eq!(keys.verify(b"key-two-0123456789abcdef"), Some("second"));
        assert_eq!(keys.verify(b"key-three-0123456789abcd"), Some("third"));
        assert_eq!(keys.verify(b"key-four-0123456789abcde"), None);
        assert_eq!(keys.verify(b""), None);
        assert_eq!(ApiKeys::new().verify(b"key-one-0123456789abcdef"), None);
    }
}
