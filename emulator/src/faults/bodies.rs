//! Response bodies that misbehave on purpose: one cut short, one far too large.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;
use tokio_util::sync::CancellationToken;

/// Time given to the server to flush the partial body before the connection is cut.
const FLUSH_GRACE: Duration = Duration::from_millis(20);

/// Sends its first chunk, then (after a short flush grace) cuts the connection, while the
/// `Content-Length` header promised more: the client sees a body that ends early.
pub(crate) struct TruncatedBody {
    first: Option<Bytes>,
    declared: u64,
    abort: CancellationToken,
    grace: Option<Pin<Box<Sleep>>>,
}

impl TruncatedBody {
    /// `first` is sent; `declared` is the length the headers promise.
    pub(crate) fn new(first: Bytes, declared: u64, abort: CancellationToken) -> Self {
        TruncatedBody { first: Some(first), declared, abort, grace: None }
    }
}

impl Body for TruncatedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        let grace = this.grace.get_or_insert_with(|| Box::pin(tokio::time::sleep(FLUSH_GRACE)));
        if grace.as_mut().poll(cx).is_ready() {
            // The connection task drops the connection: the rest never comes.
            this.abort.cancel();
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.declared)
    }
}

/// Filler for the middle of an oversized body.
static PADDING: [u8; 64 * 1024] = [b'x'; 64 * 1024];
const PREFIX: &[u8] = b"{\"padding\":\"";
const SUFFIX: &[u8] = b"\"}";

/// A syntactically valid JSON object of exactly `size` bytes, streamed without allocating:
/// `{"padding":"xxxx…"}`.
pub(crate) struct OversizedBody {
    size: u64,
    sent: u64,
}

impl OversizedBody {
    /// A body of `size` bytes (at least the 14 bytes of the JSON frame).
    pub(crate) fn new(size: u64) -> Self {
        let frame = (PREFIX.len() + SUFFIX.len()) as u64;
        OversizedBody { size: size.max(frame), sent: 0 }
    }
}

impl Body for OversizedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let suffix_at = this.size - SUFFIX.len() as u64;
        let chunk = if this.sent == 0 {
            Bytes::from_static(PREFIX)
        } else if this.sent < suffix_at {
            let len = (suffix_at - this.sent).min(PADDING.len() as u64) as usize;
            Bytes::from_static(&PADDING[..len])
        } else if this.sent < this.size {
            Bytes::from_static(SUFFIX)
        } else {
            return Poll::Ready(None);
        };
        this.sent += chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.size
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.size - self.sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn oversized_body_is_exact_json() {
        let bytes = OversizedBody::new(100_000).collect().await.expect("infallible").to_bytes();
        assert_eq!(bytes.len(), 100_000);
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        assert!(value["padding"].is_string());
    }
}
