//! The task that owns the [`rtw_signal::Server`]: every WebSocket session
//! hands it what it reads, and it hands each session what to send.
//!
//! One task, one state: the sessions talk to it through a bounded channel
//! ([`Hub`]), and it answers each through that session's own bounded
//! outbox. It drives the server's one timer (grace periods, rate windows)
//! and a join deadline of its own: a connection that has not joined a
//! room within [`HubOptions::join_timeout`] is closed with 1008.
//!
//! A slow reader: a session whose outbox is full (it has not written
//! [`HubOptions::outbox`] messages out yet) is cut off: the hub drops its
//! outbox and reports it disconnected, and the session closes the
//! WebSocket with 1008 ("too slow"). Nothing else waits for it.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rtw_signal::{ConnectionId, Server, ServerEvent};
use tokio::sync::{mpsc, oneshot};

/// What a session is told to do.
#[derive(Debug)]
pub(super) enum Outgoing {
    /// Send this JSON text.
    Text(Bytes),
    /// Close the WebSocket with this code and reason.
    Close(u16, &'static str),
}

/// What a session tells the hub.
#[derive(Debug)]
enum Command {
    Connect {
        outbox: mpsc::Sender<Outgoing>,
        reply: oneshot::Sender<ConnectionId>,
    },
    Text(ConnectionId, Bytes),
    Disconnect(ConnectionId),
}

/// The hub's settings.
#[derive(Debug, Clone, Copy)]
pub(super) struct HubOptions {
    /// Messages queued for one session before it counts as a slow reader.
    pub(super) outbox: usize,
    /// Time a connection has to join a room.
    pub(super) join_timeout: Duration,
    /// Report joins, leaves and closes on stderr.
    pub(super) verbose: bool,
}

/// A handle on the hub task: clone it into each session.
#[derive(Debug, Clone)]
pub(super) struct Hub {
    commands: mpsc::Sender<Command>,
    outbox: usize,
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
            outbox: options.outbox,
        }
    }

    /// Register a new session: its id and the outbox it sends from.
    /// `None` once the hub has stopped.
    pub(super) async fn connect(&self) -> Option<(ConnectionId, mpsc::Receiver<Outgoing>)> {
        let (outbox, receiver) = mpsc::channel(self.outbox);
        let (reply, id) = oneshot::channel();
        self.commands
            .send(Command::Connect { outbox, reply })
            .await
            .ok()?;
        Some((id.await.ok()?, receiver))
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
    outboxes: HashMap<ConnectionId, mpsc::Sender<Outgoing>>,
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
            Command::Connect { outbox, reply } => {
                let id = self.server.handle_connect(now);
                self.outboxes.insert(id, outbox);
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
            if let Some(outbox) = self.outboxes.remove(&id) {
                let _ = outbox.try_send(Outgoing::Close(1008, "no join in time"));
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

    /// Queue `outgoing` for a session; a session whose outbox is full is a
    /// slow reader and is cut off.
    fn deliver(&mut self, now: Instant, id: ConnectionId, outgoing: Outgoing) {
        let Some(outbox) = self.outboxes.get(&id) else {
            return;
        };
        if outbox.try_send(outgoing).is_err() {
            if self.options.verbose {
                eprintln!("connection {id:?}: outbox full, cut off as a slow reader");
            }
            self.disconnect(now, id);
        }
    }
}

/// Seconds since the Unix epoch, for TURN REST credential expiry.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
