//! The sans-IO connection (RFC 6455 §5-§7).

#[cfg(feature = "deflate")]
mod compression;
mod ending;
mod events;
mod incoming;
mod outgoing;
mod sending;
mod timers;

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use crate::budget::Held;
use crate::frame::{Frame, FrameDecoder, FrameHeader, OpCode, Progress};
use crate::utf8::Utf8Validator;
use crate::{CloseFrame, Config, Error, Event, Message, MessageKind, Random, Role};
pub use ending::Transport;
use ending::{EndDue, Ending};
use events::Events;
use incoming::{FrameOutput, Incoming};
use outgoing::Outgoing;
use timers::{Due, Timers};

/// Where the connection is in its life (RFC 6455 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's (§7.1.2); received
    /// messages are still delivered, nothing more can be sent.
    Closing,
    /// The closing handshake is complete, the connection was failed, or
    /// the peer's close frame did not come within [`Config::close_timeout`].
    /// Write out what [`Connection::poll_transmit`] still gives, then close
    /// the transport as [`Connection::transport`] says: a server at once, a
    /// client after waiting up to [`Config::linger`] for the server to
    /// close it first (§7.1.1).
    Closed,
}

/// A WebSocket connection after the opening handshake, without I/O.
///
/// Feed received bytes to [`Connection::handle_input`], then drain
/// [`Connection::poll_event`] and [`Connection::poll_transmit`]. Send with
/// [`Connection::send`] (whole messages, fragmented at
/// [`Config::fragment_size`]) or [`Connection::send_fragment`] (streaming).
/// The connection answers pings and close frames itself, and fails itself
/// with the right close code on any protocol violation (§7.1.7).
///
/// Time comes in as an argument: arm a timer for [`Connection::poll_timeout`]
/// and call [`Connection::handle_timeout`] when it fires. The connection
/// then pings a quiet peer and fails one that stays silent
/// ([`Config::ping_interval`], [`Config::ping_timeout`]), fails a message
/// that takes too long to arrive ([`Config::message_timeout`]), frees
/// idle permessage-deflate state, gives up a closing handshake the peer
/// does not answer ([`Config::close_timeout`]) and bounds the wait for the
/// peer to close the transport ([`Config::linger`]). Report end of file
/// with [`Connection::handle_eof`], and close the transport when
/// [`Connection::transport`] says so (RFC 6455 §7.1.1). A driver needs no
/// timer of its own.
///
/// ```
/// use std::time::Instant;
///
/// use bytes::BytesMut;
/// use rtw_ws::{Connection, Event, Message, Role, SeededRandom};
///
/// let now = Instant::now();
/// let mut client = Connection::new(Role::Client, SeededRandom::new(1));
/// let mut server = Connection::new(Role::Server, SeededRandom::new(2));
/// client.send(Message::text("Hello"))?;
/// let mut wire = BytesMut::new();
/// while let Some(bytes) = client.poll_transmit() {
///     wire.extend_from_slice(&bytes);
/// }
/// server.handle_input(now, &mut wire);
/// assert_eq!(server.poll_event(), Some(Event::Message(Message::text("Hello"))));
/// # Ok::<(), rtw_ws::Error>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    role: Role,
    config: Config,
    state: State,
    decoder: FrameDecoder,
    /// `true` once the current frame's header passed [`Incoming::start_frame`].
    frame_started: bool,
    incoming: Incoming,
    outgoing: Outgoing,
    /// Kind of the message being sent with `send_fragment`, if one is open.
    sending: Option<MessageKind>,
    sending_utf8: Utf8Validator,
    events: Events,
    /// permessage-deflate, when negotiated (RFC 7692).
    #[cfg(feature = "deflate")]
    compression: Option<compression::Compression>,
    /// Payload bytes of the data frame being received that arrived so far
    /// (they wait in the caller's buffer until the frame is complete).
    partial: u64,
    /// What the incomplete message holds of [`Config::message_memory`].
    held: Held,
    timers: Timers,
    /// The close timeout and the linger (§7.1).
    ending: Ending,
}

impl Connection {
    /// A connection in `role` with the default [`Config`], masking keys
    /// drawn from `rng` (a client's, RFC 6455 §5.3).
    pub fn new(role: Role, rng: impl Random + Send + 'static) -> Self {
        Connection::with_config(role, Config::default(), rng)
    }

    /// A connection in `role` with `config`, masking keys drawn from `rng`.
    pub fn with_config(role: Role, config: Config, rng: impl Random + Send + 'static) -> Self {
        let budget = config.message_memory.clone();
        Connection {
            role,
            decoder: FrameDecoder::new(role, config.limits.max_frame_size),
            config,
            state: State::Open,
            frame_started: false,
            incoming: Incoming::default(),
            outgoing: Outgoing::new(role, Box::new(rng)),
            sending: None,
            sending_utf8: Utf8Validator::default(),
            events: Events::default(),
            #[cfg(feature = "deflate")]
            compression: None,
            partial: 0,
            held: Held::new(budget),
            timers: Timers::default(),
            ending: Ending::default(),
        }
    }

    /// The time is `now`, for every timer.
    fn tick(&mut self, now: Instant) {
        self.timers.tick(now);
        if let Some(now) = self.timers.now() {
            self.ending.tick(now);
        }
    }

    /// The connection is closed: the transport is closed next.
    fn set_closed(&mut self) {
        self.state = State::Closed;
        self.ending.closed(self.role, self.timers.now());
    }

    /// Use permessage-deflate as agreed in the opening handshake (RFC 7692
    /// §6): RSV1 marks compressed messages both ways. `params` is what was
    /// negotiated (see [`crate::deflate`]), `local` sets the compression
    /// level and the size under which messages go uncompressed. Call it
    /// before handling any input.
    ///
    /// Received messages are inflated frame by frame, their size counted
    /// against [`Limits::max_inflated_message_size`](crate::Limits::max_inflated_message_size) (and
    /// [`Limits::max_message_size`](crate::Limits::max_message_size)) as they inflate (1009 beyond it).
    /// Messages sent with [`Connection::send`] are compressed whole; those
    /// sent with [`Connection::send_fragment`] go uncompressed. zlib's
    /// state is created by the first compressed message each way.
    #[cfg(feature = "deflate")]
    pub fn with_deflate(
        mut self,
        params: &crate::deflate::DeflateParams,
        local: &crate::deflate::DeflateConfig,
    ) -> Self {
        self.decoder.set_allowed_rsv(compression::RSV1);
        self.compression = Some(compression::Compression::new(self.role, params, local));
        self
    }

    /// `true` when permessage-deflate is in use (RFC 7692).
    pub fn is_deflate(&self) -> bool {
        #[cfg(feature = "deflate")]
        return self.compression.is_some();
        #[cfg(not(feature = "deflate"))]
        false
    }

    /// Bytes inflated from compressed messages since the connection opened
    /// (RFC 7692 §6.2), 0 without permessage-deflate: what a driver charges
    /// to an [`InflateRate`](crate::InflateRate) after each
    /// [`Connection::handle_input_until_event`], pausing its reads while
    /// the budget says so (RFC 7692 §8.1 leaves the cost of decompression
    /// to the implementation).
    pub fn inflated_bytes(&self) -> u64 {
        #[cfg(feature = "deflate")]
        return self.compression.as_ref().map_or(0, |c| c.inflated_total());
        #[cfg(not(feature = "deflate"))]
        0
    }

    /// `true` while the data frames being received are compressed.
    fn receiving_compressed(&self) -> bool {
        #[cfg(feature = "deflate")]
        return self.compression.as_ref().is_some_and(|c| c.receiving());
        #[cfg(not(feature = "deflate"))]
        false
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bytes waiting to be taken with [`Connection::poll_transmit`].
    pub fn buffered_amount(&self) -> usize {
        self.outgoing.len()
    }

    /// `true` while [`Connection::send`] would accept a message: the
    /// connection is open and the outgoing buffer is under
    /// [`Limits::max_write_buffer`](crate::Limits::max_write_buffer).
    pub fn can_send(&self) -> bool {
        self.state == State::Open && self.outgoing.bytes() < self.config.limits.max_write_buffer
    }

    /// Process bytes received at `now`: consumes complete frames from `src`
    /// (and the header of an incomplete one), leaving the rest for the next
    /// call. Payloads are split off `src` without copying. The payload of
    /// an incomplete frame stays in `src` and counts as held memory
    /// ([`Config::message_memory`]).
    ///
    /// Events and bytes to send become available through
    /// [`Connection::poll_event`] and [`Connection::poll_transmit`]. Once the
    /// connection is [`State::Closed`], input is discarded.
    ///
    /// A driver that answers messages (an echo server, say) should prefer
    /// [`Connection::handle_input_until_event`]: with this method a bad frame
    /// later in the same read fails the connection before the application
    /// could answer the messages in front of it.
    pub fn handle_input(&mut self, now: Instant, src: &mut BytesMut) {
        while self.handle_input_until_event(now, src) {}
    }

    /// Like [`Connection::handle_input`], but returns right after the first
    /// frame that queued an event (message, fragment, ping, pong, close or
    /// failure), leaving later bytes in `src`.
    ///
    /// Returns `true` if an event was queued: drain
    /// [`Connection::poll_event`] (and [`Connection::poll_transmit`]) and call
    /// again. `false` means all of `src` that can be used now was used, and
    /// more bytes are needed. The application thus sees, and can answer,
    /// every message before a later frame can fail the connection (RFC 6455
    /// §7.1.7 fails it at the bad frame, not before).
    pub fn handle_input_until_event(&mut self, now: Instant, src: &mut BytesMut) -> bool {
        self.tick(now);
        let before = self.events.len();
        while self.state != State::Closed {
            let step = self.step(src);
            let step = step.and_then(|()| self.hold());
            match step {
                Ok(()) if self.events.len() > before => return true,
                Ok(()) => {}
                Err(Step::NeedMore) => return false,
                Err(Step::Failed(e)) => {
                    self.fail(e);
                    return true;
                }
            }
        }
        src.clear();
        self.events.len() > before
    }

    /// Read what `src` holds of the next frame.
    #[inline]
    fn step(&mut self, src: &mut BytesMut) -> Result<(), Step> {
        let len_before = src.len();
        let progress = self.decoder.advance(src)?;
        if let Progress::Complete { frame, .. } = &progress
            && !self.frame_started
        {
            // The whole frame came at once (the common case): no partial
            // payload was counted (`partial` is 0), so nothing held changes
            // before the frame is handled.
            self.timers.input();
            let header = frame.header;
            self.start_frame(&header)?;
            let Progress::Complete { frame, .. } = progress else {
                unreachable!("matched above")
            };
            return if header.opcode.is_control() {
                self.control_frame(frame)
            } else {
                self.data_frame(frame, 0)
            };
        }
        let (header, fresh) = match &progress {
            Progress::Partial { header: None, .. } => return Err(Step::NeedMore),
            Progress::Partial {
                header: Some(h),
                new,
            } => (*h, &src[new.clone()]),
            Progress::Complete { frame, new_from } => (frame.header, &frame.payload[*new_from..]),
        };
        if src.len() != len_before || !fresh.is_empty() {
            // A header was read or payload arrived: the peer is alive.
            self.timers.input();
        }
        let data = !header.opcode.is_control();
        if !self.frame_started {
            self.start_frame(&header)?;
            self.frame_started = true;
        }
        let Progress::Complete { frame, new_from } = progress else {
            if data {
                self.partial += fresh.len() as u64;
                if !self.receiving_compressed() {
                    self.incoming.check_payload(fresh)?;
                }
            }
            // Count what the frame holds before waiting for the rest.
            self.hold()?;
            return Err(Step::NeedMore);
        };
        self.frame_started = false;
        // The frame's bytes leave the caller's buffer: count them again
        // where they go (the message buffer, or the application).
        self.partial = 0;
        self.hold()?;
        if data {
            self.data_frame(frame, new_from)
        } else {
            self.control_frame(frame)
        }
    }

    /// A frame's header was read: the rules that apply before its payload.
    #[inline]
    fn start_frame(&mut self, header: &FrameHeader) -> Result<(), Step> {
        if !header.opcode.is_control() {
            self.incoming
                .start_frame(header, self.config.limits.max_message_size)?;
            if header.opcode != OpCode::Continuation && self.config.message_timeout.is_some() {
                self.timers.message_started(&self.config);
            }
        }
        #[cfg(feature = "deflate")]
        if let Some(c) = &mut self.compression {
            c.start_frame(header)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn data_frame(&mut self, frame: Frame, new_from: usize) -> Result<(), Step> {
        let fin = frame.header.fin;
        #[cfg(feature = "deflate")]
        if let Some(c) = &mut self.compression
            && c.receiving()
        {
            let max = (self.config.limits.max_message_size)
                .min(self.config.limits.max_inflated_message_size);
            let budget = self.config.message_memory.as_ref();
            let budget = (self.held.room(), budget.map_or(0, |b| b.limit()));
            let now = self.timers.now();
            let payload = c.inflate(&frame.payload, fin, max, budget, now)?;
            return self.deliver(fin, payload, 0);
        }
        self.deliver(fin, frame.payload, new_from)
    }

    /// A data frame's (inflated) payload is complete: add it to its
    /// message and queue what that gives.
    #[inline(always)]
    fn deliver(&mut self, fin: bool, payload: Bytes, new_from: usize) -> Result<(), Step> {
        let out =
            self.incoming
                .finish_frame(fin, payload, new_from, self.config.deliver_fragments)?;
        if fin {
            self.timers.message_finished();
        }
        match out {
            Some(FrameOutput::Message(m)) => self.events.push_back(Event::Message(m)),
            Some(FrameOutput::Fragment(f)) => self.events.push_back(Event::Fragment(f)),
            None => {}
        }
        Ok(())
    }

    /// Count what the incomplete message holds against the shared budget
    /// ([`Config::message_memory`]).
    #[inline]
    fn hold(&mut self) -> Result<(), Step> {
        let total = self.partial + self.incoming.buffered() as u64;
        if self.held.set(total) {
            return Ok(());
        }
        let limit = self.config.message_memory.as_ref().map_or(0, |b| b.limit());
        Err(Step::Failed(Error::MemoryBudgetExceeded { limit }))
    }

    fn control_frame(&mut self, frame: Frame) -> Result<(), Step> {
        match frame.header.opcode {
            OpCode::Ping => {
                if self.config.auto_pong && self.state == State::Open {
                    // Each ping gets its pong; only while the outgoing buffer
                    // is over its limit is a newer ping's pong allowed to
                    // replace an unsent one (RFC 6455 §5.5.3).
                    if self.outgoing.bytes() < self.config.limits.max_write_buffer {
                        self.outgoing.flush_pong();
                        self.outgoing.frame(OpCode::Pong, true, &frame.payload);
                    } else {
                        self.outgoing.pending_pong = Some(frame.payload.clone());
                    }
                }
                self.events
                    .push_back(Event::Message(Message::Ping(frame.payload)));
            }
            OpCode::Pong => self
                .events
                .push_back(Event::Message(Message::Pong(frame.payload))),
            OpCode::Close => {
                let close = CloseFrame::parse(frame.payload)?;
                if self.state == State::Open {
                    // §5.5.1: answer with a close frame, echoing the code.
                    self.outgoing.flush_pong();
                    let mut payload = BytesMut::new();
                    if let Some(c) = &close {
                        CloseFrame::new(c.code, "").write_payload(&mut payload);
                    }
                    self.outgoing.frame(OpCode::Close, true, &payload);
                }
                self.set_closed();
                self.events.push_back(Event::Message(Message::Close(close)));
            }
            _ => unreachable!("data opcodes are handled by data_frame"),
        }
        Ok(())
    }

    /// Fail the connection (§7.1.7): send a close frame with the error's
    /// code unless we sent one already (or the error has none to send),
    /// and stop reading.
    fn fail(&mut self, error: Error) {
        if let (State::Open, Some(code)) = (self.state, error.close_code()) {
            let mut payload = BytesMut::new();
            CloseFrame::new(code, "").write_payload(&mut payload);
            self.outgoing.pending_pong = None;
            self.outgoing.frame(OpCode::Close, true, &payload);
        }
        self.set_closed();
        // What the unfinished message held is dropped now, not with the
        // connection.
        self.incoming.clear();
        self.partial = 0;
        self.held.set(0);
        self.events.push_back(Event::Failed(error));
    }

    /// The peer closed its side of the transport (end of file on reading)
    /// at `now`. Before the closing handshake completed this is an abnormal
    /// closure (RFC 6455 §7.1.5, code 1006): the connection is failed with
    /// [`Error::AbnormalClosure`] and no close frame is sent. Either way
    /// [`Connection::transport`] becomes [`Transport::Close`]: nothing more
    /// will arrive, so nothing more is waited for.
    pub fn handle_eof(&mut self, now: Instant) {
        self.tick(now);
        if self.state != State::Closed {
            self.fail(Error::AbnormalClosure);
        }
        self.ending.eof();
    }

    /// What the driver does with the transport now (RFC 6455 §7.1.1): keep
    /// it open, wait for the peer to close it, shut down its write side,
    /// or close it. See [`Transport`] for each step and the order of each
    /// role.
    ///
    /// Changes after [`Connection::handle_input`] (the peer's close frame,
    /// a failure), [`Connection::handle_timeout`] (the close timeout, the
    /// end of [`Config::linger`], a timer failing the connection) and
    /// [`Connection::handle_eof`].
    #[must_use]
    pub fn transport(&self) -> Transport {
        self.ending.transport()
    }

    /// The next event, or `None` until more input is handled.
    ///
    /// Changes after [`Connection::handle_input`],
    /// [`Connection::handle_input_until_event`],
    /// [`Connection::handle_timeout`] (a timer failing the connection) and
    /// [`Connection::handle_eof`].
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] must next be called, or `None`
    /// when no timer runs: the keep-alive ping or its timeout
    /// ([`Config::ping_interval`], [`Config::ping_timeout`]), the deadline
    /// of the message being received ([`Config::message_timeout`]), the
    /// release of idle permessage-deflate state, the wait for the peer's
    /// close frame after ours ([`Config::close_timeout`], RFC 6455 §7.1.2)
    /// and the wait for the peer to close the transport
    /// ([`Config::linger`], §7.1.1). A driver arms one timer for it.
    ///
    /// Changes after every `handle_*` call, [`Connection::send`],
    /// [`Connection::send_fragment`] and [`Connection::close`]. The timers
    /// start at the first time given (by [`Connection::handle_input`] or
    /// [`Connection::handle_timeout`]); a driver calls
    /// `handle_timeout(now)` once when the connection opens. The close
    /// timeout starts at the first time given after [`Connection::close`]
    /// (which takes none): until then this returns the latest time given,
    /// already past, so that the driver calls `handle_timeout(now)` at
    /// once. `None` once [`Connection::transport`] is [`Transport::Close`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ending = self.ending.next(&self.config, self.timers.now());
        #[cfg_attr(not(feature = "deflate"), allow(unused_mut))]
        let mut next = match self.state {
            State::Closed => return ending,
            State::Open => self.timers.next(&self.config),
            // No keep-alive pings after our close frame (§5.5.1: nothing
            // but the close reply is expected); the message deadline stays.
            State::Closing => self.timers.next_message_deadline(),
        };
        #[cfg(feature = "deflate")]
        if let Some(c) = &self.compression {
            next = [next, c.poll_timeout()].into_iter().flatten().min();
        }
        [next, ending].into_iter().flatten().min()
    }

    /// The time is `now`: do what is due (send a keep-alive ping, fail the
    /// connection when the ping went unanswered, a message took too long
    /// or the peer's close frame did not come within
    /// [`Config::close_timeout`], free idle permessage-deflate state, end
    /// the wait of [`Config::linger`]). Then drain
    /// [`Connection::poll_event`] and [`Connection::poll_transmit`], and
    /// read [`Connection::transport`].
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tick(now);
        let now = self.timers.now().unwrap_or(now);
        if self.state == State::Closed {
            let _ = self.ending.due(&self.config, now);
            return;
        }
        let open = self.state == State::Open;
        let failure = match self.timers.due(&self.config) {
            Due::MessageTimeout => Some(Error::MessageTimeout {
                limit: self.config.message_timeout.unwrap_or_default(),
            }),
            Due::PingTimeout if open => Some(Error::PingTimeout {
                limit: self.config.ping_timeout,
            }),
            Due::Ping if open => {
                self.outgoing.flush_pong();
                self.outgoing.frame(OpCode::Ping, true, &[]);
                None
            }
            _ => None,
        };
        let failure = failure.or_else(|| match self.ending.due(&self.config, now) {
            EndDue::CloseTimeout => Some(Error::CloseTimeout {
                limit: self.config.close_timeout,
            }),
            EndDue::Nothing => None,
        });
        if let Some(error) = failure {
            self.fail(error);
        }
        #[cfg(feature = "deflate")]
        if let Some(c) = &mut self.compression {
            c.handle_timeout(now);
        }
    }

    /// Whether permessage-deflate's zlib state exists now, for sending and
    /// for receiving: it is created by the first compressed message in
    /// each direction, and freed after [`DeflateConfig::release_after`]
    /// without one where there is no context takeover.
    ///
    /// [`DeflateConfig::release_after`]: crate::deflate::DeflateConfig::release_after
    #[cfg(feature = "deflate")]
    pub fn deflate_state(&self) -> Option<(bool, bool)> {
        self.compression.as_ref().map(|c| c.allocated())
    }

    /// Bytes this connection holds now for the message being received
    /// (fragments, inflated output, the arrived part of a frame).
    pub fn held_bytes(&self) -> u64 {
        self.held.bytes()
    }
}

/// Why [`Connection::step`] stopped.
enum Step {
    NeedMore,
    Failed(Error),
}

impl From<Error> for Step {
    fn from(e: Error) -> Self {
        Step::Failed(e)
    }
}
