//! A Socket.IO v5 client over real sockets: rtw's sans-IO
//! [`rtw_engineio::Client`] and [`rtw_socketio::Client`] driven by a tokio
//! task, HTTP long polling through hyper's HTTP/1.1 client and WebSocket
//! through [`crate::ws`].
//!
//! [`Client::connect`] opens an Engine.IO session on the transport of
//! [`ClientOptions::transport`] (polling upgraded to WebSocket by
//! default, polling only, or WebSocket only), connects to one namespace
//! with an optional `auth` object, and returns once the server accepted
//! it (or refused it: [`Error::Refused`]). From then on a task of its own
//! answers the server's pings, watches the heartbeat
//! (`pingInterval` + `pingTimeout`), runs the upgrade (`2probe`,
//! `3probe`, `5`), and moves events both ways:
//!
//! - [`Client::emit`] sends an event; [`Client::call`] sends one asking
//!   for an acknowledgement and waits for it;
//! - [`Client::next_event`] gives the server's events, in order; an event
//!   with an `ack_id` waits for [`Client::ack`];
//! - [`Client::close`] leaves the namespace and ends the session.
//!
//! Every method takes `&self`, so that an acknowledgement both ways can
//! be written as two futures joined: a [`Client::call`] whose server asks
//! a question back before it answers, and a [`Client::next_event`] that
//! answers that question.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rtw_tokio::socketio::Error> {
//! use std::time::Duration;
//! use rtw_tokio::socketio::{Args, Client, ClientEvent, ClientOptions};
//! use serde_json::json;
//!
//! let client = Client::connect("http://127.0.0.1:8080", ClientOptions::default()).await?;
//! client.emit("echo", Args::from(vec![json!("hello")]))?;
//! if let Some(ClientEvent::Event { name, args, .. }) = client.next_event().await {
//!     println!("{name} {:?}", args.values);
//! }
//! let answer = client.call("echo-ack", Args::new().arg(json!(1)), Duration::from_secs(5)).await?;
//! assert_eq!(answer.values, vec![json!(1)]);
//! client.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! URLs are `http://HOST:PORT[/PATH]` (or `ws://`, the same server); the
//! path defaults to `/socket.io/`. TLS is not supported.

mod client;
mod driver;
mod transport;

pub use client::Client;
pub use rtw_socketio::Args;

use std::time::Duration;

use serde_json::Value;

/// The transports a [`Client`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// HTTP long polling only.
    Polling,
    /// WebSocket only, from the handshake on.
    WebSocket,
    /// HTTP long polling, upgraded to WebSocket when the server offers it
    /// (what socket.io-client does by default).
    #[default]
    Upgrade,
}

/// How [`Client::connect`] connects.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    /// The transports (polling upgraded to WebSocket).
    pub transport: Transport,
    /// The `auth` object of the CONNECT packet (none).
    pub auth: Option<Value>,
    /// The namespace, starting with `/` (`/`).
    pub namespace: String,
    /// How long [`Client::connect`] waits for the session and the
    /// namespace's answer (10 s).
    pub connect_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            transport: Transport::default(),
            auth: None,
            namespace: "/".into(),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl ClientOptions {
    /// Sets `transport`.
    #[must_use]
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets `auth`, an object sent in the CONNECT packet.
    #[must_use]
    pub fn auth(mut self, auth: Value) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Sets `namespace`.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Sets `connect_timeout`.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
}

/// What the server did, from [`Client::next_event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// An event on the client's namespace. With `ack_id`, the server waits
    /// for [`Client::ack`] with it.
    Event {
        /// The event name.
        name: String,
        /// Its arguments, binary attachments included.
        args: Args,
        /// The acknowledgement id the server asked for.
        ack_id: Option<u64>,
    },
    /// The namespace was left and the session ended (the last event).
    Disconnected {
        /// Why, in words (`server disconnect`, `transport close`, `ping
        /// timeout`, ...).
        reason: String,
    },
}

/// Why a [`Client`] call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not `http://HOST:PORT[/PATH]` or `ws://...`.
    #[error("bad URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server refused the namespace with CONNECT_ERROR.
    #[error("the server refused the namespace: {}", message.as_deref().unwrap_or("(no message)"))]
    Refused {
        /// The CONNECT_ERROR's `message`.
        message: Option<String>,
        /// Its `data`, if any.
        data: Option<Value>,
    },
    /// Nothing came in time.
    #[error("timed out: {0}")]
    Timeout(&'static str),
    /// The session ended (or never opened), with why.
    #[error("the session ended: {0}")]
    Closed(String),
    /// A call the Socket.IO client refused (a reserved event name, a bad
    /// namespace or auth).
    #[error(transparent)]
    Protocol(#[from] rtw_socketio::Error),
}
