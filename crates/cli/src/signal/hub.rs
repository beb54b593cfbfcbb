//! The task that owns the [`rtw_signal::Server`]: every WebSocket session
//! hands it what it reads, and it hands each session what to send.
//!
//! One task, one state: the sessions talk to it through a bounded channel
//! ([`Hub`]), and it answers each through that session's own bounded
//! outbox. It drives the server's one timer (grace periods, rate windows)
//! and a join deadline of its own: a connection that has not joined a
//! room within [`HubOptions::join_timeout`] is closed with 1008.
//!
//! A slow reader: what waits for a session is counted in bytes, for the
//! session ([`HubOptions::outbox_bytes`]) and for all of them together
//! ([`HubOptions::total_bytes`], one shared counter, as
//! docs/ARCHITECTURE.md §2.9 asks). A message that would pass either cap
//! cuts its session off: the hub drops the outbox, reports the connection
//! gone and wakes the session's writer ([`Queued::cut`]) even in the middle
//! of a write, and the session closes the WebSocket with 1008 ("too slow
//! reading"), giving the close frame [`CLOSE_LINGER`](super::session::CLOSE_LINGER) to go out
//! before it drops the connection. Nothing else waits for it; the others
//! go on.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rtw_signal::{ConnectionId, Server, ServerEvent};
use tokio::sync::{Notify, mpsc, oneshot};

/// What a session is told to do.
#[derive(Debug)]
pub(super) enum Outgoing {
    /// Send this JSON text.
    Text(Bytes),
    /// Close the WebSocket with this code and reason.
    Close(u16, &'static str),
}

impl Outgoing {
    /// The bytes it holds while it waits.
    fn len(&self) -> usize {
        match self {
            Outgoing::Text(text) => text.len(),
            Outgoing::Close(..) => 0,
        }
    }
}

/// Bytes waiting in one session's outbox, and in all of them.
#[derive(Debug, Clone)]
pub(super) struct Queued {
    session: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
    /// Notified when the hub cuts the session off as a slow reader, so
    /// that a write waiting for the peer is abandoned.
    pub(super) cut: Arc<Notify>,
}

impl Queued {
    /// `len` bytes left the outbox (sent, or dropped with the session).
    pub(super) fn release(&self, len: usize) {
        self.session.fetch_sub(len, Ordering::Relaxed);
        self.total.fetch_sub(len, Ordering::Relaxed);
    }

    /// Count `len` more bytes if both caps allow them.
    fn reserve(&self, len: usize, options: &HubOptions) -> bool {
        let session = self.session.load(Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        if session + len > options.outbox_bytes || total + len > options.total_bytes {
            return false;
        }
        self.session.fetch_add(len, Ordering::Relaxed);
        self.total.fetch_add(len, Ordering::Relaxed);
        true
    }
}

/// The receiving end of a session's outbox.
#[derive(Debug)]
pub(super) struct Outbox {
    /// What the hub queued.
    pub(super) receiver: mpsc::UnboundedReceiver<Outgoing>,
    /// The bytes of it, released as they go out.
    pub(super) queued: Queued,
}

/// The hub's end of a session's outbox.
#[derive(Debug)]
struct Mailbox {
    sender: mpsc::UnboundedSender<Outgoing>,
    queued: Queued,
}

/// What a session tells the hub.
#[derive(Debug)]
enum Command {
    Connect {
        mailbox: Mailbox,
        reply: oneshot::Sender<ConnectionId>,
    },
    Text(ConnectionId, Bytes),
    Disconnect(ConnectionId),
}

/// The hub's settings.
#[derive(Debug, Clone, Copy)]
pub(super) struct HubOptions {
    /// Bytes queued for one session before it counts as a slow reader.
    pub(super) outbox_bytes: usize,
    /// Bytes queued for all sessions together; the session whose message
    /// would pass it is cut off.
    pub(super) total_bytes: usize,
    /// Time a connection has to join a room.
    pub(super) join_timeout: Duration,
    /// Report joins, leaves and closes on stderr.
    pub(super) verbose: bool,
}

/// A handle on the hub task: clone it into each session.
#[derive(Debug, Clone)]
pub(super) struct Hub {
    commands: mpsc::Sender<Command>,
    total: Arc<AtomicUsize>,
}

/// Commands queued for the hub before sessions wait to hand it more.
const COMMAND_QUEUE: usize = 4096;

impl Hub {
    /// Spawn the task that owns `server`.
    pub(super) fn spawn(server: Server, options: HubOptions) -> Self {
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        tokio::spawn(run(server, receiver, options));
        Hub {
            commands,
            total: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Register a new session: its id and the outbox it sends from.
    /// `None` once the hub has stopped.
    pub(super) async fn connect(&self) -> Option<(ConnectionId, Outbox)> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let queued = Queued {
            session: Arc::new(AtomicUsize::new(0)),
            total: Arc::clone(&self.total),
            cut: Arc::new(Notify::new()),
        };
        let mailbox = Mailbox {
            sender,
            queued: queued.clone(),
        };
        let (reply, id) = oneshot::channel();
        self.commands
            .send(Command::Connect { mailbox, reply })
            .await
            .ok()?;
        Some((id.await.ok()?, Outbox { receiver, queued }))
    }

    /// A text message the session read.
    pub(super) async fn text(&self, id: ConnectionId, text: Bytes) {
        let _ = self.commands.send(Command::Text(id, text)).await;
    }

    /// The session ended.
    pub(super) async fn disconnect(&self, id: ConnectionId) {
        let _ = self.commands.send(Command::Disconnect(id)).await;
    }
}

/// The hub's state beside the server.
struct State {
    server: Server,
    outboxes: HashMap<ConnectionId, Mailbox>,
    /// Connections not yet in a room, with their deadline.
    joining: HashMap<ConnectionId, Instant>,
    options: HubOptions,
}

async fn run(server: Server, mut commands: mpsc::Receiver<Command>, options: HubOptions) {
    let mut state = State {
        server,
        outboxes: HashMap::new(),
        joining: HashMap::new(),
        options,
    };
    loop {
        let deadline = state.next_deadline();
        let command = match deadline {
            Some(at) => {
                tokio::select! {
                    command = commands.recv() => command,
                    () = tokio::time::sleep_until(at.into()) => {
                        state.handle_timeout(Instant::now());
                        continue;
                    }
                }
            }
            None => commands.recv().await,
        };
        let Some(command) = command else { return };
        state.handle(Instant::now(), command);
    }
}

impl State {
    /// The server's next timer or the first join deadline.
    fn next_deadline(&self) -> Option<Instant> {
        let join = self.joining.values().min().copied();
        match (self.server.poll_timeout(), join) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle(&mut self, now: Instant, command: Command) {
        match command {
            Command::Connect { mailbox, reply } => {
                let id = self.server.handle_connect(now);
                self.outboxes.insert(id, mailbox);
                self.joining.insert(id, now + self.options.join_timeout);
                if reply.send(id).is_err() {
                    self.disconnect(now, id);
                }
            }
            Command::Text(id, text) => {
                if self.outboxes.contains_key(&id) {
                    self.server.handle_wall_clock(unix_now());
                    // The session sends only what rtw-ws checked as UTF-8.
                    let text = std::str::from_utf8(&text).unwrap_or_default();
                    self.server.handle_text(now, id, text);
                }
            }
            Command::Disconnect(id) => self.disconnect(now, id),
        }
        self.drain(now);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.server.handle_timeout(now);
        let late: Vec<ConnectionId> = self
            .joining
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            self.joining.remove(&id);
            if let Some(mailbox) = self.outboxes.remove(&id) {
                let _ = mailbox
                    .sender
                    .send(Outgoing::Close(1008, "no join in time"));
            }
            self.server.handle_disconnect(now, id);
        }
        self.drain(now);
    }

    /// Forget a session and tell the server.
    fn disconnect(&mut self, now: Instant, id: ConnectionId) {
        self.joining.remove(&id);
        if self.outboxes.remove(&id).is_some() {
            self.server.handle_disconnect(now, id);
        }
    }

    /// Hand out everything the server has to send, and act on its events.
    fn drain(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(transmit) = self.server.poll_transmit() {
                progressed = true;
                self.deliver(now, transmit.connection, Outgoing::Text(transmit.text));
            }
            while let Some(event) = self.server.poll_event() {
                progressed = true;
                self.on_event(now, event);
            }
            if !progressed {
                return;
            }
        }
    }

    fn on_event(&mut self, now: Instant, event: ServerEvent) {
        match event {
            ServerEvent::Joined {
                connection,
                room,
                peer,
                resumed,
            } => {
                self.joining.remove(&connection);
                if self.options.verbose {
                    let how = if resumed { "resumed" } else { "joined" };
                    eprintln!("{room}: {peer} {how}");
                }
            }
            ServerEvent::Left { room, peer, reason } => {
                if self.options.verbose {
                    eprintln!("{room}: {peer} left ({reason:?})");
                }
            }
            ServerEvent::Close {
                connection,
                code,
                reason,
            } => {
                if self.options.verbose {
                    eprintln!("closing connection {connection:?}: {code} {reason}");
                }
                self.deliver(now, connection, Outgoing::Close(code, reason));
                self.disconnect(now, connection);
            }
            other => {
                if self.options.verbose {
                    eprintln!("{other:?}");
                }
            }
        }
    }

    /// Queue `outgoing` for a session; a session whose outbox (or all
    /// outboxes together) would pass its cap is a slow reader and is cut
    /// off.
    fn deliver(&mut self, now: Instant, id: ConnectionId, outgoing: Outgoing) {
        let Some(mailbox) = self.outboxes.get(&id) else {
            return;
        };
        let len = outgoing.len();
        if !mailbox.queued.reserve(len, &self.options) {
            if self.options.verbose {
                eprintln!("connection {id:?}: outbox full, cut off as a slow reader");
            }
            mailbox.queued.cut.notify_one();
            self.disconnect(now, id);
            return;
        }
        if mailbox.sender.send(outgoing).is_err() {
            // The session has ended; its disconnect is on its way.
            mailbox.queued.release(len);
        }
    }
}

/// Seconds since the Unix epoch, for TURN REST credential expiry.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
