//! What comes from the server: responses, Data indications (RFC 8656
//! §11.6) and ChannelData (§12.6), as UDP datagrams or framed on a TCP or
//! TLS stream (§12.5, RFC 8489 §6.2.2) with rtw-stun's [`Decoder`].
//!
//! Nothing the server sends can make the client panic or grow without
//! bound: messages are parsed within [`ClientConfig::limits`](super::ClientConfig::limits),
//! the stream buffer holds at most one frame of at most
//! `limits.max_message_size` bytes (checked from its first 4 bytes), and
//! anything that does not fit a request in flight, a permission or a
//! channel is dropped.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rtw_stun::attributes::{Data, XorPeerAddress};
use rtw_stun::{ChannelData, Class, Decoder, Frame, Message, Method};

use super::{Client, ClientEvent, State};
use crate::Error;

/// The byte stream from the server over TCP or TLS.
#[derive(Debug, Default)]
pub(super) struct Stream {
    buf: BytesMut,
    decoder: Decoder,
}

impl Stream {
    pub(super) fn new(limits: rtw_stun::Limits) -> Self {
        Stream {
            buf: BytesMut::new(),
            decoder: Decoder::with_limits(limits),
        }
    }

    pub(super) fn clear(&mut self) {
        self.buf = BytesMut::new();
    }
}

impl Client {
    /// One UDP datagram from the server: `false` if it is neither STUN nor
    /// ChannelData (RFC 7983 first-byte ranges).
    pub(super) fn datagram(&mut self, now: Instant, bytes: &[u8]) -> bool {
        match bytes.first() {
            Some(0..=3) => self.on_stun(now, bytes),
            Some(0x40..=0x4F) => {
                if let Ok(Some((cd, _))) = ChannelData::parse(bytes, self.config.transport) {
                    self.on_channel_data(cd.channel(), Bytes::copy_from_slice(cd.data()));
                }
            }
            _ => return false,
        }
        true
    }

    /// The next bytes of the stream from the server.
    pub(super) fn stream_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Closed || self.state == State::Idle {
            return;
        }
        self.stream.buf.extend_from_slice(bytes);
        loop {
            let before = self.stream.buf.len();
            match self.stream.decoder.decode(&mut self.stream.buf) {
                Ok(Some(Frame::Stun(message))) => self.on_stun(now, &message),
                Ok(Some(Frame::ChannelData { channel, data })) => {
                    self.on_channel_data(channel, data)
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                // A whole frame was taken but is not a valid message: it
                // is dropped and the stream goes on.
                Err(_) if self.stream.buf.len() < before => {}
                // The framing itself is broken (RFC 8656 §12.5): nothing
                // after can be read.
                Err(e) => {
                    self.stream_broken(e.into());
                    break;
                }
            }
        }
    }

    /// The stream cannot be read any further: the allocation is lost.
    fn stream_broken(&mut self, error: Error) {
        let event = match self.state {
            State::Allocating => ClientEvent::AllocationFailed(error),
            State::Allocated => ClientEvent::Expired(error),
            State::Deallocating => ClientEvent::Deallocated,
            State::Idle | State::Closed => return,
        };
        self.close();
        self.events.push_back(event);
    }

    /// A STUN message from the server.
    fn on_stun(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(msg) = Message::parse_with_limits(bytes, &self.config.limits) else {
            return;
        };
        match msg.class() {
            Class::SuccessResponse | Class::ErrorResponse => self.on_response(now, &msg),
            Class::Indication if msg.method() == Method::DATA => self.on_data_indication(&msg),
            _ => {}
        }
    }

    /// A response: handed to its transaction if it is one of ours and its
    /// integrity holds. RFC 8489 §9.2.5: a success to an authenticated
    /// request must carry a MESSAGE-INTEGRITY that verifies; a response
    /// whose integrity does not verify is dropped as if never received
    /// (over UDP the request is still retransmitted).
    fn on_response(&mut self, now: Instant, msg: &Message<'_>) {
        let Some(pending) = self.pending.get(&msg.transaction_id()) else {
            return;
        };
        let required = pending.authenticated && msg.class() == Class::SuccessResponse;
        if !self.auth.verify(msg, required) {
            return;
        }
        if self.transactions.handle_response(now, msg) {
            self.drain_outcomes(now);
        }
    }

    /// A Data indication (RFC 8656 §11.6): XOR-PEER-ADDRESS and DATA, from
    /// a peer the client holds a permission for (§11.6 lets the client
    /// drop the others).
    fn on_data_indication(&mut self, msg: &Message<'_>) {
        if self.state != State::Allocated {
            return;
        }
        let (Some(Ok(XorPeerAddress(peer))), Some(Ok(Data(data)))) =
            (msg.get::<XorPeerAddress>(), msg.get::<Data>())
        else {
            return;
        };
        if !self.permissions.contains_key(&peer.ip()) {
            return;
        }
        self.events.push_back(ClientEvent::Data {
            peer,
            data: Bytes::copy_from_slice(data),
        });
    }

    /// A ChannelData message (RFC 8656 §12.6): from the peer of a channel
    /// bound or being bound (the server may relay before its success
    /// arrives); other channel numbers are dropped.
    fn on_channel_data(&mut self, channel: u16, data: Bytes) {
        if self.state != State::Allocated {
            return;
        }
        let Some(peer) = self.channels.peer(channel) else {
            return;
        };
        self.events.push_back(ClientEvent::Data { peer, data });
    }
}
