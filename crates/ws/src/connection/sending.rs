//! The sending half of a connection: messages, fragments and the close
//! frame we send (RFC 6455 §5.4-§5.5, §7.1.2), and the bytes that wait to
//! be written. [`Outgoing`](super::outgoing::Outgoing) builds the frames
//! and holds them until then.

use bytes::{Bytes, BytesMut};

#[cfg(feature = "deflate")]
use super::compression;
use super::{Connection, State};
use crate::frame::OpCode;
use crate::{CloseFrame, Error, Message, MessageKind, Utf8Bytes};

impl Connection {
    /// Queue a message: text and binary are fragmented at
    /// [`Config::fragment_size`](crate::Config::fragment_size); ping and
    /// pong payloads are at most 125 bytes; `Close` starts the closing
    /// handshake (§7.1.2).
    ///
    /// Fails with [`Error::Closed`] once we sent a close frame, with
    /// [`Error::WriteBufferFull`] while the outgoing buffer is over its limit
    /// (take [`Connection::poll_transmit`] and write it first), and with
    /// [`Error::FragmentOrder`] while a [`Connection::send_fragment`]
    /// message is open.
    ///
    /// The payload is not copied on the server's path: a message's
    /// `Bytes` (or each fragment's slice of it) is handed back by
    /// [`Connection::poll_transmit`] as it is, behind its frame header,
    /// when it is not compressed and has at least 512 bytes. A client
    /// copies it once, masking it (RFC 6455 §5.3); a compressed message is
    /// masked where zlib wrote it.
    #[inline]
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        if let Message::Close(frame) = message {
            return self.close(frame);
        }
        self.check_can_send()?;
        self.outgoing.flush_pong();
        match message {
            Message::Text(t) => self.send_message(OpCode::Text, t.into_bytes()),
            Message::Binary(b) => self.send_message(OpCode::Binary, b),
            Message::Ping(p) => self.send_control(OpCode::Ping, &p),
            Message::Pong(p) => self.send_control(OpCode::Pong, &p),
            Message::Close(_) => unreachable!("handled above"),
        }
    }

    /// Queue a binary message: [`Connection::send`] with
    /// [`Message::Binary`]. Pass a `Bytes` (or a `Vec<u8>`, which becomes
    /// one without a copy) to send it without a copy.
    pub fn send_binary(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.send(Message::Binary(payload.into()))
    }

    /// Queue a text message: [`Connection::send`] with [`Message::Text`].
    pub fn send_text(&mut self, text: impl Into<Utf8Bytes>) -> Result<(), Error> {
        self.send(Message::Text(text.into()))
    }

    fn check_can_send(&self) -> Result<(), Error> {
        if self.state != State::Open {
            return Err(Error::Closed);
        }
        if self.outgoing.bytes() >= self.config.limits.max_write_buffer {
            return Err(Error::WriteBufferFull {
                limit: self.config.limits.max_write_buffer,
            });
        }
        Ok(())
    }

    #[inline(always)]
    fn send_message(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), Error> {
        if self.sending.is_some() {
            return Err(Error::FragmentOrder("a fragmented message is still open"));
        }
        #[cfg(feature = "deflate")]
        if let Some(compressed) =
            (self.compression.as_mut()).and_then(|c| c.deflate(&payload, self.timers.now()))
        {
            self.outgoing.message_owned(
                opcode,
                compression::RSV1,
                compressed,
                self.config.fragment_size,
            );
            return Ok(());
        }
        self.outgoing
            .message(opcode, 0, payload, self.config.fragment_size);
        Ok(())
    }

    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > 125 {
            return Err(Error::ControlPayloadTooLong(payload.len()));
        }
        self.outgoing.frame(opcode, true, payload);
        Ok(())
    }

    /// Send one fragment of a message (RFC 6455 §5.4): the first call opens
    /// a message of `kind`, later calls with the same kind continue it, and
    /// `fin` ends it. Text fragments are checked to add up to valid UTF-8;
    /// each may end inside a code point. Control frames may be sent between
    /// fragments.
    ///
    /// The payload is sent as [`Connection::send`] sends it: a server
    /// queues the same `Bytes` (from 512 bytes on), a client copies it once
    /// to mask it. Fragments are never compressed.
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        payload: impl Into<Bytes>,
        fin: bool,
    ) -> Result<(), Error> {
        let payload = payload.into();
        self.check_can_send()?;
        self.outgoing.flush_pong();
        let opcode = match self.sending {
            None => {
                self.sending_utf8.reset();
                match kind {
                    MessageKind::Text => OpCode::Text,
                    MessageKind::Binary => OpCode::Binary,
                }
            }
            Some(open) if open == kind => OpCode::Continuation,
            Some(_) => {
                return Err(Error::FragmentOrder(
                    "fragment of a different kind than its message",
                ));
            }
        };
        if kind == MessageKind::Text {
            let mut check = self.sending_utf8.clone();
            check.feed(&payload).map_err(|_| Error::InvalidUtf8)?;
            if fin && !check.is_complete() {
                return Err(Error::InvalidUtf8);
            }
            self.sending_utf8 = check;
        }
        self.outgoing.frame_bytes(opcode, fin, 0, payload);
        self.sending = if fin { None } else { Some(kind) };
        Ok(())
    }

    /// Start the closing handshake (RFC 6455 §7.1.2) with `frame` as the
    /// close frame's body (`None` for an empty body). The code must be one
    /// that may be sent (§7.4) and the reason at most 123 bytes.
    pub fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        if self.state != State::Open {
            return Err(Error::Closed);
        }
        let mut payload = BytesMut::new();
        if let Some(f) = &frame {
            if !f.code.is_valid_on_wire() {
                return Err(Error::CloseCodeNotSendable(f.code.0));
            }
            if f.reason.len() > 123 {
                return Err(Error::ControlPayloadTooLong(2 + f.reason.len()));
            }
            f.write_payload(&mut payload);
        }
        self.outgoing.flush_pong();
        self.outgoing.frame(OpCode::Close, true, &payload);
        self.state = State::Closing;
        // The close timeout starts at the next time given: this call takes
        // none, and the latest one known may be long past.
        self.ending.close_sent(None);
        Ok(())
    }

    /// The next bytes to write to the transport, in order, or `None` when
    /// there are none. Call it until `None`: the bytes may come in several
    /// chunks, so a driver gathers the successive chunks into one
    /// vectored write (`AsyncWrite::poll_write_vectored`, or a
    /// [`bytes::Buf`] chain) rather than writing each on its own.
    ///
    /// Zero copy (the server's path): the payload of a message sent with
    /// [`Connection::send`] or [`Connection::send_fragment`] is returned
    /// as the very `Bytes` given, after a chunk holding its frame header,
    /// when no mask (the server role) and no compression applies and the
    /// payload (or fragment) has at least 512 bytes; smaller payloads are
    /// copied beside their header. A client copies each payload once,
    /// masking it (RFC 6455 §5.3); a compressed payload is masked where
    /// zlib wrote it.
    ///
    /// Changes after [`Connection::send`] (and [`Connection::send_binary`],
    /// [`Connection::send_text`]), [`Connection::send_fragment`],
    /// [`Connection::close`], [`Connection::handle_input`] (which queues
    /// pongs, close replies and the close frame of a failure) and
    /// [`Connection::handle_timeout`] (keep-alive pings, the close frame
    /// of a failure).
    #[must_use]
    #[inline]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outgoing.flush_pong();
        self.outgoing.pop()
    }
}
