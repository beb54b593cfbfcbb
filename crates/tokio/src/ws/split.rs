//! Split halves of a WebSocket for two tasks: [`WsReader`] and
//! [`WsWriter`] share one connection.
//!
//! The connection sits behind a mutex held only inside a poll call (never
//! across an await), and every poll of the transport wakes both halves'
//! tasks (see `wakers.rs`), so neither sleeps through what the other did.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_core::{FusedStream, Stream};
use futures_sink::Sink;
use rtw_ws::{Message, Role, State};
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::Core;
use super::error::WsError;

type Shared<S> = Arc<Mutex<Core<S>>>;

fn lock<S>(shared: &Shared<S>) -> MutexGuard<'_, Core<S>> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(super) fn split<S>(core: Core<S>) -> (WsReader<S>, WsWriter<S>) {
    let shared = Arc::new(Mutex::new(core));
    (
        WsReader {
            shared: shared.clone(),
        },
        WsWriter { shared },
    )
}

/// The reading half of a [`WebSocketStream`](super::WebSocketStream): a [`Stream`] of received
/// messages, like the whole stream's.
///
/// Reading also writes what the connection queued (the pong to each ping,
/// RFC 6455 §5.5.2, and the reply to a close frame, §5.5.1), so the peer is
/// answered even while the writer is idle. Keep polling it until it ends.
#[derive(Debug)]
pub struct WsReader<S> {
    shared: Shared<S>,
}

/// The writing half of a [`WebSocketStream`](super::WebSocketStream): a [`Sink`] of messages with
/// the whole stream's backpressure.
///
/// `poll_close` runs the closing handshake: it sends a close frame, then
/// reads until the peer's close frame arrives, leaving what it read queued
/// for the [`WsReader`], which sees the peer's close frame and then ends.
#[derive(Debug)]
pub struct WsWriter<S> {
    shared: Shared<S>,
}

/// The connection of two halves of one stream, or both back if they come
/// from different streams (`WsReader::reunite`).
pub(super) fn join<S>(
    reader: WsReader<S>,
    writer: WsWriter<S>,
) -> Result<Core<S>, (WsReader<S>, WsWriter<S>)> {
    if !Arc::ptr_eq(&reader.shared, &writer.shared) {
        return Err((reader, writer));
    }
    drop(writer);
    match Arc::try_unwrap(reader.shared) {
        Ok(mutex) => Ok(mutex.into_inner().unwrap_or_else(PoisonError::into_inner)),
        Err(_) => unreachable!("the two halves held the only references"),
    }
}

impl<S> WsReader<S> {
    /// Where the connection is (RFC 6455 §7).
    pub fn state(&self) -> State {
        lock(&self.shared).state()
    }

    /// Our role.
    pub fn role(&self) -> Role {
        lock(&self.shared).role()
    }
}

impl<S> WsWriter<S> {
    /// Where the connection is (RFC 6455 §7).
    pub fn state(&self) -> State {
        lock(&self.shared).state()
    }

    /// Bytes queued to send but not yet written to the transport.
    pub fn buffered_amount(&self) -> usize {
        lock(&self.shared).buffered()
    }

    /// `true` if `reader` is this writer's other half.
    pub fn is_pair_of(&self, reader: &WsReader<S>) -> bool {
        Arc::ptr_eq(&self.shared, &reader.shared)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WsReader<S> {
    type Item = Result<Message, WsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        lock(&self.shared).poll_next(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FusedStream for WsReader<S> {
    fn is_terminated(&self) -> bool {
        lock(&self.shared).is_terminated()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WsWriter<S> {
    type Error = WsError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        lock(&self.shared).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), WsError> {
        lock(&self.shared).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        lock(&self.shared).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        lock(&self.shared).poll_close(cx)
    }
}
