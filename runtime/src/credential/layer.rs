//! [`AuthConfig`] as a router layer: the one place a router's answers are configured, for the
//! extractors that have no state of their own and for the answers the app builds itself.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::response::Response;
use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, Request, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use super::AuthConfig;

impl<S> Layer<S> for AuthConfig {
    type Service = Configured<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Configured {
            inner,
            config: self.clone(),
        }
    }
}

/// The service of [`AuthConfig`]'s layer: see [`AuthConfig`].
#[derive(Debug, Clone)]
pub struct Configured<S> {
    inner: S,
    config: AuthConfig,
}

impl<S, B> Service<Request<B>> for Configured<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Completing<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        request.extensions_mut().insert(self.config.clone());
        Completing {
            inner: self.inner.call(request),
            config: self.config.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of the service behind [`Configured`], its challenges completed.
    #[derive(Debug)]
    pub struct Completing<F> {
        #[pin]
        inner: F,
        config: AuthConfig,
    }
}

impl<F, E> Future for Completing<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.inner.poll(cx))?;
        complete(&mut response, this.config);
        Poll::Ready(Ok(response))
    }
}

/// Adds the configured `resource_metadata` (RFC 9728 §5.1) to the `Bearer` and `DPoP`
/// challenges of a 401 or 403 that lack it: those of `BearerToken`'s answer and of the
/// `HttpError`s an app builds from `SecurityScopes`. Other answers pass untouched, at the
/// cost of one comparison.
fn complete(response: &mut Response, config: &AuthConfig) {
    if !matches!(
        response.status(),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    ) {
        return;
    }
    let Some(url) = config.resource_metadata() else {
        return;
    };
    let headers = response.headers_mut();
    let completed: Vec<HeaderValue> = headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|value| with_resource_metadata(value, url.as_str()).unwrap_or_else(|| value.clone()))
        .collect();
    if completed.is_empty() {
        return;
    }
    headers.remove(WWW_AUTHENTICATE);
    for value in completed {
        headers.append(WWW_AUTHENTICATE, value);
    }
}

/// `value` with `resource_metadata="<url>"` added, when it is a `Bearer` or `DPoP` challenge
/// without one; `None` to keep it as it is.
fn with_resource_metadata(value: &HeaderValue, url: &str) -> Option<HeaderValue> {
    let text = value.to_str().ok()?.trim();
    let scheme = text.split([' ', ',']).next()?;
    let token_scheme = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("dpop");
    if !token_scheme || text.contains("resource_metadata=") {
        return None;
    }
    let completed = if text.len() == scheme.len() {
        format!("{text} resource_metadata=\"{url}\"")
    } else {
        format!("{text}, resource_metadata=\"{url}\"")
    };
    // The URL is printable ASCII without quotes (`ResourceMetadata::new`).
    HeaderValue::from_str(&completed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_token_challenges_only() {
        let url = "https://api.example/.well-known/oauth-protected-resource";
        let complete = |text: &'static str| {
            with_resource_metadata(&HeaderValue::from_static(text), url)
                .map(|value| value.to_str().unwrap().to_owned())
        };
        assert_eq!(
            complete("Bearer").as_deref(),
            Some(
                r#"Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource""#
            )
        );
        assert_eq!(
            complete(r#"Bearer scope="items me""#).as_deref(),
            Some(
                r#"Bearer scope="items me", resource_metadata="https://api.example/.well-known/oauth-protected-resource""#
            )
        );
        assert_eq!(complete(r#"Bearer resource_metadata="x""#), None);
        assert_eq!(complete("APIKey"), None);
        assert_eq!(complete("Basic realm=\"x\""), None);
        assert_eq!(complete("Bearerish"), None);
    }
}
