//! A sans-IO STOMP client session over a byte stream (STOMP 1.2
//! "Connecting", "Client Frames", "Server Frames", "Heart-beating").
//!
//! [`Client::new`] queues CONNECT (or STOMP). Feed the server's bytes to
//! [`Client::handle_input`], then drain [`Client::poll_event`] and
//! [`Client::poll_transmit`], and sleep until [`Client::poll_timeout`]
//! (then call [`Client::handle_timeout`]). No I/O and no clock: every
//! time comes in as an argument.
//!
//! ```
//! use std::time::Instant;
//!
//! use bytes::BytesMut;
//! use rtw_stomp::client::{AckMode, Client, ClientConfig, ClientEvent};
//!
//! let now = Instant::now();
//! let mut client = Client::new(now, ClientConfig::default().host("example"));
//! let connect = client.poll_transmit().unwrap();
//! assert!(connect.starts_with(b"CONNECT\n"));
//!
//! // The server answers.
//! let mut input = BytesMut::from(&b"CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0"[..]);
//! client.handle_input(now, &mut input);
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Connected { .. })));
//!
//! let sub = client.subscribe("/queue/a", AckMode::ClientIndividual)?;
//! let subscribe = client.poll_transmit().unwrap();
//! assert!(subscribe.starts_with(b"SUBSCRIBE\n"));
//!
//! let mut input = BytesMut::from(
//!     &b"MESSAGE\nsubscription:0\nmessage-id:7\nack:a7\ndestination:/queue/a\n\nhi\0"[..],
//! );
//! client.handle_input(now, &mut input);
//! let Some(ClientEvent::Message(message)) = client.poll_event() else { panic!() };
//! assert_eq!((message.subscription, message.body()), (sub, &b"hi"[..]));
//! client.ack(&message)?;
//! assert_eq!(&client.poll_transmit().unwrap()[..], b"ACK\nid:a7\n\n\0");
//! # Ok::<(), rtw_stomp::client::ClientError>(())
//! ```

mod commands;
mod config;
mod error;
mod events;
mod received;
mod timers;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

use bytes::{Bytes, BytesMut};

pub use config::{AckMode, ClientConfig, FrameOptions};
pub use error::ClientError;
pub use events::{
    ClientEvent, Message, NegotiatedHeartBeat, ReceiptId, SubscriptionId, TransactionId,
};
use timers::{Due, Timers};

use crate::{Command, Decoder, Frame, Item, Version};

/// Where the session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// CONNECT went out; CONNECTED has not come.
    Connecting,
    /// Frames flow both ways.
    Connected,
    /// DISCONNECT went out; messages still arrive until its RECEIPT
    /// (STOMP 1.2 "Connection Lingering").
    Disconnecting,
    /// The session is over: write what [`Client::poll_transmit`] still
    /// gives, then close the transport.
    Closed,
}

/// An active subscription.
#[derive(Debug)]
struct Subscription {
    destination: String,
    ack: AckMode,
}

/// A STOMP client session, sans-IO (see the [module docs](self)).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    state: State,
    /// The negotiated version, once CONNECTED came; the highest offered
    /// before.
    version: Version,
    decoder: Decoder,
    timers: Timers,
    outgoing: VecDeque<Bytes>,
    buffered: usize,
    events: VecDeque<ClientEvent>,
    subscriptions: HashMap<u64, Subscription>,
    transactions: HashSet<u64>,
    /// Receipts awaited, with `true` for the one of DISCONNECT.
    receipts: HashMap<u64, bool>,
    next_subscription: u64,
    next_transaction: u64,
    next_receipt: u64,
}

/// Bodies from this size on are handed to [`Client::poll_transmit`] as
/// the caller's `Bytes`, after a chunk holding the command and headers.
const ZERO_COPY_BODY: usize = 512;

impl Client {
    /// A session that starts at `now`: queues CONNECT (or STOMP, with
    /// [`ClientConfig::use_stomp_command`]) with `accept-version`, `host`,
    /// `heart-beat`, `login` and `passcode` (STOMP 1.2 "CONNECT or STOMP
    /// Frame"), and waits [`ClientConfig::connect_timeout`] for CONNECTED.
    pub fn new(now: Instant, mut config: ClientConfig) -> Self {
        if config.versions.is_empty() {
            config.versions = vec![Version::V1_0, Version::V1_1, Version::V1_2];
        }
        config.versions.sort();
        config.versions.dedup();
        let version = *config.versions.last().unwrap_or(&Version::V1_2);
        let mut decoder = Decoder::with_limits(config.limits.clone());
        decoder.set_version(version);
        let mut client = Client {
            state: State::Connecting,
            version,
            decoder,
            timers: Timers::new(now),
            outgoing: VecDeque::new(),
            buffered: 0,
            events: VecDeque::new(),
            subscriptions: HashMap::new(),
            transactions: HashSet::new(),
            receipts: HashMap::new(),
            next_subscription: 0,
            next_transaction: 0,
            next_receipt: 0,
            config,
        };
        client.timers.deadline = Some(now + client.config.connect_timeout);
        let command = if client.config.use_stomp_command {
            Command::Stomp
        } else {
            Command::Connect
        };
        let accept: Vec<&str> = client.config.versions.iter().map(|v| v.as_str()).collect();
        let mut frame = Frame::new(command)
            .with_header("accept-version", accept.join(","))
            .with_header("host", client.config.host.clone());
        if let Some(login) = &client.config.login {
            frame = frame.with_header("login", login.clone());
        }
        if let Some(passcode) = &client.config.passcode {
            frame = frame.with_header("passcode", passcode.clone());
        }
        frame = frame.with_header("heart-beat", client.config.heart_beat.header_value());
        client.queue(frame);
        client
    }

    /// Where the session is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The negotiated version once connected (before: the highest one
    /// offered).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Bytes waiting to be taken with [`Client::poll_transmit`].
    pub fn buffered_amount(&self) -> usize {
        self.buffered
    }

    /// Receipts awaited now.
    pub fn outstanding_receipts(&self) -> usize {
        self.receipts.len()
    }

    /// Encode `frame` for the current version and queue it.
    fn queue(&mut self, frame: Frame) {
        if frame.body.len() >= ZERO_COPY_BODY {
            // The body goes out as the caller's `Bytes`, after a head
            // encoded from the frame without its body (`finish` dropped any
            // content-length): cut its blank line and NUL, then add
            // content-length (STOMP 1.2 "Header content-length").
            let body = frame.body.clone();
            let head = Frame {
                command: frame.command,
                headers: frame.headers,
                body: Bytes::new(),
            };
            let mut dst = BytesMut::with_capacity(256);
            head.encode(self.version, &mut dst);
            dst.truncate(dst.len().saturating_sub(2));
            dst.extend_from_slice(b"content-length:");
            dst.extend_from_slice(body.len().to_string().as_bytes());
            dst.extend_from_slice(b"\n\n");
            self.push(dst.freeze());
            self.push(body);
            self.push(Bytes::from_static(b"\0"));
        } else {
            let bytes = frame.to_bytes(self.version);
            self.push(bytes);
        }
        self.timers.output();
    }

    fn push(&mut self, bytes: Bytes) {
        self.buffered += bytes.len();
        self.outgoing.push_back(bytes);
    }

    /// The version, when frames other than CONNECT may be sent.
    fn ready(&self) -> Result<Version, ClientError> {
        match self.state {
            State::Connected => Ok(self.version),
            State::Connecting => Err(ClientError::NotConnected),
            State::Disconnecting | State::Closed => Err(ClientError::Closed),
        }
    }

    /// Add the receipt, transaction and caller's headers of `options`,
    /// returning the receipt's id. Checks come first, so that a refused
    /// call changes nothing.
    fn finish(
        &mut self,
        mut frame: Frame,
        options: FrameOptions,
    ) -> Result<Option<ReceiptId>, ClientError> {
        if let Some(tx) = options.transaction
            && !self.transactions.contains(&tx.0)
        {
            return Err(ClientError::UnknownTransaction(tx.0));
        }
        let headers = frame.headers.iter().chain(&options.headers);
        if let Some((name, _)) = headers
            .into_iter()
            .find(|(name, value)| !self.version.can_carry(name, value))
        {
            return Err(ClientError::Unencodable(name.clone()));
        }
        let receipt = if options.receipt {
            Some(self.take_receipt(false)?)
        } else {
            None
        };
        if let Some(tx) = options.transaction {
            frame = frame.with_header("transaction", tx.to_string());
        }
        for (name, value) in options.headers {
            if !name.eq_ignore_ascii_case("content-length") {
                frame = frame.with_header(name, value);
            }
        }
        if let Some(id) = receipt {
            frame = frame.with_header("receipt", id.to_string());
        }
        self.queue(frame);
        Ok(receipt)
    }

    /// A new receipt id, awaited from now on.
    fn take_receipt(&mut self, disconnect: bool) -> Result<ReceiptId, ClientError> {
        if self.receipts.len() >= self.config.max_outstanding_receipts {
            return Err(ClientError::TooManyReceipts(
                self.config.max_outstanding_receipts,
            ));
        }
        let id = self.next_receipt;
        self.next_receipt += 1;
        self.receipts.insert(id, disconnect);
        Ok(ReceiptId(id))
    }

    /// The session is over, after `cause` if any.
    fn close(&mut self, cause: Option<ClientEvent>) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.timers.deadline = None;
        self.events.extend(cause);
        self.events.push_back(ClientEvent::Disconnected);
    }

    fn fail(&mut self, error: ClientError) {
        self.close(Some(ClientEvent::Failed(error)));
    }

    /// Handle the server's bytes received at `now`: consumes the whole
    /// frames (and heart-beat EOLs) at the front of `src`, leaving an
    /// incomplete frame for the next call. Any bytes count as a sign of
    /// life for the heart-beat (STOMP 1.2 "Heart-beating"): call it after
    /// every read. Once the session is [`State::Closed`], input is
    /// discarded.
    ///
    /// A frame that breaks the codec's rules or a limit, or that a server
    /// must not send, fails the session ([`ClientEvent::Failed`]).
    pub fn handle_input(&mut self, now: Instant, src: &mut BytesMut) {
        self.timers.tick(now);
        if !src.is_empty() {
            self.timers.input();
        }
        while self.state != State::Closed {
            match self.decoder.decode(src) {
                Ok(Some(Item::Frame(frame))) => {
                    if let Err(e) = self.handle_frame(frame) {
                        self.fail(e);
                    }
                }
                Ok(Some(Item::HeartBeat)) => {}
                Ok(None) => return,
                Err(e) => self.fail(ClientError::Codec(e)),
            }
        }
        src.clear();
    }

    /// The server closed the connection (end of file) at `now`. Before the
    /// session ended this fails it with [`ClientError::ConnectionClosed`].
    pub fn handle_eof(&mut self, now: Instant) {
        self.timers.tick(now);
        self.fail(ClientError::ConnectionClosed);
    }

    /// The next event, or `None` until more happens.
    ///
    /// Changes after [`Client::handle_input`], [`Client::handle_eof`],
    /// [`Client::handle_timeout`] and [`Client::disconnect`] (before
    /// CONNECTED).
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The next bytes to write to the transport, in order, or `None`. Call
    /// it until `None` and gather the chunks into one write: a large body
    /// comes as its own chunk between the frame's head and its NUL. What
    /// one drain gives always ends at a frame boundary (or after a
    /// heart-beat EOL), so over WebSocket it can go as one message.
    ///
    /// Changes after [`Client::new`] (CONNECT), every frame-sending call
    /// and [`Client::handle_timeout`] (heart-beats).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        let bytes = self.outgoing.pop_front()?;
        self.buffered -= bytes.len();
        Some(bytes)
    }

    /// When [`Client::handle_timeout`] must next be called, or `None` once
    /// the session is over: the next heart-beat to send, the time the
    /// server is declared dead (twice its interval after its last byte),
    /// the end of the wait for CONNECTED or for the RECEIPT of DISCONNECT.
    ///
    /// Changes after every `handle_*` call and every frame-sending call.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        self.timers.next()
    }

    /// The time is `now`: send a heart-beat (an EOL) if the client was
    /// quiet for its interval, end the session with
    /// [`ClientEvent::HeartBeatTimeout`] if the server was silent for twice
    /// its interval, or fail it when CONNECTED or the RECEIPT of
    /// DISCONNECT did not come in time.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.timers.tick(now);
        if self.state == State::Closed {
            return;
        }
        match self.timers.due() {
            Due::Nothing => {}
            Due::Deadline if self.state == State::Connecting => {
                self.fail(ClientError::ConnectTimeout(self.config.connect_timeout));
            }
            Due::Deadline => {
                self.fail(ClientError::DisconnectTimeout(
                    self.config.disconnect_timeout,
                ));
            }
            Due::ServerDead => self.close(Some(ClientEvent::HeartBeatTimeout)),
            Due::HeartBeat => self.push(Bytes::from_static(b"\n")),
        }
    }
}
