//! Client transactions (RFC 8489 §6.2, §6.3.3, §6.3.4): sending a request,
//! retransmitting it over UDP, matching the response by transaction ID,
//! and giving up.
//!
//! Sans-IO: time comes in as the first argument, datagrams go out through
//! `poll_transmit` as [`Transmit`]s (destination and bytes), outcomes come
//! out of `poll_event`. Over UDP and DTLS the
//! request is sent at 0, then after RTO, 2·RTO, 4·RTO, ... until Rc requests
//! have gone out, and the transaction times out Rm·RTO after the last one
//! (RFC 8489 §6.2.1). With the defaults (RTO 500 ms, Rc 7, Rm 16) requests
//! go out at 0, 500, 1500, 3500, 7500, 15500 and 31500 ms, and the
//! transaction times out at 39500 ms. Over TCP and TLS the request is sent
//! once and times out after Ti, 39.5 s (RFC 8489 §6.2.2).
//!
//! Over TCP and TLS the [`Transmit::destination`] is the server address
//! of the connection the request goes on: the caller keeps one connection
//! per server and writes the contents to it (a stream has no other
//! address to name). Responses read from the stream with the
//! [`Decoder`](crate::Decoder) are handed in as over UDP.
//!
//! Message integrity of responses is the caller's to check (it holds the
//! key): a response that fails it is not handed in, which is how RFC 8489
//! §9.1.4 wants it treated over UDP ("as if it had never been received").

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::{AttributeType, Class, Error, Message, Method, TransactionId, Transmit};

/// The transport a message travels over, which decides retransmission
/// (RFC 8489 §6.2) and ChannelData padding (RFC 8656 §12.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP: unreliable, datagrams.
    Udp,
    /// DTLS over UDP: unreliable, datagrams.
    Dtls,
    /// TCP: reliable, a byte stream.
    Tcp,
    /// TLS over TCP: reliable, a byte stream.
    Tls,
}

impl Transport {
    /// `true` for TCP and TLS: no STUN retransmissions (RFC 8489 §6.2.2),
    /// ChannelData padded (RFC 8656 §12.5), messages framed by length.
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Tls)
    }
}

/// Retransmission and timeout parameters (RFC 8489 §6.2.1, §6.2.2).
///
/// | field | default | RFC 8489 |
/// |---|---|---|
/// | [`rto`](TransactionConfig::rto) | 500 ms | §6.2.1 |
/// | [`rc`](TransactionConfig::rc) | 7 | §6.2.1 |
/// | [`rm`](TransactionConfig::rm) | 16 | §6.2.1 |
/// | [`ti`](TransactionConfig::ti) | 39.5 s | §6.2.2 |
///
/// ```
/// use std::time::Duration;
/// use rtw_stun::TransactionConfig;
///
/// let config = TransactionConfig::default().rto(Duration::from_millis(250)).rc(3);
/// assert_eq!((config.rto, config.rc, config.rm), (Duration::from_millis(250), 3, 16));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionConfig {
    /// The initial retransmission timeout, doubled after each
    /// retransmission: 500 ms by default (§6.2.1).
    pub rto: Duration,
    /// Rc, how many requests are sent in all over UDP: 7 by default
    /// (§6.2.1). 0 counts as 1.
    pub rc: u32,
    /// Rm: the transaction times out Rm·RTO after the last request over
    /// UDP: 16 by default (§6.2.1).
    pub rm: u32,
    /// Ti, the timeout over TCP and TLS: 39.5 s by default (§6.2.2).
    pub ti: Duration,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        TransactionConfig {
            rto: Duration::from_millis(500),
            rc: 7,
            rm: 16,
            ti: Duration::from_millis(39_500),
        }
    }
}

impl TransactionConfig {
    /// Set [`TransactionConfig::rto`].
    #[must_use]
    pub fn rto(mut self, rto: Duration) -> Self {
        self.rto = rto;
        self
    }

    /// Set [`TransactionConfig::rc`].
    #[must_use]
    pub fn rc(mut self, rc: u32) -> Self {
        self.rc = rc;
        self
    }

    /// Set [`TransactionConfig::rm`].
    #[must_use]
    pub fn rm(mut self, rm: u32) -> Self {
        self.rm = rm;
        self
    }

    /// Set [`TransactionConfig::ti`].
    #[must_use]
    pub fn ti(mut self, ti: Duration) -> Self {
        self.ti = ti;
        self
    }
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionEvent {
    /// A success response (RFC 8489 §6.3.3): the whole message, to be read
    /// with [`Message::parse`].
    Success {
        /// The response.
        response: Bytes,
    },
    /// An error response (RFC 8489 §6.3.4) with its ERROR-CODE.
    ErrorResponse {
        /// The error code, 300 to 699 (RFC 8489 §14.8).
        code: u16,
        /// The response.
        response: Bytes,
    },
    /// No response in time (RFC 8489 §6.2.1, §6.2.2).
    Timeout,
    /// A response that ends the transaction as failed: a success response
    /// with unknown comprehension-required attributes (RFC 8489 §6.3.3),
    /// or an error response with them or without a valid ERROR-CODE
    /// (§6.3.4).
    Failed {
        /// What was wrong.
        error: Error,
        /// The response.
        response: Bytes,
    },
}

/// Read the error code out of an ERROR-CODE value (RFC 8489 §14.8): class
/// 3 to 6 in the low 3 bits of byte 2, number 0 to 99 in byte 3. Unlike
/// [`crate::attributes::ErrorCode`]'s decoder this ignores the reason
/// phrase, so a response whose phrase is not valid UTF-8 still surfaces its
/// code.
fn error_code(value: &[u8]) -> Result<u16, Error> {
    let invalid = |reason| Error::InvalidAttribute {
        typ: AttributeType::ERROR_CODE,
        reason,
    };
    let [_, _, class, number, ..] = *value else {
        return Err(invalid("shorter than 4 bytes (RFC 8489 §14.8)"));
    };
    let class = u16::from(class & 0x07);
    let number = u16::from(number);
    if !(3..=6).contains(&class) || number > 99 {
        return Err(invalid(
            "class must be 3 to 6 and number 0 to 99 (RFC 8489 §14.8)",
        ));
    }
    Ok(class * 100 + number)
}

/// The event a response ends a transaction with (RFC 8489 §6.3.3, §6.3.4).
fn outcome(response: &Message<'_>) -> TransactionEvent {
    let bytes = Bytes::copy_from_slice(response.as_bytes());
    if let Err(error) = response.check_unknown_attributes() {
        return TransactionEvent::Failed {
            error,
            response: bytes,
        };
    }
    if response.class() == Class::SuccessResponse {
        return TransactionEvent::Success { response: bytes };
    }
    let code = match response.raw(AttributeType::ERROR_CODE) {
        Some(a) => error_code(a.value),
        None => Err(Error::InvalidAttribute {
            typ: AttributeType::ERROR_CODE,
            reason: "missing from an error response (RFC 8489 §6.3.4)",
        }),
    };
    match code {
        Ok(code) => TransactionEvent::ErrorResponse {
            code,
            response: bytes,
        },
        Err(error) => TransactionEvent::Failed {
            error,
            response: bytes,
        },
    }
}

/// One client transaction (RFC 8489 §6.2): the request, its
/// retransmissions, and how it ended.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtw_stun::{
///     Class, ClientTransaction, MessageBuilder, MessageType, Method, TransactionConfig,
///     TransactionEvent, TransactionId, Transport,
/// };
///
/// let t0 = Instant::now(); // any origin: the transaction never reads the clock
/// let server = "192.0.2.1:3478".parse().unwrap();
/// let tid = TransactionId([7; 12]);
/// let request = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid).finish();
/// let mut tx =
///     ClientTransaction::new(t0, request, server, Transport::Udp, TransactionConfig::default())?;
///
/// let first = tx.poll_transmit().expect("sent at once");
/// assert_eq!(first.destination, server);
/// assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(500)));
///
/// // Nothing came back: the retransmission is due at 500 ms.
/// tx.handle_timeout(t0 + Duration::from_millis(500));
/// assert_eq!(tx.poll_transmit(), Some(first));
/// assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_millis(1500)));
///
/// // The response.
/// let response = MessageBuilder::new(MessageType::new(Method::BINDING, Class::SuccessResponse), tid)
///     .finish();
/// let response = rtw_stun::Message::parse(&response)?;
/// assert!(tx.handle_response(t0 + Duration::from_millis(600), &response));
/// assert!(matches!(tx.poll_event(), Some(TransactionEvent::Success { .. })));
/// assert_eq!(tx.poll_timeout(), None);
/// # Ok::<(), rtw_stun::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    request: Bytes,
    destination: SocketAddr,
    tid: TransactionId,
    method: Method,
    transport: Transport,
    config: TransactionConfig,
    /// Requests sent so far.
    sends: u32,
    /// When the first request went out, for the RTT.
    started: Instant,
    /// The wait after the latest request before the next one.
    interval: Duration,
    /// When the next retransmission or the timeout is due; `None` once
    /// done, or if the deadline is past what `Instant` can hold.
    deadline: Option<Instant>,
    transmit: bool,
    done: bool,
    rtt: Option<Duration>,
    event: Option<TransactionEvent>,
}

impl ClientTransaction {
    /// Start a transaction at `now` for `request` (a whole STUN request,
    /// e.g. from [`crate::MessageBuilder::finish`]) to `destination` over
    /// `transport`. The first request is ready at once from
    /// [`ClientTransaction::poll_transmit`].
    ///
    /// Fails if `request` does not parse ([`Message::parse`]) or is not a
    /// request ([`Error::NotARequest`]).
    pub fn new(
        now: Instant,
        request: impl Into<Bytes>,
        destination: SocketAddr,
        transport: Transport,
        config: TransactionConfig,
    ) -> Result<Self, Error> {
        let request = request.into();
        let msg = Message::parse(&request)?;
        if msg.class() != Class::Request {
            return Err(Error::NotARequest(msg.class()));
        }
        let (tid, method) = (msg.transaction_id(), msg.method());
        let mut tx = ClientTransaction {
            request,
            destination,
            tid,
            method,
            transport,
            config,
            sends: 0,
            started: now,
            interval: config.rto,
            deadline: None,
            transmit: false,
            done: false,
            rtt: None,
            event: None,
        };
        tx.send(now);
        Ok(tx)
    }

    /// The transaction ID.
    pub fn transaction_id(&self) -> TransactionId {
        self.tid
    }

    /// The request's method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Where the request goes.
    pub fn destination(&self) -> SocketAddr {
        self.destination
    }

    /// The transport.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The request bytes.
    pub fn request(&self) -> &Bytes {
        &self.request
    }

    /// How many times the request has been queued for sending.
    pub fn sends(&self) -> u32 {
        self.sends
    }

    /// `true` once the transaction has ended (response or timeout).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The round-trip time, known once a response arrived to a request
    /// that was sent only once (Karn's rule, RFC 6298 §3, which RFC 8489
    /// §6.2.1 takes the RTO computation from); a caller may use it for the
    /// RTO of later transactions to the same server.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// The request to send now, to [`ClientTransaction::destination`]
    /// from the caller's one socket, or `None`.
    ///
    /// Changes after [`ClientTransaction::new`] (the first request) and
    /// [`ClientTransaction::handle_timeout`] (retransmissions over UDP);
    /// [`ClientTransaction::handle_response`] drops a request not yet
    /// taken.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        if std::mem::take(&mut self.transmit) {
            Some(Transmit::new(self.destination, self.request.clone()))
        } else {
            None
        }
    }

    /// When [`ClientTransaction::handle_timeout`] is next due: the next
    /// retransmission or the timeout; `None` once done.
    ///
    /// Changes after [`ClientTransaction::handle_timeout`] and
    /// [`ClientTransaction::handle_response`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.done { None } else { self.deadline }
    }

    /// How the transaction ended, once.
    ///
    /// Changes after [`ClientTransaction::handle_response`] and
    /// [`ClientTransaction::handle_timeout`].
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.event.take()
    }

    /// Advance to `now`: retransmit over UDP when the RTO has passed
    /// (RFC 8489 §6.2.1), time out when Rm·RTO has passed after the last
    /// of Rc requests, or Ti over TCP (§6.2.2).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.done {
            return;
        }
        match self.deadline {
            Some(deadline) if now >= deadline => {}
            _ => return,
        }
        if !self.transport.is_reliable() && self.sends < self.config.rc.max(1) {
            self.interval = self.interval.saturating_mul(2);
            self.send(now);
        } else {
            self.finish(TransactionEvent::Timeout);
        }
    }

    /// Hand in a response received at `now`. Returns `true` if it belongs
    /// to this transaction and ended it: a success or error response with
    /// the transaction's ID and method (RFC 8489 §6.3) and, if it carries
    /// FINGERPRINT, a right one (§7.3). Anything else is left alone and
    /// `false` returned.
    ///
    /// The caller checks message integrity before, where the usage wants
    /// it (RFC 8489 §9.1.4, §9.2.5).
    pub fn handle_response(&mut self, now: Instant, response: &Message<'_>) -> bool {
        if self.done || !self.matches(response) {
            return false;
        }
        if self.sends == 1 {
            self.rtt = Some(now.saturating_duration_since(self.started));
        }
        self.finish(outcome(response));
        true
    }

    /// Whether `response` answers this transaction (see
    /// [`ClientTransaction::handle_response`]).
    pub fn matches(&self, response: &Message<'_>) -> bool {
        response.transaction_id() == self.tid
            && matches!(
                response.class(),
                Class::SuccessResponse | Class::ErrorResponse
            )
            && response.method() == self.method
            // FINGERPRINT is optional, but a wrong one means the datagram
            // is not this response (RFC 8489 §7.3).
            && matches!(
                response.verify_fingerprint(),
                Ok(_) | Err(Error::MissingFingerprint)
            )
    }

    fn send(&mut self, now: Instant) {
        self.sends += 1;
        self.transmit = true;
        let wait = if self.transport.is_reliable() {
            self.config.ti
        } else if self.sends >= self.config.rc.max(1) {
            self.config.rto.saturating_mul(self.config.rm)
        } else {
            self.interval
        };
        self.deadline = now.checked_add(wait);
    }

    fn finish(&mut self, event: TransactionEvent) {
        self.done = true;
        self.transmit = false;
        self.deadline = None;
        self.event = Some(event);
    }
}

/// How one of many transactions ended, from [`Transactions::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionOutcome {
    /// The transaction.
    pub transaction_id: TransactionId,
    /// Where its requests went: what was given to [`Transactions::start`].
    pub destination: SocketAddr,
    /// How it ended.
    pub event: TransactionEvent,
    /// [`ClientTransaction::rtt`].
    pub rtt: Option<Duration>,
}

/// Many client transactions at once, keyed by transaction ID.
///
/// Each request goes to the [`SocketAddr`] it was started with, as a
/// [`Transmit`]. A caller that routes by more than the address (which
/// local socket, which candidate pair) keeps its own map from
/// [`TransactionId`] (returned by [`Transactions::start`], and read back
/// from a transmit with [`TransactionId::of_message`]) to its route.
/// Iteration order is by transaction ID, so runs are deterministic.
///
/// ```
/// use std::time::{Duration, Instant};
/// use rtw_stun::{
///     Class, MessageBuilder, MessageType, Method, TransactionConfig, TransactionEvent,
///     TransactionId, Transactions, Transport,
/// };
///
/// let t0 = Instant::now();
/// let mut txs = Transactions::with_config(TransactionConfig::default());
/// let server = "192.0.2.1:3478".parse().unwrap();
/// // Transaction IDs come from the caller's random source; a seeded one here.
/// let tid = TransactionId::random(&mut rtw_stun::SeededRandom::new(1));
/// let request = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid).finish();
/// txs.start(t0, request, server, Transport::Udp)?;
///
/// // Nobody answers: 7 requests, then the timeout at 39.5 s.
/// let mut sent = Vec::new();
/// let mut now = t0;
/// loop {
///     while let Some(t) = txs.poll_transmit() {
///         assert_eq!(t.destination, server);
///         assert_eq!(TransactionId::of_message(&t.contents), Some(tid));
///         sent.push((now - t0).as_millis());
///     }
///     let Some(next) = txs.poll_timeout() else { break };
///     now = next;
///     txs.handle_timeout(now);
/// }
/// assert_eq!(sent, [0, 500, 1500, 3500, 7500, 15500, 31500]);
/// assert_eq!((now - t0).as_millis(), 39_500);
/// assert_eq!(txs.poll_event().unwrap().event, TransactionEvent::Timeout);
/// assert!(txs.is_empty());
/// # Ok::<(), rtw_stun::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Transactions {
    config: TransactionConfig,
    running: BTreeMap<TransactionId, ClientTransaction>,
    transmits: VecDeque<(TransactionId, Transmit)>,
    events: VecDeque<TransactionOutcome>,
}

impl Transactions {
    /// No transactions yet; new ones use `config`.
    pub fn with_config(config: TransactionConfig) -> Self {
        Transactions {
            config,
            running: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The configuration new transactions use.
    pub fn config(&self) -> &TransactionConfig {
        &self.config
    }

    /// Start a transaction at `now` for `request` to `destination`, with
    /// the manager's configuration; its first request is queued for
    /// [`Transactions::poll_transmit`].
    ///
    /// Fails as [`ClientTransaction::new`] does, and with
    /// [`Error::DuplicateTransaction`] if one with the same ID is running.
    pub fn start(
        &mut self,
        now: Instant,
        request: impl Into<Bytes>,
        destination: SocketAddr,
        transport: Transport,
    ) -> Result<TransactionId, Error> {
        let config = self.config;
        self.start_with(now, request, destination, transport, config)
    }

    /// [`Transactions::start`] with its own configuration, e.g. an RTO
    /// learnt from earlier transactions to the same server.
    pub fn start_with(
        &mut self,
        now: Instant,
        request: impl Into<Bytes>,
        destination: SocketAddr,
        transport: Transport,
        config: TransactionConfig,
    ) -> Result<TransactionId, Error> {
        let tx = ClientTransaction::new(now, request, destination, transport, config)?;
        let tid = tx.transaction_id();
        if self.running.contains_key(&tid) {
            return Err(Error::DuplicateTransaction(tid));
        }
        self.running.insert(tid, tx);
        self.collect(tid);
        Ok(tid)
    }

    /// Stop a transaction without an event; `false` if it was not running.
    /// Queued retransmissions of it are dropped.
    pub fn cancel(&mut self, tid: TransactionId) -> bool {
        self.transmits.retain(|(t, _)| *t != tid);
        self.running.remove(&tid).is_some()
    }

    /// Whether a transaction with this ID is running.
    pub fn contains(&self, tid: TransactionId) -> bool {
        self.running.contains_key(&tid)
    }

    /// How many transactions are running.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// `true` if none is running.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Hand in a response received at `now`: `true` if it ended one of the
    /// running transactions (see [`ClientTransaction::handle_response`]);
    /// a response to no running transaction is `false`, to be dropped.
    pub fn handle_response(&mut self, now: Instant, response: &Message<'_>) -> bool {
        let tid = response.transaction_id();
        let Some(tx) = self.running.get_mut(&tid) else {
            return false;
        };
        if !tx.handle_response(now, response) {
            return false;
        }
        self.transmits.retain(|(t, _)| *t != tid);
        self.collect(tid);
        true
    }

    /// Advance every transaction to `now` (see
    /// [`ClientTransaction::handle_timeout`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<TransactionId> = self
            .running
            .iter()
            .filter(|(_, tx)| tx.poll_timeout().is_some_and(|t| t <= now))
            .map(|(tid, _)| *tid)
            .collect();
        for tid in due {
            if let Some(tx) = self.running.get_mut(&tid) {
                tx.handle_timeout(now);
            }
            self.collect(tid);
        }
    }

    /// The next request to send, or `None`. Its transaction is
    /// [`TransactionId::of_message`] of its contents.
    ///
    /// Changes after [`Transactions::start`], [`Transactions::start_with`]
    /// and [`Transactions::handle_timeout`]; [`Transactions::cancel`] and
    /// [`Transactions::handle_response`] drop what a finished transaction
    /// had queued.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front().map(|(_, t)| t)
    }

    /// The earliest instant [`Transactions::handle_timeout`] is due, or
    /// `None` when no transaction runs.
    ///
    /// Changes after [`Transactions::start`], [`Transactions::start_with`],
    /// [`Transactions::cancel`], [`Transactions::handle_timeout`] and
    /// [`Transactions::handle_response`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.running
            .values()
            .filter_map(ClientTransaction::poll_timeout)
            .min()
    }

    /// The next transaction that ended, or `None`.
    ///
    /// Changes after [`Transactions::handle_response`] and
    /// [`Transactions::handle_timeout`].
    #[must_use]
    pub fn poll_event(&mut self) -> Option<TransactionOutcome> {
        self.events.pop_front()
    }

    /// Move what transaction `tid` has to say into the queues, and drop it
    /// if it ended.
    fn collect(&mut self, tid: TransactionId) {
        let Some(tx) = self.running.get_mut(&tid) else {
            return;
        };
        if let Some(transmit) = tx.poll_transmit() {
            self.transmits.push_back((tid, transmit));
        }
        if let Some(event) = tx.poll_event() {
            let (rtt, destination) = (tx.rtt(), tx.destination());
            self.running.remove(&tid);
            self.events.push_back(TransactionOutcome {
                transaction_id: tid,
                destination,
                event,
                rtt,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_values() {
        assert_eq!(error_code(&[0, 0, 4, 20]), Ok(420));
        assert_eq!(error_code(&[0, 0, 0xF8 | 3, 0, b'x']), Ok(300));
        assert_eq!(error_code(&[0, 0, 6, 99]), Ok(699));
        assert!(error_code(&[0, 0, 2, 0]).is_err());
        assert!(error_code(&[0, 0, 4, 100]).is_err());
        assert!(error_code(&[0, 0, 4]).is_err());
    }

    #[test]
    fn transport_reliability() {
        assert!(!Transport::Udp.is_reliable());
        assert!(!Transport::Dtls.is_reliable());
        assert!(Transport::Tcp.is_reliable());
        assert!(Transport::Tls.is_reliable());
    }
}
