//! Calls that outlive their token: [`Ending`], the watch a call starts only once it waits, and
//! [`WatchedBody`], a response body that ends with `UNAUTHENTICATED` when the watch does.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use tonic::Status;

use super::status;
use crate::jwt::{Accepted, Authenticator, TokenError};
use crate::watch::{Watch, ended};

/// The end of a call's token: started at the first poll (a unary call answered at once never
/// starts it), then [`ended`].
pub(crate) struct Ending {
    start: Option<(Authenticator, Arc<Accepted>)>,
    watching: Option<Pin<Box<dyn Future<Output = TokenError> + Send>>>,
}

impl Ending {
    pub(crate) fn new(authenticator: Authenticator, accepted: Arc<Accepted>) -> Self {
        Self {
            start: Some((authenticator, accepted)),
            watching: None,
        }
    }

    /// Ready with the refusal once the token is no longer accepted.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<TokenError> {
        if let Some((authenticator, accepted)) = self.start.take() {
            let watch = Watch::new(&authenticator, accepted);
            self.watching = Some(Box::pin(ended(vec![watch])));
        }
        match &mut self.watching {
            Some(watching) => watching.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

/// Logs the end of a call for `error`.
pub(crate) fn log_ended(error: &TokenError) {
    tracing::info!(
        target: "axum_scopes",
        outcome = "closed",
        reason = error.reason(),
        transport = "grpc",
        "gRPC call ended: its token is no longer accepted"
    );
}

/// A response body that ends, with trailers saying `UNAUTHENTICATED`, when its call's token
/// is no longer accepted. Frames the inner body has ready pass first.
pub(crate) struct WatchedBody<B> {
    inner: B,
    ending: Ending,
    ended: bool,
}

impl<B> WatchedBody<B> {
    pub(crate) fn new(inner: B, ending: Ending) -> Self {
        Self {
            inner,
            ending,
            ended: false,
        }
    }
}

impl<B> Body for WatchedBody<B>
where
    B: Body<Data = Bytes, Error = Status> + Unpin,
{
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        let Poll::Ready(error) = this.ending.poll(cx) else {
            return Poll::Pending;
        };
        this.ended = true;
        log_ended(&error);
        let mut trailers = HeaderMap::new();
        // Only the `grpc-*` fields: a trailer carries no content type.
        let answer = status::ended(&error).into_http::<()>();
        for (name, value) in answer.headers() {
            if name.as_str().starts_with("grpc-") {
                trailers.append(name.clone(), value.clone());
            }
        }
        Poll::Ready(Some(Ok(Frame::trailers(trailers))))
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
