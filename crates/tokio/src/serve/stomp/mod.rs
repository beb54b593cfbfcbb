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
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use hyper_util::rt::TokioIo;
use rtw_hub::{MessageId, TopicName};
use rtw_stomp::{Decoder, Frame, HeartBeat, Limits, Version};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::config::Transport;
use super::metrics::{Label, ServeMetrics};
use super::ws::Draining;
use super::{Delivery, SharedHub};

use crate::stomp::SUBPROTOCOLS;
use crate::ws::{Options, ServerHandshake, ServerPolicy, WebSocketStream};

/// What the session counts under in `GET /metrics`.
const LABEL: Label = Label::Transport(Transport::Stomp);

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

mod frames;
mod session;
#[cfg(test)]
mod tests;
