//! [`WebSocketStream`]: a `Stream` of received messages and a `Sink` of
//! messages to send, over one transport.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_core::{FusedStream, Stream};
use futures_sink::Sink;
use rtw_ws::{Message, Role, State};
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::Core;
use super::error::WsError;
use super::options::Options;
use super::split::{WsReader, WsWriter, join, split};

/// A WebSocket connection (RFC 6455) over `S`, after the opening handshake.
///
/// As a [`Stream`] it yields every received [`Message`]: text and binary
/// messages whole, pings and pongs (the pong to a ping is sent by itself,
/// RFC 6455 §5.5.2), and the peer's close frame (answered by itself,
/// §5.5.1). A protocol violation by the peer comes out as an `Err`
/// ([`WsError::Ws`]): the connection was failed with the matching close
/// code (§7.1.7). After the close, a failure or the end of the transport,
/// the stream closes the transport (§7.1.1: a server at once, a client after
/// the server did or [`Config::linger`] ran out) and ends.
///
/// As a [`Sink`] it takes messages, with backpressure: `poll_ready` waits
/// while [`Limits::max_write_buffer`] bytes are queued, so memory stays
/// bounded when the peer does not read. `poll_flush` writes everything;
/// `poll_close` runs the closing handshake (§7.1.2; code 1000 unless a
/// `Message::Close` was sent first) and closes the transport. To read what
/// the peer sends until its close frame, send `Message::Close` and read the
/// stream until it ends instead.
///
/// Keep polling the stream: pings are answered and the peer's close frame
/// is seen only while it is read. [`WebSocketStream::split`] gives halves
/// that two tasks can drive.
///
/// The timers need a tokio runtime with time enabled.
///
/// [`Limits::max_write_buffer`]: rtw_ws::Limits::max_write_buffer
/// [`Config::linger`]: rtw_ws::Config::linger
#[derive(Debug)]
pub struct WebSocketStream<S> {
    core: Core<S>,
}

impl<S> WebSocketStream<S> {
    /// A stream over `io`, which already completed the opening handshake in
    /// `role`, with no extension in use unless [`Options`] says so
    /// (`Options::negotiated_deflate`, feature `deflate`); a server
    /// upgraded by hyper should use [`from_negotiated`](Self::from_negotiated)
    /// instead. Transports: a hyper upgrade (`hyper::upgrade::on` wrapped in
    /// `hyper_util::rt::TokioIo`), or a transport whose handshake was done
    /// by hand. Fails only if the operating system has no entropy for
    /// masking keys.
    pub fn from_upgraded(io: S, role: Role, options: Options) -> Result<Self, WsError> {
        Self::from_raw_parts(io, role, options, BytesMut::new())
    }

    /// A server stream over `io`, upgraded after `negotiated` was answered
    /// (by hyper, say: `hyper::upgrade::on` wrapped in
    /// `hyper_util::rt::TokioIo`). What the handshake agreed is taken from
    /// `negotiated`, so permessage-deflate, when the policy accepted it
    /// (RFC 7692), is used as agreed: prefer this to
    /// [`from_upgraded`](Self::from_upgraded), which cannot know.
    ///
    /// Fails with [`WsError::UnsupportedExtension`] when the handshake
    /// accepted an extension this stream cannot run (any but
    /// permessage-deflate, or that one without the `deflate` feature), and
    /// with `WsError::Deflate` when its parameters break RFC 7692.
    pub fn from_negotiated(
        io: S,
        negotiated: &rtw_ws::handshake::ServerNegotiated,
        options: Options,
    ) -> Result<Self, WsError> {
        let options = options.agreed(&negotiated.extensions)?;
        Self::from_upgraded(io, Role::Server, options)
    }

    /// Like [`from_upgraded`](Self::from_upgraded), with `already_read`:
    /// bytes read past the handshake, which are the peer's first frames.
    pub fn from_raw_parts(
        io: S,
        role: Role,
        options: Options,
        already_read: BytesMut,
    ) -> Result<Self, WsError> {
        Ok(WebSocketStream {
            core: Core::new(io, role, options, already_read)?,
        })
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.core.role()
    }

    /// Where the connection is: open, closing (we sent a close frame), or
    /// closed (RFC 6455 §7).
    pub fn state(&self) -> State {
        self.core.state()
    }

    /// Bytes queued to send but not yet written to the transport.
    pub fn buffered_amount(&self) -> usize {
        self.core.buffered()
    }

    /// The options.
    pub fn options(&self) -> &Options {
        self.core.options()
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        self.core.get_ref()
    }

    /// The transport, mutably (for socket options, say). Reading or
    /// writing it directly corrupts the connection.
    pub fn get_mut(&mut self) -> &mut S {
        self.core.get_mut()
    }

    /// A reading half and a writing half sharing this connection, for two
    /// tasks. The reading half still answers pings and close frames, and
    /// either half can drive the closing handshake; see [`WsReader`] and
    /// [`WsWriter`].
    pub fn split(self) -> (WsReader<S>, WsWriter<S>) {
        split(self.core)
    }
}

impl<S> WsReader<S> {
    /// The two halves as one stream again, or both back if they come from
    /// different streams.
    pub fn reunite(self, writer: WsWriter<S>) -> Result<WebSocketStream<S>, (Self, WsWriter<S>)> {
        join(self, writer).map(|core| WebSocketStream { core })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, WsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().core.poll_next(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FusedStream for WebSocketStream<S> {
    fn is_terminated(&self) -> bool {
        self.core.is_terminated()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = WsError;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.get_mut().core.poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), WsError> {
        self.get_mut().core.start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.get_mut().core.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.get_mut().core.poll_close(cx)
    }
}
