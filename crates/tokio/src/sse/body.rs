//! The server side: a stream of [`Message`]s as a response body.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Response};
use rtw_sse::{Message, write_comment};
use tokio::time::{Instant, Sleep};

/// The MIME type of an event stream, for `Content-Type`.
pub const CONTENT_TYPE_EVENT_STREAM: &str = "text/event-stream";

/// Messages that are ready at once are written into one chunk of the body
/// until it holds this many bytes.
const MAX_BATCH: usize = 64 * 1024;

/// When and what an [`EventStream`] sends while it has no message to send:
/// a comment line, which every parser ignores, so that proxies and the
/// client's own timers see traffic on an idle connection (the standard's
/// "Authoring notes" suggest one about every 15 seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepAlive {
    interval: Duration,
    comment: Bytes,
}

impl KeepAlive {
    /// A `:` line after 15 seconds without output, as the standard's
    /// authoring notes suggest.
    pub fn new() -> Self {
        KeepAlive {
            interval: Duration::from_secs(15),
            comment: Bytes::from_static(b":\n"),
        }
    }

    /// Send the comment after `interval` without output. A zero interval is
    /// raised to one millisecond.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The comment's text (each of its lines becomes a comment line);
    /// empty by default.
    pub fn text(mut self, text: &str) -> Self {
        let mut comment = BytesMut::new();
        write_comment(text, &mut comment);
        self.comment = comment.freeze();
        self
    }

    /// The interval without output after which the comment is sent.
    pub fn period(&self) -> Duration {
        self.interval
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive::new()
    }
}

/// A `text/event-stream` response body made of a stream of [`Message`]s.
///
/// It is a [`Stream`] of `Result<Bytes, Infallible>` (what
/// `axum::body::Body::from_stream` and `hyper`'s `StreamBody` take) and an
/// [`http_body::Body`] (what a `hyper` service returns). Messages that are
/// ready together go out in one chunk; with [`EventStream::keep_alive`], a
/// comment goes out whenever the body has been silent for the interval. The
/// body ends when the message stream ends: a client's EventSource then
/// reconnects, unless the server answers that request with 204 No Content.
///
/// The keep-alive timer is tokio's: poll the body inside a tokio runtime
/// with the time driver enabled.
///
/// ```
/// # async fn demo() {
/// use std::time::Duration;
/// use futures_util::{StreamExt, stream};
/// use rtw_sse::Message;
/// use rtw_tokio::sse::{EventStream, KeepAlive};
///
/// let messages = stream::iter([Message::new("hello").id("1").unwrap()]);
/// let response = EventStream::new(messages)
///     .keep_alive(KeepAlive::new().interval(Duration::from_secs(10)))
///     .into_response();
/// assert_eq!(response.headers()["content-type"], "text/event-stream");
/// let chunks: Vec<_> = response.into_body().map(Result::unwrap).collect().await;
/// assert_eq!(chunks, ["data: hello\nid: 1\n\n"]);
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo());
/// ```
pub struct EventStream<S> {
    messages: Pin<Box<S>>,
    keep_alive: Option<KeepAlive>,
    /// Created at the first poll that finds no message, so that the body
    /// can be made outside a runtime.
    timer: Option<Pin<Box<Sleep>>>,
    buf: BytesMut,
    done: bool,
}

impl<S> fmt::Debug for EventStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("keep_alive", &self.keep_alive)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<S: Stream<Item = Message>> EventStream<S> {
    /// A body sending each message of `messages`, without keep-alive.
    pub fn new(messages: S) -> Self {
        EventStream {
            messages: Box::pin(messages),
            keep_alive: None,
            timer: None,
            buf: BytesMut::new(),
            done: false,
        }
    }

    /// Send `keep_alive`'s comment whenever the body has sent nothing for
    /// its interval.
    pub fn keep_alive(mut self, keep_alive: KeepAlive) -> Self {
        self.keep_alive = Some(keep_alive);
        self.timer = None;
        self
    }

    /// A `200 OK` response with this body and the headers an event stream
    /// needs: see [`event_stream_headers`].
    pub fn into_response(self) -> Response<Self> {
        let mut response = Response::new(self);
        *response.headers_mut() = event_stream_headers();
        response
    }

    /// The next chunk of output, if any is ready.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if self.done {
            return Poll::Ready(None);
        }
        while self.buf.len() < MAX_BATCH {
            match self.messages.as_mut().poll_next(cx) {
                Poll::Ready(Some(message)) => message.write_to(&mut self.buf),
                Poll::Ready(None) => {
                    self.done = true;
                    break;
                }
                Poll::Pending => break,
            }
        }
        if !self.buf.is_empty() {
            if let (Some(timer), Some(keep_alive)) = (&mut self.timer, &self.keep_alive) {
                timer.as_mut().reset(Instant::now() + keep_alive.interval);
            }
            return Poll::Ready(Some(self.buf.split().freeze()));
        }
        if self.done {
            return Poll::Ready(None);
        }
        let Some(keep_alive) = &self.keep_alive else {
            return Poll::Pending;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(keep_alive.interval)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                timer.as_mut().reset(Instant::now() + keep_alive.interval);
                Poll::Ready(Some(keep_alive.comment.clone()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: Stream<Item = Message>> Stream for EventStream<S> {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx).map(|chunk| chunk.map(Ok))
    }
}

impl<S: Stream<Item = Message>> http_body::Body for EventStream<S> {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .poll_chunk(cx)
            .map(|chunk| chunk.map(|data| Ok(http_body::Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.buf.is_empty()
    }
}

/// The headers of an event-stream response: `Content-Type:
/// text/event-stream` and `Cache-Control: no-store` (an event stream must
/// not be served from a cache).
pub fn event_stream_headers() -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(2);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(CONTENT_TYPE_EVENT_STREAM),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers
}

/// The `Last-Event-ID` a reconnecting EventSource sent (the standard's
/// "The `Last-Event-ID` header"), if the request has one that is UTF-8. Browsers send
/// the id as UTF-8 bytes, which need not be visible ASCII.
pub fn last_event_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("last-event-id")?;
    std::str::from_utf8(value.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Messages from a queue the test fills; `Pending` while it is empty.
    struct Queue {
        items: std::collections::VecDeque<Option<Message>>,
    }

    impl Stream for Queue {
        type Item = Message;
        fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Message>> {
            match self.items.pop_front() {
                Some(item) => Poll::Ready(item),
                None => Poll::Pending,
            }
        }
    }

    fn poll(body: &mut EventStream<Queue>) -> Poll<Option<Bytes>> {
        let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
        body.poll_chunk(&mut Context::from_waker(&waker))
    }

    #[test]
    fn ready_messages_go_out_in_one_chunk_and_the_end_ends_the_body() {
        let items = [
            Some(Message::new("a").id("1").unwrap()),
            Some(Message::new("b\nc").event("x").unwrap()),
            None,
        ];
        let mut body = EventStream::new(Queue {
            items: items.into_iter().collect(),
        });
        assert_eq!(
            poll(&mut body),
            Poll::Ready(Some(Bytes::from_static(
                b"data: a\nid: 1\n\nevent: x\ndata: b\ndata: c\n\n"
            )))
        );
        assert!(http_body::Body::is_end_stream(&body));
        assert_eq!(poll(&mut body), Poll::Ready(None));
    }

    #[test]
    fn without_keep_alive_an_idle_body_is_pending_without_a_runtime() {
        let mut body = EventStream::new(Queue {
            items: [Some(Message::new("a"))].into_iter().collect(),
        });
        assert!(matches!(poll(&mut body), Poll::Ready(Some(_))));
        assert_eq!(poll(&mut body), Poll::Pending);
        assert!(!http_body::Body::is_end_stream(&body));
    }

    #[tokio::test(start_paused = true)]
    async fn keep_alive_comments_fill_silences_only() {
        let mut body = EventStream::new(Queue {
            items: Default::default(),
        })
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(10))
                .text("ka"),
        );
        let start = Instant::now();
        assert_eq!(poll(&mut body), Poll::Pending);
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(poll(&mut body), Poll::Pending);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            poll(&mut body),
            Poll::Ready(Some(Bytes::from_static(b": ka\n")))
        );
        assert_eq!(poll(&mut body), Poll::Pending);
        // A message restarts the silence.
        tokio::time::advance(Duration::from_secs(5)).await;
        body.messages.items.push_back(Some(Message::new("m")));
        assert_eq!(
            poll(&mut body),
            Poll::Ready(Some(Bytes::from_static(b"data: m\n\n")))
        );
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(poll(&mut body), Poll::Pending);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(matches!(poll(&mut body), Poll::Ready(Some(c)) if c == ": ka\n"));
        assert_eq!(start.elapsed(), Duration::from_secs(25));
    }

    #[test]
    fn headers_and_last_event_id() {
        let headers = event_stream_headers();
        assert_eq!(headers[CONTENT_TYPE], "text/event-stream");
        assert_eq!(headers[CACHE_CONTROL], "no-store");
        let mut request = HeaderMap::new();
        assert_eq!(last_event_id(&request), None);
        request.insert(
            "last-event-id",
            HeaderValue::from_bytes("é7".as_bytes()).unwrap(),
        );
        assert_eq!(last_event_id(&request), Some("é7"));
    }
}
