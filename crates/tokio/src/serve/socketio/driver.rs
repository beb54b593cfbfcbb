//! The driver: one mutex-guarded [`State`] holding the Engine.IO and
//! Socket.IO servers, and a timer task.
//!
//! Every request, WebSocket frame and hub message locks the state, hands
//! its input to the right server and then [`State::pump`]s: Engine.IO
//! events go to Socket.IO (`Opened` → `handle_open`, `Message` →
//! `handle_message`, `Closed` → `handle_close`), Socket.IO events to the
//! application ([`super`]'s table), Socket.IO transmits back to Engine.IO
//! (`send`), Engine.IO's WebSocket transmits to the connections' queues
//! ([`WsQueue`]) and `PollReady` answers a held GET, until nothing moves.
//! The lock is never held across an await. The timer task sleeps until
//! the earlier of the two servers' `poll_timeout`s, then calls their
//! `handle_timeout`; a change wakes it ([`Notify`]) only when it brings
//! a deadline earlier than the one it sleeps until. The task holds the
//! state weakly: once the service is gone it ends at its next wake-up.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Once, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use rtw_engineio::{
    Data, Message as EioMessage, Packet, Response as EioResponse, Server as EioServer,
    ServerEvent as EioEvent, Sid, WsId, WsTransmit,
};
use rtw_hub::Since;
use rtw_socketio::{
    Args, ConnectPolicy, EngineId, EngineMessage, Server as SioServer, ServerEvent as SioEvent,
    SocketId,
};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;

use crate::serve::gate::{PublishGate, SHUTTING_DOWN, holding};
use crate::serve::metrics::{Label, ServeMetrics};
use crate::serve::{Delivery, ServeConfig, SharedHub, Transport};

/// What Socket.IO counts under in `GET /metrics`.
pub(crate) const LABEL: Label = Label::Transport(Transport::SocketIo);

/// How long a draining service waits for the subscriptions' tasks to
/// emit what the hub holds for them before it closes every session.
const FLUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What waits for one WebSocket connection: the messages to send, in
/// order, then maybe the close. Filled by the driver under the state's
/// lock, emptied all at once by the connection's task (one write for all
/// of them). Bounded: past `limit` bytes queued (a peer that reads too
/// slowly) the driver drops the messages and closes the connection.
#[derive(Default)]
pub(crate) struct WsQueue {
    inner: Mutex<WsQueueInner>,
}

#[derive(Default)]
struct WsQueueInner {
    messages: VecDeque<EioMessage>,
    bytes: usize,
    closed: bool,
    /// The connection's task, waiting for messages.
    waker: Option<Waker>,
}

impl WsQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, WsQueueInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `message`; `false` (and nothing queued) past `limit` bytes.
    fn push(&self, message: EioMessage, limit: usize) -> bool {
        let len = match &message {
            EioMessage::Text(t) => t.len(),
            EioMessage::Binary(b) => b.len(),
        };
        let waker = {
            let mut q = self.lock();
            if q.bytes + len > limit && !q.messages.is_empty() {
                return false;
            }
            q.bytes += len;
            q.messages.push_back(message);
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Closes the connection after what is queued; with `drop_queued`,
    /// instead of it.
    pub(crate) fn close(&self, drop_queued: bool) {
        let waker = {
            let mut q = self.lock();
            q.closed = true;
            if drop_queued {
                q.messages = VecDeque::new();
                q.bytes = 0;
            }
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Forgets the task's waker: called by the task itself before it hands
    /// the server what it read, so that what the server answers at once
    /// (an echo, an ack) is queued without waking the task that is
    /// running anyway (it takes it next, see [`WsQueue::poll_take`]).
    pub(crate) fn forget_waker(&self) {
        self.lock().waker = None;
    }

    /// Moves what is queued into `out`: ready once there is something
    /// or the connection is to close (then `true`).
    pub(crate) fn poll_take(
        &self,
        cx: &mut Context<'_>,
        out: &mut VecDeque<EioMessage>,
    ) -> Poll<bool> {
        let mut q = self.lock();
        if q.messages.is_empty() && !q.closed {
            if !q.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                q.waker = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        std::mem::swap(&mut q.messages, out);
        q.bytes = 0;
        Poll::Ready(q.closed)
    }
}

/// The servers and what the driver maps between them.
pub(crate) struct State {
    pub(crate) eio: EioServer,
    sio: SioServer,
    engines: HashMap<Sid, EngineId>,
    sids: HashMap<EngineId, Sid>,
    next_engine: u64,
    /// The GET held per session, answered at `PollReady`.
    pub(crate) held: HashMap<Sid, oneshot::Sender<EioResponse>>,
    /// The open WebSocket connections.
    pub(crate) ws: HashMap<WsId, Arc<WsQueue>>,
    /// The most bytes queued for one WebSocket connection (Engine.IO's
    /// `max_queued_bytes`).
    ws_limit: usize,
    /// The deadline the timer task sleeps until (`None`: none); it is
    /// woken only when an earlier one comes up.
    armed: Option<Instant>,
    /// Hub subscriptions per socket, ended when it leaves.
    subscriptions: HashMap<SocketId, Vec<AbortHandle>>,
    /// The `auth` of each socket's CONNECT on `/` (JSON `null` without).
    auth: HashMap<SocketId, Value>,
    /// `ask`s in flight: the id of the server's emit to the client, and the
    /// id of the client's `ask` to answer with the client's reply.
    asks: HashMap<(SocketId, u64), u64>,
}

impl State {
    /// The earlier of the two servers' deadlines.
    fn next_deadline(&mut self) -> Option<Instant> {
        match (self.eio.poll_timeout(), self.sio.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The state, its timer task's wake-up and the hub.
pub(crate) struct Shared {
    state: Mutex<State>,
    notify: Arc<Notify>,
    hub: SharedHub,
    started: Once,
    /// The service's drain: every session is closed when it starts.
    drain: crate::drain::Drain,
    /// The service's publishes in progress: a `publish` enters it.
    publishing: Arc<PublishGate>,
    /// Engine.IO's `maxPayload`: POST bodies are read up to one more byte.
    pub(crate) max_payload: usize,
    /// The service's counters.
    pub(crate) metrics: Arc<ServeMetrics>,
}

impl Shared {
    pub(crate) fn new(
        config: &ServeConfig,
        hub: SharedHub,
        random: Box<dyn rtw_core::Random + Send>,
        socket_random: Box<dyn rtw_core::Random + Send>,
        metrics: Arc<ServeMetrics>,
        publishing: Arc<PublishGate>,
    ) -> Arc<Shared> {
        let eio_config = rtw_engineio::Config::default()
            .ping_interval(config.ping_interval)
            .ping_timeout(config.ping_timeout);
        let max_payload = eio_config.limits.max_payload;
        let ws_limit = eio_config.max_queued_bytes;
        let eio = EioServer::new(eio_config, random);
        // `/` asks too, so that the application sees each CONNECT's auth.
        let sio_config = rtw_socketio::Config::default()
            .namespace("/", ConnectPolicy::Ask)
            .other_namespaces(Some(ConnectPolicy::Ask));
        // Socket.IO's own ids (socket sids) from a source of their own, so
        // that neither kind of id tells anything of the other.
        let sio = SioServer::new(sio_config, socket_random);
        Arc::new(Shared {
            state: Mutex::new(State {
                eio,
                sio,
                engines: HashMap::new(),
                sids: HashMap::new(),
                next_engine: 1,
                held: HashMap::new(),
                ws: HashMap::new(),
                ws_limit,
                armed: None,
                subscriptions: HashMap::new(),
                auth: HashMap::new(),
                asks: HashMap::new(),
            }),
            notify: Arc::new(Notify::new()),
            hub,
            started: Once::new(),
            drain: config.drain.clone(),
            publishing,
            max_payload,
            metrics,
        })
    }

    /// Spawns the timer task once, and the task that closes every session
    /// when the service drains, once the subscriptions' tasks emitted what
    /// the hub holds for them after every publish let in reached it
    /// (within [`FLUSH_TIMEOUT`]).
    pub(crate) fn start(self: &Arc<Self>) {
        self.started.call_once(|| {
            tokio::spawn(timers(Arc::downgrade(self), self.notify.clone()));
            let shared = Arc::downgrade(self);
            let draining = self.drain.draining();
            let publishing = self.publishing.clone();
            tokio::spawn(async move {
                draining.await;
                publishing.settled().await;
                let deadline = tokio::time::Instant::now() + FLUSH_TIMEOUT;
                loop {
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    let flushed = shared.with(|s, _| {
                        s.subscriptions
                            .values()
                            .flatten()
                            .all(AbortHandle::is_finished)
                    });
                    if flushed || tokio::time::Instant::now() >= deadline {
                        return shared.close_all();
                    }
                    drop(shared);
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            });
        });
    }

    /// Closes every Engine.IO session (the server drains): each gets the
    /// close packet, over WebSocket (then the connection closes with 1001
    /// Going Away) or in the answer to its held or next GET.
    fn close_all(self: &Arc<Self>) {
        self.with(|s, now| {
            let sids: Vec<Sid> = s.engines.keys().copied().collect();
            for sid in sids {
                s.eio.close(now, sid);
            }
        });
    }

    /// Whether the service drains.
    pub(crate) fn draining(&self) -> bool {
        self.drain.is_draining()
    }

    /// Runs `f` on the locked state, then pumps and wakes the timer task.
    pub(crate) fn with<R>(self: &Arc<Self>, f: impl FnOnce(&mut State, Instant) -> R) -> R {
        let now = Instant::now();
        let (r, earlier) = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let r = f(&mut state, now);
            self.pump(&mut state, now);
            let next = state.next_deadline();
            let earlier = next.is_some_and(|at| state.armed.is_none_or(|armed| at < armed));
            if earlier {
                state.armed = next;
            }
            (r, earlier)
        };
        if earlier {
            self.notify.notify_one();
        }
        r
    }

    fn pump(self: &Arc<Self>, s: &mut State, now: Instant) {
        loop {
            let mut busy = false;
            while let Some(event) = s.eio.poll_event() {
                busy = true;
                match event {
                    EioEvent::Opened(sid) => {
                        let id = EngineId(s.next_engine);
                        s.next_engine += 1;
                        s.engines.insert(sid, id);
                        s.sids.insert(id, sid);
                        s.sio.handle_open(now, id);
                    }
                    EioEvent::Message(sid, data) => {
                        if let Some(&id) = s.engines.get(&sid) {
                            let message = match data {
                                Data::Text(t) => EngineMessage::Text(t),
                                Data::Binary(b) => EngineMessage::Binary(b),
                            };
                            let len = match &message {
                                EngineMessage::Text(t) => t.len(),
                                EngineMessage::Binary(b) => b.len(),
                            };
                            self.metrics.received(LABEL, len as u64);
                            if s.sio.handle_message(now, id, message).is_err() {
                                self.metrics.error(LABEL);
                                s.eio.close(now, sid);
                            }
                        }
                    }
                    EioEvent::PollReady(sid) => {
                        if let Some(tx) = s.held.remove(&sid) {
                            match s.eio.take_poll(now, sid) {
                                Some(response) => {
                                    let _ = tx.send(response);
                                }
                                None => {
                                    s.held.insert(sid, tx);
                                }
                            }
                        }
                    }
                    EioEvent::Closed(sid, _) => {
                        if let Some(id) = s.engines.remove(&sid) {
                            s.sids.remove(&id);
                            s.sio.handle_close(id);
                        }
                        if let Some(tx) = s.held.remove(&sid)
                            && let Some(response) = s.eio.take_poll(now, sid)
                        {
                            let _ = tx.send(response);
                        }
                    }
                    _ => {}
                }
            }
            while let Some(event) = s.sio.poll_event() {
                busy = true;
                self.application(s, now, event);
            }
            while let Some(t) = s.sio.poll_transmit() {
                busy = true;
                if let Some(&sid) = s.sids.get(&t.engine) {
                    let packet = match t.message {
                        EngineMessage::Text(text) => {
                            self.metrics.delivered(LABEL, 1, text.len() as u64);
                            Packet::message(text)
                        }
                        EngineMessage::Binary(bytes) => {
                            self.metrics.delivered(LABEL, 1, bytes.len() as u64);
                            Packet::binary(bytes)
                        }
                    };
                    let _ = s.eio.send(sid, packet);
                }
            }
            while let Some(t) = s.eio.poll_ws_transmit() {
                busy = true;
                match t {
                    WsTransmit::Send { conn, message } => {
                        if let Some(q) = s.ws.get(&conn)
                            && !q.push(message, s.ws_limit)
                        {
                            // The peer reads too slowly: it is closed,
                            // what waited for it dropped.
                            self.metrics.evicted(LABEL);
                            if let Some(q) = s.ws.remove(&conn) {
                                q.close(true);
                            }
                            s.eio.handle_ws_close(now, conn);
                        }
                    }
                    WsTransmit::Close { conn } => {
                        if let Some(q) = s.ws.remove(&conn) {
                            q.close(false);
                        }
                    }
                }
            }
            if !busy {
                return;
            }
        }
    }

    /// `rtw serve`'s application ([`super`]'s table).
    fn application(self: &Arc<Self>, s: &mut State, now: Instant, event: SioEvent) {
        match event {
            SioEvent::ConnectRequest {
                socket,
                namespace,
                auth,
                ..
            } => {
                if namespace == "/" && s.sio.accept(socket).is_ok() {
                    s.auth.insert(socket, auth.unwrap_or(Value::Null));
                } else {
                    let _ = s.sio.refuse(socket, "refused", None);
                }
            }
            SioEvent::Ack {
                socket,
                ack_id,
                args,
            } => {
                if let Some(asked) = s.asks.remove(&(socket, ack_id)) {
                    let _ = s.sio.ack(socket, asked, args);
                }
            }
            SioEvent::Event {
                socket,
                namespace,
                name,
                args,
                ack_id,
            } => self.event(s, socket, &namespace, &name, args, ack_id),
            SioEvent::Disconnected { socket, .. } => {
                s.auth.remove(&socket);
                s.asks.retain(|&(asker, _), _| asker != socket);
                for task in s.subscriptions.remove(&socket).into_iter().flatten() {
                    task.abort();
                }
            }
            SioEvent::CloseEngine { engine } => {
                if let Some(&sid) = s.sids.get(&engine) {
                    s.eio.close(now, sid);
                }
            }
            _ => {}
        }
    }

    fn event(
        self: &Arc<Self>,
        s: &mut State,
        socket: SocketId,
        namespace: &str,
        name: &str,
        args: Args,
        ack_id: Option<u64>,
    ) {
        let text = |i: usize| {
            args.values
                .get(i)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let answer: Option<Vec<Value>> = match name {
            "echo" => {
                let _ = s.sio.emit(socket, "echo", args);
                return;
            }
            "echo-ack" => {
                if let Some(id) = ack_id {
                    let _ = s.sio.ack(socket, id, args);
                }
                return;
            }
            "auth" => Some(vec![s.auth.get(&socket).cloned().unwrap_or(Value::Null)]),
            "ask" => Some(match (text(0), ack_id) {
                (Some(question), Some(asked)) => {
                    let rest = Args {
                        values: args.values[1..].to_vec(),
                        attachments: args.attachments.clone(),
                    };
                    match s.sio.emit_with_ack(socket, &question, rest) {
                        Ok(id) => {
                            s.asks.insert((socket, id), asked);
                            return;
                        }
                        Err(e) => vec![json!({"error": e.to_string()})],
                    }
                }
                (None, _) => vec![json!({"error": "ask: an event name"})],
                (Some(_), None) => return,
            }),
            "subscribe" => Some(match text(0) {
                None => vec![json!({"error": "subscribe: a topic name"})],
                Some(topic) => {
                    let since = args
                        .values
                        .get(1)
                        .and_then(Value::as_u64)
                        .map_or(Since::Now, |n| Since::After(rtw_hub::MessageId(n)));
                    match self.hub.subscribe(&topic, since) {
                        Ok(sub) => {
                            let task = tokio::spawn(forward(Arc::downgrade(self), socket, sub));
                            s.subscriptions
                                .entry(socket)
                                .or_default()
                                .push(task.abort_handle());
                            vec![json!({ "topic": topic })]
                        }
                        Err(e) => vec![json!({"error": e.to_string()})],
                    }
                }
            }),
            "publish" => Some(match (text(0), args.values.get(1)) {
                (Some(topic), Some(data)) => {
                    let data = match data {
                        Value::String(s) => Bytes::from(s.clone()),
                        other => Bytes::from(other.to_string()),
                    };
                    // Not taken once the service drains: the subscribers'
                    // streams are ending, and it might reach none of them.
                    let Some(entered) = self.publishing.enter(&self.drain) else {
                        if let Some(id) = ack_id {
                            let refused = vec![json!({ "error": SHUTTING_DOWN })];
                            let _ = s.sio.ack(socket, id, Args::from(refused));
                        }
                        return;
                    };
                    let mut sent = Box::pin(holding(entered, self.hub.send(&topic, data)));
                    match futures_util::FutureExt::now_or_never(&mut sent) {
                        Some(outcome) => vec![publish_answer(outcome, &self.metrics)],
                        None => {
                            // Through the hub's backend: acknowledged once
                            // it confirmed the message.
                            let shared = Arc::downgrade(self);
                            let metrics = self.metrics.clone();
                            tokio::spawn(async move {
                                let answer = publish_answer(sent.await, &metrics);
                                if let (Some(id), Some(shared)) = (ack_id, shared.upgrade()) {
                                    shared.with(|s, _| {
                                        let _ = s.sio.ack(socket, id, Args::from(vec![answer]));
                                    });
                                }
                            });
                            return;
                        }
                    }
                }
                _ => vec![json!({"error": "publish: a topic name and data"})],
            }),
            "join" | "leave" => Some(match text(0) {
                Some(room) => {
                    let _ = if name == "join" {
                        s.sio.join(socket, &room)
                    } else {
                        s.sio.leave(socket, &room)
                    };
                    vec![]
                }
                None => vec![json!({"error": "a room name"})],
            }),
            "to-room" => Some(match text(0) {
                Some(room) => {
                    let rest = Args {
                        values: args.values[1..].to_vec(),
                        attachments: args.attachments.clone(),
                    };
                    let n = s
                        .sio
                        .broadcast(namespace, Some(&room), Some(socket), "to-room", rest)
                        .unwrap_or(0);
                    vec![json!(n)]
                }
                None => vec![json!({"error": "a room name"})],
            }),
            _ => Some(vec![json!({"error": "unknown event"})]),
        };
        if let (Some(id), Some(values)) = (ack_id, answer) {
            let _ = s.sio.ack(socket, id, Args::from(values));
        }
    }
}

/// The answer to `publish`: `{"id":N}` (counted as published) or
/// `{"error":".."}`.
fn publish_answer(
    outcome: Result<rtw_hub::MessageId, super::super::PublishError>,
    metrics: &ServeMetrics,
) -> Value {
    match outcome {
        Ok(id) => {
            metrics.published(LABEL);
            json!({"id": id.get()})
        }
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// A hub subscription of `socket`: each message emitted as `message`
/// `{"id":N,"data":".."}`; an eviction emits `evicted` `{"since":N}` and
/// ends it.
async fn forward(shared: Weak<Shared>, socket: SocketId, mut sub: super::super::HubSubscriber) {
    let (draining, publishing) = match shared.upgrade() {
        Some(shared) => (shared.drain.draining(), shared.publishing.clone()),
        None => return,
    };
    tokio::pin!(draining);
    loop {
        let delivery = tokio::select! {
            delivery = sub.next() => delivery,
            () = &mut draining => {
                // What the hub holds once every publish let in reached
                // it, then the task ends (the sessions close after).
                publishing.settled().await;
                while let Some(Delivery::Message(m)) = sub.try_next() {
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    emit_message(&shared, socket, &m);
                }
                return;
            }
        };
        let Some(shared) = shared.upgrade() else {
            return;
        };
        match delivery {
            Delivery::Message(m) => emit_message(&shared, socket, &m),
            Delivery::Evicted { last_delivered, .. } => {
                shared.metrics.evicted(LABEL);
                let value = json!({ "since": last_delivered.get() });
                shared.with(|s, _| {
                    let _ = s.sio.emit(socket, "evicted", Args::from(vec![value]));
                });
                return;
            }
        }
    }
}

/// Emits hub message `m` to `socket` as `message` `{"id":N,"data":".."}`.
fn emit_message(shared: &Arc<Shared>, socket: SocketId, m: &rtw_hub::Message) {
    let value = json!({
        "id": m.id.get(),
        "data": String::from_utf8_lossy(&m.data),
    });
    shared.with(|s, _| {
        let _ = s.sio.emit(socket, "message", Args::from(vec![value]));
    });
}

/// The timer task: sleeps until the earlier deadline of the two servers
/// (or a wake-up after a change), then runs their `handle_timeout`.
async fn timers(shared: Weak<Shared>, notify: Arc<Notify>) {
    loop {
        let deadline = {
            let Some(shared) = shared.upgrade() else {
                return;
            };
            let mut s = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            let deadline = s.next_deadline();
            s.armed = deadline;
            deadline
        };
        let Some(at) = deadline else {
            notify.notified().await;
            continue;
        };
        tokio::select! {
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                shared.with(|s, now| {
                    s.eio.handle_timeout(now);
                    s.sio.handle_timeout(now);
                });
            }
            () = notify.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ws_queue_is_bounded_and_closes_after_what_it_holds() {
        let q = WsQueue::default();
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = VecDeque::new();
        assert!(q.poll_take(&mut cx, &mut out).is_pending());
        // One message over the bound still goes alone; a second not.
        assert!(q.push(EioMessage::Text("a".repeat(12)), 10));
        assert!(!q.push(EioMessage::Text("b".into()), 10));
        assert_eq!(q.poll_take(&mut cx, &mut out), Poll::Ready(false));
        assert_eq!(out.len(), 1);
        out.clear();
        // Taken, the bound counts from zero again; all is taken at once.
        assert!(q.push(EioMessage::Text("c".repeat(6)), 10));
        assert!(q.push(EioMessage::Binary(Bytes::from_static(b"1234")), 10));
        assert!(!q.push(EioMessage::Text("d".into()), 10));
        q.close(false);
        assert_eq!(q.poll_take(&mut cx, &mut out), Poll::Ready(true));
        assert_eq!(out.len(), 2);
        // Closed, dropping what waits.
        let q = WsQueue::default();
        assert!(q.push(EioMessage::Text("e".into()), 10));
        q.close(true);
        out.clear();
        assert_eq!(q.poll_take(&mut cx, &mut out), Poll::Ready(true));
        assert!(out.is_empty());
    }
}
