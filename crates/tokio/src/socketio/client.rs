//! The [`Client`] handle: commands to its task, events from it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rtw_engineio::{ClientConfig, ClientTransport};
use rtw_socketio::{Args, Client as SioClient, Limits, RESERVED_EVENTS};
use tokio::sync::{Mutex, mpsc, oneshot};

use super::driver::{Command, Driver, Status};
use super::transport::Endpoint;
use super::{ClientEvent, ClientOptions, Error, Transport};

/// A Socket.IO client connected to one namespace of a server; see the
/// [module documentation](super). Dropping it closes the session.
#[derive(Debug)]
pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    events: Mutex<mpsc::UnboundedReceiver<ClientEvent>>,
    status: Arc<Status>,
    engine_sid: String,
    sid: String,
    namespace: String,
}

impl Client {
    /// Opens a session with the server at `url` (`http://HOST:PORT[/PATH]`,
    /// the path `/socket.io/` by default) and connects to
    /// `options.namespace` with `options.auth`. Fails with
    /// [`Error::Refused`] when the server answers CONNECT_ERROR, with
    /// [`Error::Timeout`] after `options.connect_timeout`, with
    /// [`Error::Closed`] when the session could not be opened.
    ///
    /// Must run within a tokio runtime (the session's task is spawned).
    pub async fn connect(url: &str, options: ClientOptions) -> Result<Client, Error> {
        let endpoint = Endpoint::parse(url)?;
        let config = match options.transport {
            Transport::Polling => ClientConfig::default().upgrade(false),
            Transport::WebSocket => ClientConfig::default().transport(ClientTransport::WebSocket),
            Transport::Upgrade => ClientConfig::default(),
        };
        let mut sio = SioClient::new(Limits::default());
        // Queued until the Engine.IO handshake is done.
        sio.connect(&options.namespace, options.auth.clone())?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (ready_tx, ready) = oneshot::channel();
        let status = Arc::new(Status::default());
        let driver = Driver {
            endpoint,
            namespace: options.namespace.clone(),
            websocket_only: options.transport == Transport::WebSocket,
            eio: rtw_engineio::Client::new(config),
            sio,
            events: events_tx,
            status: status.clone(),
            ready: Some(ready_tx),
        };
        tokio::spawn(driver.run(commands_rx));
        let (engine_sid, sid) = match tokio::time::timeout(options.connect_timeout, ready).await {
            Ok(Ok(ready)) => ready?,
            Ok(Err(_)) => return Err(Error::Closed("the session's task ended".into())),
            // Dropping `commands` ends the task.
            Err(_) => return Err(Error::Timeout("no CONNECT answer")),
        };
        Ok(Client {
            commands,
            events: Mutex::new(events),
            status,
            engine_sid,
            sid,
            namespace: options.namespace,
        })
    }

    /// The socket's id on the namespace (the CONNECT answer's `sid`).
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The Engine.IO session's id (the open packet's `sid`).
    pub fn engine_sid(&self) -> &str {
        &self.engine_sid
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `true` while the session runs on WebSocket (from the start, or
    /// once upgraded).
    pub fn is_websocket(&self) -> bool {
        self.status.websocket.load(Ordering::Relaxed)
    }

    /// Why the session ended, once it has.
    pub fn ended(&self) -> Option<String> {
        self.status.ended()
    }

    /// Emits the event `name` with `args`.
    pub fn emit(&self, name: &str, args: Args) -> Result<(), Error> {
        self.command(name, |name| Command::Emit {
            name,
            args,
            ack: None,
        })
    }

    /// Emits the event `name` with `args` asking for an acknowledgement,
    /// and waits at most `timeout` for it: the server's answer.
    pub async fn call(&self, name: &str, args: Args, timeout: Duration) -> Result<Args, Error> {
        let (tx, rx) = oneshot::channel();
        self.command(name, |name| Command::Emit {
            name,
            args,
            ack: Some(tx),
        })?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(args)) => Ok(args),
            Ok(Err(_)) => Err(self.closed()),
            Err(_) => Err(Error::Timeout("no acknowledgement")),
        }
    }

    /// Answers the server's event that came with `ack_id`.
    pub fn ack(&self, ack_id: u64, args: Args) -> Result<(), Error> {
        self.commands
            .send(Command::Ack { id: ack_id, args })
            .map_err(|_| self.closed())
    }

    /// The server's next event; [`ClientEvent::Disconnected`] once the
    /// session ended, then `None`.
    pub async fn next_event(&self) -> Option<ClientEvent> {
        self.events.lock().await.recv().await
    }

    /// Leaves the namespace and closes the session (a DISCONNECT, the
    /// Engine.IO close packet, the WebSocket's closing handshake), waiting
    /// at most 10 s for them to be written.
    pub async fn close(&self) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::Close { done }).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(12), wait).await;
        }
    }

    fn command(&self, name: &str, make: impl FnOnce(String) -> Command) -> Result<(), Error> {
        if RESERVED_EVENTS.contains(&name) {
            return Err(Error::Protocol(rtw_socketio::Error::ReservedEvent));
        }
        if let Some(reason) = self.status.ended() {
            return Err(Error::Closed(reason));
        }
        self.commands
            .send(make(name.to_owned()))
            .map_err(|_| self.closed())
    }

    fn closed(&self) -> Error {
        Error::Closed(
            self.status
                .ended()
                .unwrap_or_else(|| "the session ended".into()),
        )
    }
}
