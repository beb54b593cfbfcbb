//! STOMP over WebSocket at `/stomp`, bridged to the hub: a STOMP 1.2
//! server session (1.1 and 1.0 too, STOMP 1.2 "Protocol Negotiation")
//! on the rtw-stomp codec whose destinations `/topic/{topic}` are the
//! hub's topics, so a STOMP client sees the same messages, with the same
//! ids, as every other transport.
//!
//! The upgrade ([`accept`]) offers the subprotocols `v12.stomp`,
//! `v11.stomp` and `v10.stomp` and selects the first one the client
//! lists; a client that offers none is served too (the version is the
//! one CONNECT negotiates either way). Each WebSocket message carries
//! whole frames or a heart-beat EOL, text when UTF-8, binary otherwise.
//!
//! | frame | what the session does |
//! |---|---|
//! | CONNECT, STOMP | CONNECTED with `version`, `heart-beat` (ours: 10 s, 10 s), `session`, `server` ("CONNECT or STOMP Frame", "Heart-beating"); a version in common is required |
//! | SUBSCRIBE `destination:/topic/T` | a hub subscription from now on, or from after id `N` with the header `since:N` (rtw's own header: the resume of the other transports); each message one MESSAGE ("SUBSCRIBE", "MESSAGE") |
//! | SEND `destination:/topic/T` | publish the body to hub topic `T` ("SEND") |
//! | UNSUBSCRIBE `id` | end the subscription ("UNSUBSCRIBE") |
//! | ACK, NACK | accepted and ignored: every subscription is auto-ack here, whatever its `ack` header says (a client mode gets an `ack` header on MESSAGE so that clients can send their ACK) ("ACK", "NACK") |
//! | BEGIN, COMMIT, ABORT | SENDs with a `transaction` header are held until COMMIT publishes them in order, or ABORT drops them ("BEGIN", "COMMIT", "ABORT") |
//! | DISCONNECT | RECEIPT if asked, then close ("DISCONNECT", "Connection Lingering") |
//! | any frame with `receipt` | RECEIPT with `receipt-id` once handled ("Header receipt") |
//!
//! A MESSAGE has `subscription`, `message-id` (the hub's id of the message,
//! increasing per topic), `destination` and `content-type: text/plain`.
//!
//! Errors end the session with an ERROR frame (its `message` header says
//! why, `receipt-id` names the frame if it asked for a receipt) and a
//! close (STOMP 1.2 "ERROR"): a frame the codec refuses (its
//! `error_frame`), a destination other than `/topic/{topic}` with a hub
//! topic name, a hub refusal (message too large, hub full), an unknown
//! subscription or transaction, and a slow consumer, which the hub evicts
//! when its queue overflows (ERROR `slow consumer`: it can subscribe
//! again with `since:` the last `message-id` it got). A client silent for
//! twice its negotiated heart-beat interval, or that sends no CONNECT
//! within [`CONNECT_TIMEOUT`], is closed without ERROR.
//!
//! When the server drains ([`ServeConfig::drain`](super::ServeConfig::drain))
//! each session writes the RECEIPTs of the frames it has read and the
//! MESSAGEs already handed to it, then the ERROR `server shutting down`
//! (what STOMP 1.2 offers a server that ends a session), and closes. A
//! SEND or COMMIT read while it drains is not published (the
//! subscriptions are ending and it might reach none of them): the session
//! ends the same way, its ERROR with the frame's `receipt-id` and no
//! RECEIPT.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use http::{Request, Response};
use hyper_util::rt::TokioIo;
use rtw_hub::{MessageId, Since, TopicName};
use rtw_stomp::{Command, Decoder, Frame, HeartBeat, Item, Limits, Version, negotiate_version};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::config::Transport;
use super::gate::Entered;
use super::metrics::{Label, ServeMetrics};
use super::ws::Draining;
use super::{Delivery, SharedHub};

/// What the session counts under in `GET /metrics`.
const LABEL: Label = Label::Transport(Transport::Stomp);
use crate::stomp::SUBPROTOCOLS;
use crate::ws::{Message, Options, ServerHandshake, ServerPolicy, WebSocketStream};

/// What we propose in CONNECTED's `heart-beat`: we can send every 10 s
/// and want to hear from the client every 10 s (STOMP 1.2
/// "Heart-beating"; the negotiated intervals are the larger of each
/// side's).
const HEART_BEAT: HeartBeat = HeartBeat {
    can_send: Duration::from_secs(10),
    want_receive: Duration::from_secs(10),
};

/// How long a new connection has to send CONNECT.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Subscriptions one session may hold.
const MAX_SUBSCRIPTIONS: usize = 64;

/// Transactions one session may hold open.
const MAX_TRANSACTIONS: usize = 16;

/// SENDs held in all of a session's open transactions, and their bytes.
const MAX_HELD_FRAMES: usize = 1024;
const MAX_HELD_BYTES: usize = 4 << 20;

/// Deliveries on their way from the subscriptions' tasks to the session:
/// few, so that a client that reads slowly leaves the backlog in the hub,
/// whose bounded queue evicts it (rtw-hub "Slow subscribers").
const DELIVERIES: usize = 16;

/// The ERROR `message` of a session the drain ends, and of a SEND or
/// COMMIT refused because the server drains.
const SHUTTING_DOWN: &str = "server shutting down";

/// How long the closing handshake may take after ERROR or DISCONNECT.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Answer a STOMP-over-WebSocket upgrade request (`GET /stomp`): the
/// WebSocket handshake (RFC 6455 §4.2) with subprotocols `v12.stomp`,
/// `v11.stomp` and `v10.stomp`, and, once hyper has sent the 101 and
/// handed the connection over, a spawned STOMP session ([`run`]) on it.
///
/// Returns the response to send: the 101 (its body empty), or the
/// handshake's rejection (400, 405, 426, ...) with a one-line text body.
/// The caller checks the `Origin` first (the router's allow-list, as for
/// `/topics/{t}/ws`): this accepts every origin. `request` must be the
/// one hyper is serving (an upgrade is taken from it), on a connection
/// served `with_upgrades()`.
pub(crate) fn accept<B>(
    request: &mut Request<B>,
    hub: SharedHub,
    options: Options,
    limits: Limits,
    metrics: Arc<ServeMetrics>,
    drain: Draining,
) -> Response<Bytes> {
    let handshake =
        ServerHandshake::with_policy(ServerPolicy::new().supported_protocols(SUBPROTOCOLS));
    let negotiated = match handshake.accept(request) {
        Ok(negotiated) => negotiated,
        Err(e) => {
            let mut response = Response::new(Bytes::from(format!("{e}\n")));
            *response.status_mut() = e.status();
            return response;
        }
    };
    let upgrade = hyper::upgrade::on(request);
    let response = negotiated.response.clone().map(|()| Bytes::new());
    let hold = drain.0.hold();
    tokio::spawn(async move {
        let _hold = hold;
        let _open = metrics.open(LABEL);
        let Ok(upgraded) = upgrade.await else { return };
        let io = TokioIo::new(upgraded);
        let Ok(ws) = WebSocketStream::from_negotiated(io, &negotiated, options) else {
            return;
        };
        tracing::debug!(transport = "stomp", "STOMP session opened");
        run(ws, hub, limits, metrics, drain).await;
        tracing::debug!(transport = "stomp", "STOMP session closed");
    });
    response
}

/// Serve one STOMP session on `ws` until DISCONNECT, an ERROR, the
/// client's close or its silence; frames are read with `limits` (STOMP
/// 1.2 "Size Limits"). See the module documentation for what each frame
/// does.
pub(crate) async fn run<S>(
    ws: WebSocketStream<S>,
    hub: SharedHub,
    limits: Limits,
    metrics: Arc<ServeMetrics>,
    drain: Draining,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let (deliveries_tx, deliveries) = mpsc::channel(DELIVERIES);
    let mut session = Session {
        ws,
        hub,
        metrics,
        decoder: Decoder::with_limits(limits),
        input: BytesMut::new(),
        out: Vec::new(),
        version: None,
        subscriptions: HashMap::new(),
        next_generation: 0,
        deliveries_tx,
        transactions: HashMap::new(),
        sending: (Vec::new(), None),
        held_frames: 0,
        held_bytes: 0,
        drain: drain.clone(),
        send_every: None,
        expect_every: None,
        last_sent: Instant::now(),
        last_received: Instant::now(),
    };
    session.serve(deliveries, drain).await;
}

/// Sessions numbered for CONNECTED's `session` header.
static SESSIONS: AtomicU64 = AtomicU64::new(1);

/// A subscription of the session.
struct Subscription {
    /// Tells its deliveries from those of an earlier subscription with the
    /// same id still on their way.
    generation: u64,
    destination: Arc<str>,
    /// Its `ack` header asked for a client mode: MESSAGE carries `ack`.
    client_ack: bool,
    /// The task moving hub deliveries to the session; aborted (and with
    /// it the hub subscription dropped) when the subscription ends.
    task: JoinHandle<()>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A delivery from a subscription's task: the subscription id and
/// generation, and what the hub gave.
type Tagged = (Arc<str>, u64, Delivery);

/// A SEND held in a transaction: topic and body.
type Held = (String, Bytes);

/// A SEND on its way through the hub's backend (RabbitMQ).
type Sending =
    std::pin::Pin<Box<dyn Future<Output = Result<MessageId, super::PublishError>> + Send>>;

/// Why a frame is refused: the ERROR frame's `message`.
type Refusal = String;

/// What handling input leads to.
enum Next {
    /// Go on.
    Continue,
    /// Close the connection (after DISCONNECT or the client's close).
    Close,
    /// Send this ERROR frame, then close.
    Fail(Frame),
    /// A SEND (or COMMIT) came while the server drains and was not
    /// published: the drain's end ([`Session::on_drain`]), its ERROR with
    /// the frame's `receipt-id` (and no RECEIPT).
    Refused(Option<String>),
}

struct Session<S> {
    ws: WebSocketStream<S>,
    hub: SharedHub,
    metrics: Arc<ServeMetrics>,
    decoder: Decoder,
    input: BytesMut,
    /// Frames to write, in order.
    out: Vec<Bytes>,
    /// The negotiated version; `None` until CONNECT.
    version: Option<Version>,
    subscriptions: HashMap<Arc<str>, Subscription>,
    next_generation: u64,
    deliveries_tx: mpsc::Sender<Tagged>,
    transactions: HashMap<String, Vec<Held>>,
    /// The SENDs of the frame being handled that the hub's backend has not
    /// confirmed yet, and that frame's receipt: the frames after it wait.
    sending: (Vec<Sending>, Option<String>),
    held_frames: usize,
    held_bytes: usize,
    /// The service's drain: the subscriptions' tasks hand over what the
    /// hub queued for them, then end.
    drain: Draining,
    send_every: Option<Duration>,
    expect_every: Option<Duration>,
    last_sent: Instant,
    last_received: Instant,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Session<S> {
    async fn serve(&mut self, mut deliveries: mpsc::Receiver<Tagged>, drain: Draining) {
        let connect_deadline = Instant::now() + CONNECT_TIMEOUT;
        let draining = drain.0.draining();
        tokio::pin!(draining);
        loop {
            let send_at = self.send_every.map(|d| self.last_sent + d);
            let dead_at = match self.version {
                None => Some(connect_deadline),
                Some(_) => self.expect_every.map(|d| self.last_received + d * 2),
            };
            let next = tokio::select! {
                message = self.ws.next() => match message {
                    Some(Ok(message)) => {
                        self.last_received = Instant::now();
                        match message {
                            Message::Text(text) => self.on_input(text.as_bytes()),
                            Message::Binary(bytes) => self.on_input(&bytes),
                            Message::Close(_) => Next::Close,
                            _ => Next::Continue,
                        }
                    }
                    Some(Err(_)) => return self.metrics.error(LABEL),
                    None => return,
                },
                Some((id, generation, delivery)) = deliveries.recv() => {
                    self.on_delivery(&id, generation, delivery)
                }
                () = at(send_at) => {
                    self.out.push(Bytes::from_static(b"\n"));
                    Next::Continue
                }
                () = at(dead_at) => return,
                () = &mut draining => self.on_drain(&mut deliveries, None).await,
            };
            let next = match self.settle(next).await {
                Next::Refused(receipt) => self.on_drain(&mut deliveries, receipt).await,
                next => next,
            };
            let end = match next {
                Next::Continue => false,
                Next::Close | Next::Refused(_) => true,
                Next::Fail(frame) => {
                    // An ERROR frame: counted, but for the drain's.
                    if !self.drain.0.is_draining() {
                        self.metrics.error(LABEL);
                    }
                    let version = self.version.unwrap_or(Version::V1_2);
                    self.out.push(frame.to_bytes(version));
                    true
                }
            };
            if !self.write_out().await {
                return self.metrics.error(LABEL);
            }
            if end {
                break;
            }
        }
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, self.ws.close()).await;
    }

    /// The server drains: the MESSAGEs of what the hub had queued for the
    /// subscriptions (their tasks hand it over, then end; within
    /// [`CLOSE_TIMEOUT`]), then ERROR (with `receipt`, the `receipt-id`
    /// of a frame refused because the server drains).
    async fn on_drain(
        &mut self,
        deliveries: &mut mpsc::Receiver<Tagged>,
        receipt: Option<String>,
    ) -> Next {
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        loop {
            let flushed = self.subscriptions.values().all(|s| s.task.is_finished());
            let next = if flushed {
                deliveries.try_recv().ok()
            } else {
                let wait = tokio::time::timeout_at(deadline, deliveries.recv());
                match tokio::time::timeout(Duration::from_millis(10), wait).await {
                    Ok(Ok(next)) => next,
                    // Past the deadline: what came is what goes.
                    Ok(Err(_)) => deliveries.try_recv().ok(),
                    // Nothing for 10 ms: see whether the tasks are done.
                    Err(_) => continue,
                }
            };
            let Some((id, generation, delivery)) = next else {
                break;
            };
            match self.on_delivery(&id, generation, delivery) {
                Next::Continue => {}
                next => return next,
            }
        }
        Next::Fail(Frame::error(SHUTTING_DOWN, receipt.as_deref()))
    }

    /// Write the queued frames, each one WebSocket message; `false` when
    /// the connection failed.
    async fn write_out(&mut self) -> bool {
        if self.out.is_empty() {
            return true;
        }
        for bytes in std::mem::take(&mut self.out) {
            // A clone of `Bytes` shares the buffer: nothing is copied.
            let message = match rtw_ws::Utf8Bytes::try_from(bytes.clone()) {
                Ok(text) => Message::Text(text),
                Err(_) => Message::Binary(bytes),
            };
            if self.ws.feed(message).await.is_err() {
                return false;
            }
        }
        self.last_sent = Instant::now();
        self.ws.flush().await.is_ok()
    }

    /// Bytes from the client: every whole frame handled in order,
    /// heart-beat EOLs skipped.
    fn on_input(&mut self, bytes: &[u8]) -> Next {
        self.input.extend_from_slice(bytes);
        loop {
            match self.decoder.decode(&mut self.input) {
                Ok(None) => return Next::Continue,
                Ok(Some(Item::HeartBeat)) => {}
                Ok(Some(Item::Frame(frame))) => match self.on_frame(frame) {
                    // The rest waits for the SENDs on their way.
                    Next::Continue if !self.sending.0.is_empty() => return Next::Continue,
                    Next::Continue => {}
                    next => return next,
                },
                Err(e) => return Next::Fail(e.error_frame()),
            }
        }
    }

    /// One frame (STOMP 1.2 "Client Frames").
    fn on_frame(&mut self, frame: Frame) -> Next {
        let Some(version) = self.version else {
            if matches!(frame.command, Command::Connect | Command::Stomp) {
                return self.on_connect(&frame);
            }
            return Next::Fail(Frame::error("expected a CONNECT frame", None));
        };
        let receipt = frame.header("receipt").map(str::to_owned);
        if let Some(r) = &receipt
            && !version.can_carry_value(r)
        {
            return Next::Fail(Frame::error("receipt header not representable", None));
        }
        let result = match frame.command {
            Command::Connect | Command::Stomp => Err("already connected".to_owned()),
            Command::Send => self.on_send(&frame),
            Command::Subscribe => self.on_subscribe(&frame, version),
            Command::Unsubscribe => self.on_unsubscribe(&frame, version),
            // Auto-ack: nothing waits for an acknowledgement.
            Command::Ack | Command::Nack => Ok(()),
            Command::Begin => self.on_begin(&frame),
            Command::Commit => self.on_commit(&frame),
            Command::Abort => self.on_abort(&frame),
            Command::Disconnect => {
                if let Some(r) = &receipt {
                    self.receipt(version, r);
                }
                return Next::Close;
            }
            Command::Connected | Command::Message | Command::Receipt | Command::Error => {
                Err(format!("{} is a server frame", frame.command))
            }
        };
        match result {
            Ok(()) if !self.sending.0.is_empty() => {
                self.sending.1 = receipt;
                Next::Continue
            }
            Ok(()) => {
                if let Some(r) = &receipt {
                    self.receipt(version, r);
                }
                Next::Continue
            }
            Err(message) if message == SHUTTING_DOWN => Next::Refused(receipt),
            Err(message) => Next::Fail(Frame::error(&message, receipt.as_deref())),
        }
    }

    /// Publishes through the hub: at once with the in-process hub; through
    /// its backend the message is queued here, in order, and
    /// [`Session::settle`] waits for RabbitMQ's confirmation before the
    /// frame's RECEIPT and the next frame. `entered` (the service's
    /// [`PublishGate`](super::gate::PublishGate)) is held until the hub has
    /// the message.
    fn publish(&mut self, entered: &Arc<Entered>, topic: &str, body: Bytes) -> Result<(), Refusal> {
        let entered = entered.clone();
        let sent = self.hub.send(topic, body);
        let mut sent: Sending = Box::pin(async move {
            let outcome = sent.await;
            drop(entered);
            outcome
        });
        match futures_util::FutureExt::now_or_never(&mut sent) {
            Some(outcome) => outcome.map(drop).map_err(|e| e.to_string()),
            None => {
                self.sending.0.push(sent);
                Ok(())
            }
        }
    }

    /// Waits for the SENDs on their way through the hub's backend: then
    /// the frame's RECEIPT (or ERROR, with its `receipt-id`, when one was
    /// not confirmed: 503's case), and the input left is handled.
    async fn settle(&mut self, mut next: Next) -> Next {
        while matches!(next, Next::Continue) && !self.sending.0.is_empty() {
            let (sending, receipt) = std::mem::take(&mut self.sending);
            for sent in sending {
                if let Err(e) = sent.await {
                    return Next::Fail(Frame::error(&e.to_string(), receipt.as_deref()));
                }
            }
            if let Some(r) = &receipt {
                self.receipt(self.version.unwrap_or(Version::V1_2), r);
            }
            next = self.on_input(&[]);
        }
        next
    }

    /// Enters the service's publish gate: refused with [`SHUTTING_DOWN`]
    /// once the server drains.
    fn enter(&self) -> Result<Arc<Entered>, Refusal> {
        let entered = self.drain.1.enter(&self.drain.0);
        entered
            .map(Arc::new)
            .ok_or_else(|| SHUTTING_DOWN.to_owned())
    }

    /// RECEIPT for `receipt` (STOMP 1.2 "RECEIPT").
    fn receipt(&mut self, version: Version, receipt: &str) {
        let frame = Frame::new(Command::Receipt).with_header("receipt-id", receipt);
        self.out.push(frame.to_bytes(version));
    }

    /// CONNECT or STOMP (STOMP 1.2 "CONNECT or STOMP Frame", "Protocol
    /// Negotiation", "Heart-beating"). `host`, `login` and `passcode` are
    /// not checked: the hub is open to every client the router lets in.
    fn on_connect(&mut self, frame: &Frame) -> Next {
        let Some(version) = negotiate_version(frame.header("accept-version"), &Version::ALL) else {
            return Next::Fail(
                Frame::error("supported protocol versions are 1.0,1.1,1.2", None)
                    .with_header("version", "1.0,1.1,1.2"),
            );
        };
        let theirs = match frame.header("heart-beat") {
            None => HeartBeat::NONE,
            Some(value) => match HeartBeat::parse(value) {
                Ok(hb) => hb,
                Err(e) => return Next::Fail(e.error_frame()),
            },
        };
        let mut connected = Frame::new(Command::Connected);
        if frame.header("accept-version").is_some() {
            connected = connected.with_header("version", version.as_str());
        }
        if version > Version::V1_0 {
            (self.send_every, self.expect_every) = HeartBeat::negotiate(HEART_BEAT, theirs);
            connected = connected.with_header("heart-beat", HEART_BEAT.header_value());
        }
        let session = SESSIONS.fetch_add(1, Ordering::Relaxed);
        let connected = connected
            .with_header("session", session.to_string())
            .with_header("server", concat!("rtw-serve/", env!("CARGO_PKG_VERSION")));
        self.version = Some(version);
        self.decoder.set_version(version);
        self.out.push(connected.to_bytes(version));
        Next::Continue
    }

    /// SEND (STOMP 1.2 "SEND"): publish, or hold in its transaction.
    fn on_send(&mut self, frame: &Frame) -> Result<(), Refusal> {
        self.metrics.received(LABEL, frame.body.len() as u64);
        let topic = topic_of(required(frame, "destination")?)?;
        let Some(tx) = frame.header("transaction") else {
            let entered = self.enter()?;
            self.publish(&entered, topic, frame.body.clone())?;
            self.metrics.published(LABEL);
            return Ok(());
        };
        let Some(held) = self.transactions.get_mut(tx) else {
            return Err("unknown transaction".to_owned());
        };
        if self.held_frames >= MAX_HELD_FRAMES {
            return Err(format!(
                "too many SENDs in transactions (at most {MAX_HELD_FRAMES})"
            ));
        }
        if self.held_bytes + frame.body.len() > MAX_HELD_BYTES {
            return Err(format!(
                "too many bytes in transactions (at most {MAX_HELD_BYTES})"
            ));
        }
        held.push((topic.to_owned(), frame.body.clone()));
        self.held_frames += 1;
        self.held_bytes += frame.body.len();
        Ok(())
    }

    /// SUBSCRIBE (STOMP 1.2 "SUBSCRIBE"): a hub subscription whose
    /// deliveries a task hands to the session.
    fn on_subscribe(&mut self, frame: &Frame, version: Version) -> Result<(), Refusal> {
        let destination = required(frame, "destination")?;
        let topic = topic_of(destination)?;
        // STOMP 1.0 made `id` optional: the destination names it then.
        let id = match frame.header("id") {
            Some(id) => id,
            None if version == Version::V1_0 => destination,
            None => return Err("missing id header".to_owned()),
        };
        if self.subscriptions.contains_key(id) {
            return Err("a subscription with this id exists already".to_owned());
        }
        if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return Err(format!(
                "too many subscriptions (at most {MAX_SUBSCRIPTIONS})"
            ));
        }
        let since = match frame.header("since") {
            None => Since::Now,
            Some(n) => match n.trim().parse() {
                Ok(n) => Since::After(MessageId(n)),
                Err(_) => return Err("since must be a message id (a decimal integer)".to_owned()),
            },
        };
        let client_ack = matches!(frame.header("ack"), Some("client" | "client-individual"));
        let mut subscriber = self
            .hub
            .subscribe(topic, since)
            .map_err(|e| e.to_string())?;
        let id: Arc<str> = Arc::from(id);
        let generation = self.next_generation;
        self.next_generation += 1;
        let tx = self.deliveries_tx.clone();
        let draining = self.drain.0.draining();
        let publishing = self.drain.1.clone();
        let task = tokio::spawn({
            let id = id.clone();
            async move {
                tokio::pin!(draining);
                loop {
                    let delivery = tokio::select! {
                        // What the hub queued first, also once it drains.
                        biased;
                        delivery = subscriber.next() => delivery,
                        () = &mut draining => {
                            // Once every publish let in reached the hub,
                            // what is left is all there is.
                            publishing.settled().await;
                            while let Some(delivery) = subscriber.try_next() {
                                if tx.send((id.clone(), generation, delivery)).await.is_err() {
                                    break;
                                }
                            }
                            return;
                        }
                    };
                    let evicted = matches!(delivery, Delivery::Evicted { .. });
                    if tx.send((id.clone(), generation, delivery)).await.is_err() || evicted {
                        return;
                    }
                }
            }
        });
        let subscription = Subscription {
            generation,
            destination: Arc::from(destination),
            client_ack,
            task,
        };
        self.subscriptions.insert(id, subscription);
        Ok(())
    }

    /// UNSUBSCRIBE (STOMP 1.2 "UNSUBSCRIBE"); in 1.0 `destination` may
    /// name the subscription instead of `id`.
    fn on_unsubscribe(&mut self, frame: &Frame, version: Version) -> Result<(), Refusal> {
        let id = match (frame.header("id"), version) {
            (Some(id), _) => id,
            (None, Version::V1_0) => required(frame, "destination")?,
            (None, _) => return Err("missing id header".to_owned()),
        };
        match self.subscriptions.remove(id) {
            Some(_) => Ok(()),
            None => Err("no subscription with this id".to_owned()),
        }
    }

    /// BEGIN (STOMP 1.2 "BEGIN").
    fn on_begin(&mut self, frame: &Frame) -> Result<(), Refusal> {
        let tx = required(frame, "transaction")?;
        if self.transactions.contains_key(tx) {
            return Err("transaction already begun".to_owned());
        }
        if self.transactions.len() >= MAX_TRANSACTIONS {
            return Err(format!(
                "too many open transactions (at most {MAX_TRANSACTIONS})"
            ));
        }
        self.transactions.insert(tx.to_owned(), Vec::new());
        Ok(())
    }

    /// COMMIT (STOMP 1.2 "COMMIT"): publish the held SENDs in order.
    fn on_commit(&mut self, frame: &Frame) -> Result<(), Refusal> {
        // Let in once, for all of them: none or all are published.
        let entered = self.enter()?;
        let held = self.end_transaction(frame)?;
        for (topic, body) in held {
            self.publish(&entered, &topic, body)?;
            self.metrics.published(LABEL);
        }
        Ok(())
    }

    /// ABORT (STOMP 1.2 "ABORT"): drop the held SENDs.
    fn on_abort(&mut self, frame: &Frame) -> Result<(), Refusal> {
        self.end_transaction(frame).map(drop)
    }

    fn end_transaction(&mut self, frame: &Frame) -> Result<Vec<Held>, Refusal> {
        let tx = required(frame, "transaction")?;
        let held = self
            .transactions
            .remove(tx)
            .ok_or_else(|| "unknown transaction".to_owned())?;
        self.held_frames -= held.len();
        self.held_bytes -= held.iter().map(|(_, b)| b.len()).sum::<usize>();
        Ok(held)
    }

    /// A hub delivery for subscription `id`: MESSAGE (STOMP 1.2
    /// "MESSAGE"), or ERROR for an eviction.
    fn on_delivery(&mut self, id: &Arc<str>, generation: u64, delivery: Delivery) -> Next {
        let Some(subscription) = self.subscriptions.get(id) else {
            return Next::Continue;
        };
        if subscription.generation != generation {
            return Next::Continue;
        }
        let version = self.version.unwrap_or(Version::V1_2);
        match delivery {
            Delivery::Message(message) => {
                let message_id = message.id.get().to_string();
                let mut frame = Frame::new(Command::Message)
                    .with_header("subscription", id.as_ref())
                    .with_header("message-id", message_id.clone())
                    .with_header("destination", subscription.destination.as_ref())
                    .with_header("content-type", "text/plain");
                if subscription.client_ack && version == Version::V1_2 {
                    frame = frame.with_header("ack", message_id);
                }
                let bytes = frame.with_body(message.data).to_bytes(version);
                self.metrics.delivered(LABEL, 1, bytes.len() as u64);
                self.out.push(bytes);
                Next::Continue
            }
            Delivery::Evicted { last_delivered, .. } => {
                self.metrics.evicted(LABEL);
                let text = format!(
                    "slow consumer: the hub dropped subscription {id}; subscribe again with since:{last_delivered}"
                );
                Next::Fail(
                    Frame::new(Command::Error)
                        .with_header("message", "slow consumer")
                        .with_header("content-type", "text/plain")
                        .with_body(text),
                )
            }
        }
    }
}

fn required<'a>(frame: &'a Frame, name: &str) -> Result<&'a str, Refusal> {
    frame
        .header(name)
        .ok_or_else(|| format!("missing {name} header"))
}

/// The hub topic of a destination: `/topic/{topic}` with a hub topic
/// name, the one kind of destination on `/stomp`.
fn topic_of(destination: &str) -> Result<&str, Refusal> {
    destination
        .strip_prefix("/topic/")
        .filter(|topic| TopicName::new(topic).is_ok())
        .ok_or_else(|| {
            "destination must be /topic/{topic}, the topic 1 to 128 of [A-Za-z0-9._~-] \
             (the hub's topics; /stomp has no queues)"
                .to_owned()
        })
}

/// Sleeps until `deadline`, or forever without one.
async fn at(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::net::SocketAddr;

    use http_body_util::Full;
    use hyper::body::Incoming;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use rtw_hub::Config;

    use super::*;
    use crate::stomp::{AckMode, ClientConfig, ClientEvent, FrameOptions, StompClient};

    /// A hyper server on loopback that routes `/stomp` to [`accept`].
    async fn server(hub: SharedHub) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let hub = hub.clone();
                let service = service_fn(move |mut request: Request<Incoming>| {
                    let hub = hub.clone();
                    async move {
                        let response = if request.uri().path() == "/stomp" {
                            accept(
                                &mut request,
                                hub,
                                Options::default(),
                                Limits::default(),
                                Arc::default(),
                                Default::default(),
                            )
                        } else {
                            let mut response = Response::new(Bytes::from_static(b"not found\n"));
                            *response.status_mut() = http::StatusCode::NOT_FOUND;
                            response
                        };
                        Ok::<_, Infallible>(response.map(Full::new))
                    }
                });
                let connection = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .with_upgrades();
                tokio::spawn(connection);
            }
        });
        addr
    }

    async fn client(addr: SocketAddr) -> StompClient {
        let url = format!("ws://{addr}/stomp");
        let mut client = StompClient::connect(&url, ClientConfig::default())
            .await
            .unwrap();
        let ClientEvent::Connected {
            version, server, ..
        } = client.next_event().await.unwrap()
        else {
            panic!("CONNECTED first")
        };
        assert_eq!(version, Version::V1_2);
        assert!(server.unwrap().starts_with("rtw-serve/"));
        client
    }

    /// The next event that is not a heart-beat matter.
    async fn next(client: &mut StompClient) -> ClientEvent {
        tokio::time::timeout(Duration::from_secs(10), client.next_event())
            .await
            .expect("an event within 10 s")
            .unwrap()
    }

    /// The next MESSAGE: (id, body).
    async fn message(client: &mut StompClient) -> (String, String) {
        match next(client).await {
            ClientEvent::Message(m) => {
                assert_eq!(m.frame.header("content-type"), Some("text/plain"));
                (
                    m.message_id.clone(),
                    String::from_utf8(m.body().to_vec()).unwrap(),
                )
            }
            other => panic!("expected MESSAGE, got {other:?}"),
        }
    }

    async fn receipt(client: &mut StompClient) {
        match next(client).await {
            ClientEvent::Receipt(_) => {}
            other => panic!("expected RECEIPT, got {other:?}"),
        }
    }

    fn with_receipt() -> FrameOptions {
        FrameOptions::default().receipt(true)
    }

    #[tokio::test]
    async fn hub_and_send_reach_subscribers() {
        let hub = SharedHub::new(Config::default());
        let addr = server(hub.clone()).await;
        let mut a = client(addr).await;
        let (sub, _) = a
            .session()
            .subscribe_with("/topic/x", AckMode::Auto, with_receipt())
            .unwrap();
        receipt(&mut a).await;

        // Published to the hub by another transport.
        hub.publish("x", Bytes::from("one")).unwrap();
        let ClientEvent::Message(m) = next(&mut a).await else {
            panic!("MESSAGE")
        };
        assert_eq!(m.subscription, sub);
        assert_eq!(m.destination, "/topic/x");
        assert_eq!((m.message_id.as_str(), m.body()), ("1", &b"one"[..]));

        // SEND from another STOMP client, with a receipt.
        let mut b = client(addr).await;
        b.session().send("/topic/x", "two", with_receipt()).unwrap();
        receipt(&mut b).await;
        assert_eq!(message(&mut a).await, ("2".into(), "two".into()));

        // A transaction holds its SEND until COMMIT.
        let tx = b.session().begin().unwrap();
        let in_tx = FrameOptions::default().transaction(Some(tx));
        b.session().send("/topic/x", "three", in_tx).unwrap();
        b.session()
            .send("/topic/x", "four", with_receipt())
            .unwrap();
        receipt(&mut b).await;
        assert_eq!(message(&mut a).await, ("3".into(), "four".into()));
        b.session().commit(tx).unwrap();
        b.flush().await.unwrap();
        assert_eq!(message(&mut a).await, ("4".into(), "three".into()));
        // ABORT drops it.
        let tx = b.session().begin().unwrap();
        let in_tx = FrameOptions::default().transaction(Some(tx));
        b.session().send("/topic/x", "dropped", in_tx).unwrap();
        b.session().abort(tx).unwrap();
        b.session()
            .send("/topic/x", "five", with_receipt())
            .unwrap();
        receipt(&mut b).await;
        assert_eq!(message(&mut a).await, ("5".into(), "five".into()));
        assert_eq!(hub.last_id("x").unwrap(), MessageId(5));

        // since:N replays what came after N.
        let mut c = client(addr).await;
        let since = FrameOptions::default().header("since", "2");
        c.session()
            .subscribe_with("/topic/x", AckMode::ClientIndividual, since)
            .unwrap();
        for (id, body) in [("3", "four"), ("4", "three"), ("5", "five")] {
            let ClientEvent::Message(m) = next(&mut c).await else {
                panic!("MESSAGE")
            };
            assert_eq!((m.message_id.as_str(), m.body()), (id, body.as_bytes()));
            // A client mode gets an ack header, and its ACK is taken.
            assert_eq!(m.ack.as_deref(), Some(id));
            c.session().ack(&m).unwrap();
        }

        // UNSUBSCRIBE: nothing more for a.
        a.session().unsubscribe_with(sub, with_receipt()).unwrap();
        receipt(&mut a).await;
        hub.publish("x", Bytes::from("six")).unwrap();
        assert_eq!(message(&mut c).await, ("6".into(), "six".into()));

        // DISCONNECT: its RECEIPT, then the end.
        a.session().disconnect().unwrap();
        receipt(&mut a).await;
        assert!(matches!(next(&mut a).await, ClientEvent::Disconnected));
    }

    #[tokio::test]
    async fn other_destinations_are_refused() {
        let hub = SharedHub::new(Config::default());
        let addr = server(hub).await;
        for destination in ["/queue/x", "/topic/", "/topic/a/b", "/exchange/x"] {
            let mut b = client(addr).await;
            b.session().send(destination, "x", with_receipt()).unwrap();
            let ClientEvent::Error(frame) = next(&mut b).await else {
                panic!("ERROR for {destination}")
            };
            let message = frame.header("message").unwrap();
            assert!(
                message.starts_with("destination must be /topic/"),
                "{message}"
            );
            assert!(frame.header("receipt-id").is_some());
            assert!(matches!(next(&mut b).await, ClientEvent::Disconnected));
        }
        let mut b = client(addr).await;
        b.session().subscribe("/queue/x", AckMode::Auto).unwrap();
        assert!(matches!(next(&mut b).await, ClientEvent::Error(_)));
    }

    #[tokio::test]
    async fn bad_frames_get_error_then_close() {
        let hub = SharedHub::new(Config::default());
        let addr = server(hub).await;
        let options = crate::ws::ClientOptions::new().protocols(["v11.stomp", "v12.stomp"]);
        let url = format!("ws://{addr}/stomp");
        let (mut ws, response) = crate::ws::connect_with(&url, options).await.unwrap();
        // The client's first choice.
        assert_eq!(response.protocol.as_deref(), Some("v11.stomp"));
        ws.send(Message::text("CONNECT\naccept-version:1.1\nhost:/\n\n\0"))
            .await
            .unwrap();
        let Some(Ok(Message::Text(connected))) = ws.next().await else {
            panic!("CONNECTED")
        };
        assert!(connected.as_str().starts_with("CONNECTED\nversion:1.1\n"));
        ws.send(Message::text("BOGUS\n\n\0")).await.unwrap();
        let Some(Ok(Message::Text(error))) = ws.next().await else {
            panic!("ERROR")
        };
        assert!(
            error
                .as_str()
                .starts_with("ERROR\nmessage:unknown command\n"),
            "{error}"
        );
        // Then the close: nothing else comes.
        match ws.next().await {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {}
            Some(Ok(other)) => panic!("after ERROR: {other:?}"),
        }

        // No WebSocket upgrade: the handshake's rejection.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.write_all(b"GET /stomp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    }

    #[tokio::test]
    async fn slow_consumer_is_evicted_with_error() {
        let limits = rtw_hub::Limits::default().queue_messages(8);
        let hub = SharedHub::new(Config::default().limits(limits));
        let addr = server(hub.clone()).await;
        let mut a = client(addr).await;
        a.session()
            .subscribe_with("/topic/big", AckMode::Auto, with_receipt())
            .unwrap();
        receipt(&mut a).await;
        // a reads nothing while 24 MB are published.
        let body = Bytes::from(vec![b'x'; 60 * 1024]);
        for _ in 0..400 {
            hub.publish("big", body.clone()).unwrap();
            tokio::task::yield_now().await;
        }
        let mut received = 0;
        loop {
            match next(&mut a).await {
                ClientEvent::Message(_) => received += 1,
                ClientEvent::Error(frame) => {
                    assert_eq!(frame.header("message"), Some("slow consumer"));
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(received < 400, "{received}");
        assert!(matches!(next(&mut a).await, ClientEvent::Disconnected));
    }
}
