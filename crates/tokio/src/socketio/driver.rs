//! The task under a [`Client`](super::Client): it owns the sans-IO
//! Engine.IO and Socket.IO clients and moves their bytes over HTTP
//! requests and a WebSocket, runs the Engine.IO timer, and turns commands
//! from the [`Client`](super::Client) into packets and packets into
//! events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rtw_engineio::{
    Client as EioClient, ClientEvent as EioEvent, CloseReason, Data, Message as EioMessage, Method,
    Packet,
};
use rtw_socketio::{Args, Client as SioClient, ClientEvent as SioEvent, EngineMessage};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::transport::Endpoint;
use super::{ClientEvent, Error};
use crate::ws::{Message, WsWriter};

/// How long a WebSocket handshake, a POST or the last writes may take.
const IO_WAIT: Duration = Duration::from_secs(10);

/// What a [`Client`](super::Client) asks of its task.
#[derive(Debug)]
pub(super) enum Command {
    /// EVENT (with an ack id when `ack` is given).
    Emit {
        name: String,
        args: Args,
        ack: Option<oneshot::Sender<Args>>,
    },
    /// ACK of the server's event.
    Ack { id: u64, args: Args },
    /// DISCONNECT and the Engine.IO close; `done` once written.
    Close { done: oneshot::Sender<()> },
}

/// What the task and its [`Client`](super::Client) share.
#[derive(Debug, Default)]
pub(super) struct Status {
    pub(super) websocket: AtomicBool,
    /// Why the session ended, once it has.
    pub(super) ended: Mutex<Option<String>>,
}

impl Status {
    pub(super) fn ended(&self) -> Option<String> {
        self.ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The ids the server gave: the Engine.IO session's and the socket's.
pub(super) type Ready = Result<(String, String), Error>;

pub(super) struct Driver {
    pub(super) endpoint: Endpoint,
    pub(super) namespace: String,
    /// WebSocket only: a failed WebSocket ends the session.
    pub(super) websocket_only: bool,
    pub(super) eio: EioClient,
    pub(super) sio: SioClient,
    pub(super) events: mpsc::UnboundedSender<ClientEvent>,
    pub(super) status: Arc<Status>,
    pub(super) ready: Option<oneshot::Sender<Ready>>,
}

/// An HTTP request's method and its answer (status, body) or why none.
type Answer = (Method, Result<(u16, Bytes), String>);

/// The I/O state of a running [`Driver`].
struct Io {
    http_tx: mpsc::UnboundedSender<Answer>,
    http_rx: mpsc::UnboundedReceiver<Answer>,
    ws_writer: Option<WsWriter<TcpStream>>,
    /// WebSocket messages in; `None` when it closed.
    ws_tx: mpsc::UnboundedSender<Option<EioMessage>>,
    ws_rx: mpsc::UnboundedReceiver<Option<EioMessage>>,
    acks: HashMap<u64, oneshot::Sender<Args>>,
    /// POSTs spawned and not answered yet.
    posts_out: usize,
    /// Why the session ends, once known.
    reason: Option<String>,
    /// The Engine.IO session ended.
    ended: bool,
}

impl Driver {
    /// Runs until the session ends or the client is dropped.
    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let (http_tx, http_rx) = mpsc::unbounded_channel();
        let (ws_tx, ws_rx) = mpsc::unbounded_channel();
        let mut io = Io {
            http_tx,
            http_rx,
            ws_writer: None,
            ws_tx,
            ws_rx,
            acks: HashMap::new(),
            posts_out: 0,
            reason: None,
            ended: false,
        };
        let mut closing: Option<oneshot::Sender<()>> = None;
        while !io.ended {
            self.flush(&mut io).await;
            if io.ended {
                break;
            }
            let at = self
                .eio
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Emit { name, args, ack }) => {
                        match ack {
                            Some(tx) => {
                                if let Ok(id) = self.sio.emit_with_ack(&self.namespace, &name, args) {
                                    io.acks.insert(id, tx);
                                }
                            }
                            None => {
                                let _ = self.sio.emit(&self.namespace, &name, args);
                            }
                        }
                    }
                    Some(Command::Ack { id, args }) => {
                        let _ = self.sio.ack(&self.namespace, id, args);
                    }
                    Some(Command::Close { done }) => {
                        closing = Some(done);
                        self.close(&mut io, "client close").await;
                    }
                    None => self.close(&mut io, "client dropped").await,
                },
                Some((method, answer)) = io.http_rx.recv() => {
                    if method == Method::Post {
                        io.posts_out = io.posts_out.saturating_sub(1);
                    }
                    match answer {
                    Ok((status, body)) => {
                        if status != 200 {
                            io.reason.get_or_insert_with(|| {
                                let body = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
                                format!("the server answered a polling {method:?} with HTTP {status} {body}")
                            });
                        }
                        self.eio.handle_response(Instant::now(), method, status, &body);
                    }
                    Err(_) => self.eio.handle_request_failed(Instant::now(), method),
                    }
                },
                Some(message) = io.ws_rx.recv() => match message {
                    Some(m) => self.eio.handle_ws_message(Instant::now(), m),
                    None => {
                        io.ws_writer = None;
                        self.eio.handle_ws_close(Instant::now());
                    }
                },
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(at)) => {
                    self.eio.handle_timeout(Instant::now());
                }
            }
        }
        if closing.is_none() {
            // Ended by the server, an error or a refusal: the close packet
            // the Engine.IO client queued, if any, still goes.
            self.finish(&mut io).await;
        }
        let reason = io.reason.take().unwrap_or_else(|| "session ended".into());
        *self
            .status
            .ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(reason.clone());
        self.status.websocket.store(false, Ordering::Relaxed);
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Err(Error::Closed(reason.clone())));
        }
        let _ = self.events.send(ClientEvent::Disconnected { reason });
        if let Some(done) = closing {
            let _ = done.send(());
        }
    }

    /// DISCONNECT, then the Engine.IO close packet written (a last POST
    /// once the POST out is answered, or WebSocket messages and the
    /// closing handshake), within [`IO_WAIT`].
    async fn close(&mut self, io: &mut Io, reason: &str) {
        io.reason.get_or_insert_with(|| reason.to_owned());
        let _ = self.sio.disconnect(&self.namespace);
        self.socket_to_engine();
        self.eio.close();
        self.finish(io).await;
    }

    /// Writes what the closed Engine.IO client still has (a last POST once
    /// the POST out is answered, or WebSocket messages and the closing
    /// handshake), within [`IO_WAIT`].
    async fn finish(&mut self, io: &mut Io) {
        let _ = tokio::time::timeout(IO_WAIT, async {
            loop {
                while let Some(request) = self.eio.poll_request() {
                    let answer = self
                        .endpoint
                        .http("POST", &request.query, request.body, IO_WAIT)
                        .await;
                    let (status, body) = answer.unwrap_or_default();
                    self.eio
                        .handle_response(Instant::now(), Method::Post, status, &body);
                }
                if io.posts_out == 0 {
                    break;
                }
                // The POST out, answered, lets the last one go.
                match io.http_rx.recv().await {
                    Some((method, answer)) => {
                        if method == Method::Post {
                            io.posts_out -= 1;
                        }
                        let (status, body) = answer.unwrap_or_default();
                        self.eio
                            .handle_response(Instant::now(), method, status, &body);
                    }
                    None => break,
                }
            }
            if let Some(writer) = io.ws_writer.as_mut() {
                while let Some(m) = self.eio.poll_ws_transmit() {
                    if writer.send(to_ws(m)).await.is_err() {
                        break;
                    }
                }
                let _ = writer.close().await;
            }
        })
        .await;
        io.ws_writer = None;
        io.ended = true;
    }

    /// Socket.IO's messages into the Engine.IO session.
    fn socket_to_engine(&mut self) -> bool {
        let mut moved = false;
        while let Some(m) = self.sio.poll_transmit() {
            moved = true;
            let packet = match m {
                EngineMessage::Text(t) => Packet::message(t),
                EngineMessage::Binary(b) => Packet::binary(b),
            };
            // Fails only once the session is closed.
            let _ = self.eio.send(packet);
        }
        moved
    }

    /// Moves everything that can move without waiting for the network.
    async fn flush(&mut self, io: &mut Io) {
        loop {
            let mut busy = self.socket_to_engine();
            while let Some(event) = self.eio.poll_event() {
                busy = true;
                self.on_engine_event(io, event);
            }
            while let Some(event) = self.sio.poll_event() {
                busy = true;
                self.on_socket_event(io, event);
            }
            if io.ended {
                return;
            }
            if let Some(query) = self.eio.ws_query() {
                busy = true;
                self.open_ws(io, &query).await;
            }
            while let Some(m) = self.eio.poll_ws_transmit() {
                busy = true;
                let sent = match io.ws_writer.as_mut() {
                    Some(writer) => writer.send(to_ws(m)).await.is_ok(),
                    None => false,
                };
                if !sent {
                    io.ws_writer = None;
                    self.eio.handle_ws_close(Instant::now());
                }
            }
            while let Some(request) = self.eio.poll_request() {
                busy = true;
                // A long poll is held until the server has something, at
                // most a ping interval; a ping timeout more is allowed.
                let within = self.eio.handshake().map_or(IO_WAIT, |h| {
                    Duration::from_millis(h.ping_interval.saturating_add(h.ping_timeout)) + IO_WAIT
                });
                if request.method == Method::Post {
                    io.posts_out += 1;
                }
                let (endpoint, tx) = (self.endpoint.clone(), io.http_tx.clone());
                tokio::spawn(async move {
                    let name = if request.method == Method::Post {
                        "POST"
                    } else {
                        "GET"
                    };
                    let answer = endpoint
                        .http(name, &request.query, request.body, within)
                        .await;
                    let _ = tx.send((request.method, answer));
                });
            }
            self.status
                .websocket
                .store(self.eio.is_websocket(), Ordering::Relaxed);
            if !busy {
                return;
            }
        }
    }

    async fn open_ws(&mut self, io: &mut Io, query: &str) {
        let url = self.endpoint.ws_url(query);
        let ws = match tokio::time::timeout(IO_WAIT, crate::ws::connect(&url)).await {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return self.ws_failed(io, e.to_string()),
            Err(_) => return self.ws_failed(io, "the WebSocket handshake timed out".into()),
        };
        let (mut reader, writer) = ws.split();
        io.ws_writer = Some(writer);
        let tx = io.ws_tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(m)) = reader.next().await {
                let m = match m {
                    Message::Text(t) => EioMessage::Text(t.as_str().to_owned()),
                    Message::Binary(b) => EioMessage::Binary(b),
                    _ => continue,
                };
                if tx.send(Some(m)).is_err() {
                    return;
                }
            }
            let _ = tx.send(None);
        });
        self.eio.handle_ws_open(Instant::now());
    }

    fn ws_failed(&mut self, io: &mut Io, why: String) {
        if self.websocket_only {
            io.reason
                .get_or_insert_with(|| format!("WebSocket failed: {why}"));
            io.ended = true;
        } else {
            // The upgrade is given up; the session stays on polling.
            self.eio.handle_ws_close(Instant::now());
        }
    }

    fn on_engine_event(&mut self, io: &mut Io, event: EioEvent) {
        match event {
            EioEvent::Message(data) => {
                let m = match data {
                    Data::Text(t) => EngineMessage::Text(t),
                    Data::Binary(b) => EngineMessage::Binary(b),
                };
                if let Err(e) = self.sio.handle_message(m) {
                    io.reason
                        .get_or_insert_with(|| format!("the server broke Socket.IO: {e}"));
                    self.eio.close();
                }
            }
            EioEvent::Closed(reason) => {
                io.reason.get_or_insert_with(|| describe(&reason));
                io.ended = true;
                self.sio.handle_close();
            }
            _ => {}
        }
    }

    fn on_socket_event(&mut self, io: &mut Io, event: SioEvent) {
        match event {
            SioEvent::Connected { sid, .. } => {
                let engine = self
                    .eio
                    .handshake()
                    .map(|h| h.sid.to_string())
                    .unwrap_or_default();
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Ok((engine, sid)));
                }
            }
            SioEvent::ConnectError { message, data, .. } => {
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Err(Error::Refused { message, data }));
                }
                io.reason.get_or_insert_with(|| "refused".into());
                self.eio.close();
            }
            SioEvent::Event {
                name, args, ack_id, ..
            } => {
                let _ = self.events.send(ClientEvent::Event { name, args, ack_id });
            }
            SioEvent::Ack { ack_id, args, .. } => {
                if let Some(tx) = io.acks.remove(&ack_id) {
                    let _ = tx.send(args);
                }
            }
            SioEvent::Disconnected { reason, .. } => {
                io.reason.get_or_insert_with(|| format!("{reason:?}"));
                self.eio.close();
            }
            _ => {}
        }
    }
}

fn to_ws(m: EioMessage) -> Message {
    match m {
        EioMessage::Text(t) => Message::text(t),
        EioMessage::Binary(b) => Message::binary(b),
    }
}

fn describe(reason: &CloseReason) -> String {
    match reason {
        CloseReason::ServerClose => "the server closed the session".into(),
        CloseReason::ClientClose => "client close".into(),
        CloseReason::PingTimeout => "ping timeout".into(),
        CloseReason::TransportClose => "transport close".into(),
        CloseReason::TransportError(e) => format!("transport error: {e}"),
        other => format!("{other:?}"),
    }
}
