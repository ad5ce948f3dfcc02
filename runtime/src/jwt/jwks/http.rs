//! The HTTP transport of the JWKS client: hyper-util's client and `hyper-rustls`, with a
//! rustls configuration built on an explicit `ring` provider, bounded in time and size, never
//! following redirects.
//!
//! Not reqwest: a library that enables a reqwest TLS feature enables it in every reqwest of the
//! user's build (Cargo unifies features), and `rustls-no-provider` makes their
//! `Client::builder().build()` panic unless a process-wide provider is installed. Nothing here
//! installs one either.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_platform_verifier::BuilderVerifierExt;
use serde::Deserialize;
use tower_service::Service;

use super::error::{BoxError, JwksError};
use super::options::JwksOptions;

/// The client every fetch of one [`Remote`](super::Remote) goes through (its pool keeps
/// the connection to the provider alive between refreshes).
pub(crate) type HttpClient = Client<Connector, Empty<Bytes>>;

/// The client of the introspection calls, which POST a form.
pub(crate) type FormClient = Client<Connector, Full<Bytes>>;

/// A client with the TLS, scheme and connect-timeout settings of `options`, for bodies `B`.
pub(crate) fn client<B>(options: &JwksOptions) -> Result<Client<Connector, B>, JwksError>
where
    B: axum::body::HttpBody + Send + 'static,
    B::Data: Send,
{
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
pub(crate) struct Connector {
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

pub(crate) fn check_scheme(url: &str, options: &JwksOptions) -> Result<(), JwksError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some(scheme) if scheme.eq_ignore_ascii_case("https") => Ok(()),
        Some(scheme) if options.allow_http && scheme.eq_ignore_ascii_case("http") => Ok(()),
        _ => Err(JwksError::InsecureUrl),
    }
}

/// What the library reads from an `OpenID` discovery document.
#[derive(Deserialize)]
pub(crate) struct Discovery {
    issuer: String,
    /// The JWKS URL.
    pub(crate) jwks_uri: String,
    /// RFC 8414's introspection endpoint, when the provider has one.
    #[serde(default)]
    pub(crate) introspection_endpoint: Option<String>,
}

/// Reads the discovery document at `url`, which must name `issuer` exactly.
pub(crate) async fn discover(
    client: &HttpClient,
    options: &JwksOptions,
    issuer: &str,
    url: &str,
) -> Result<Discovery, JwksError> {
    check_scheme(url, options)?;
    let (body, _) = get(client, options, url).await?;
    let document: Discovery = serde_json::from_slice(&body).map_err(JwksError::InvalidDocument)?;
    if document.issuer != issuer {
        return Err(JwksError::IssuerMismatch {
            expected: issuer.to_owned(),
            found: document.issuer,
        });
    }
    Ok(document)
}

/// POSTs the form `body` to `url` (with `authorization` when given) within
/// [`JwksOptions::timeout`] and the size bound; the status and the body. Redirects are not
/// followed.
pub(crate) async fn post_form(
    client: &FormClient,
    options: &JwksOptions,
    url: &str,
    body: String,
    authorization: Option<&HeaderValue>,
) -> Result<(StatusCode, Bytes), JwksError> {
    let mut request = Request::post(url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    if let Some(authorization) = authorization {
        request = request.header(AUTHORIZATION, authorization.clone());
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(JwksError::request)?;
    let limit = options.max_response_size;
    let exchange = async {
        let response = client.request(request).await.map_err(JwksError::request)?;
        let status = response.status();
        Ok((status, collect_bounded(response.into_body(), limit).await?))
    };
    tokio::time::timeout(options.timeout, exchange)
        .await
        .map_err(|elapsed| JwksError::Timeout(elapsed.into()))?
}

/// GETs `url` within [`JwksOptions::timeout`] and the size bound,
/// returning the body and `max-age`.
///
/// Redirects are refused ([`JwksError::Status`]) rather than followed:
/// key material should come from the URL the operator configured or the
/// issuer's discovery document named, not from wherever that URL points
/// today, and refusing needs no URL resolution and cannot downgrade
/// `https` to `http`. The `Location` is logged to say what to configure.
pub(super) async fn get(
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
    Ok((collect_bounded(response.into_body(), limit).await?, max_age))
}

/// A response body, read up to `limit` bytes: more is [`JwksError::TooLarge`].
async fn collect_bounded<B>(body: B, limit: usize) -> Result<Bytes, JwksError>
where
    B: axum::body::HttpBody,
    B::Error: Into<BoxError>,
{
    let body = Limited::new(body, limit).collect().await.map_err(|err| {
        if err.is::<LengthLimitError>() {
            JwksError::TooLarge { limit }
        } else {
            JwksError::request(err)
        }
    })?;
    Ok(body.to_bytes())
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
    use http::StatusCode;
    use std::time::Instant;

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
