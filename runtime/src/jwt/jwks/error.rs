//! Why a discovery document or key set could not be fetched: [`JwksError`].

use std::error::Error;

use http::StatusCode;
use tokio::time::error::Elapsed;

/// The cause kept as [`JwksError`]'s source: the HTTP client's, TLS's or
/// tokio's error, boxed so that no client library becomes public API.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

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
    /// The provider did not answer within [`JwksOptions::connect_timeout`](super::JwksOptions::connect_timeout)
    /// or [`JwksOptions::timeout`](super::JwksOptions::timeout); the source is tokio's `Elapsed`.
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
    /// The body is larger than [`JwksOptions::max_response_size`](super::JwksOptions::max_response_size).
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
    /// The discovery document names no `introspection_endpoint`, and the
    /// `Introspection` gives none.
    #[error("the discovery document names no introspection endpoint")]
    NoIntrospectionEndpoint,
}

impl JwksError {
    /// A failed request: [`JwksError::Timeout`] when the connect timeout
    /// fired (hyper-util wraps the connector's error), else
    /// [`JwksError::Http`].
    pub(super) fn request(err: impl Into<BoxError>) -> Self {
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
