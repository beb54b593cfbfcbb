//! Sans-IO WebRTC signaling: rooms of peers that find each other and
//! exchange offers, answers and ICE candidates (JSEP, RFC 9429) as JSON
//! text messages, typically over a WebSocket.
//!
//! A [`Server`] holds every room of one service. It opens no socket,
//! reads no clock and draws no randomness of its own
//! (`docs/ARCHITECTURE.md`): the driver (`rtw signal serve`) feeds it each
//! connection's text with `now`, sends what [`Server::poll_transmit`]
//! gives, and calls [`Server::handle_timeout`] at
//! [`Server::poll_timeout`].
//!
//! Two peers join a room and one sends the other an offer, in memory:
//!
//! ```
//! use std::time::Instant;
//! use rtw_signal::{Config, SeededRandom, Server, ServerEvent};
//!
//! let now = Instant::now();
//! let mut server = Server::new(Config::default(), Box::new(SeededRandom::new(7)));
//! let alice = server.handle_connect(now);
//! let bob = server.handle_connect(now);
//! server.handle_text(now, alice, r#"{"type":"join","room":"demo","peer":"alice"}"#);
//! server.handle_text(now, bob, r#"{"type":"join","room":"demo","peer":"bob"}"#);
//! server.handle_text(now, bob, r#"{"type":"offer","to":"alice","sdp":"v=0\r\n"}"#);
//!
//! let mut to_alice = Vec::new();
//! while let Some(transmit) = server.poll_transmit() {
//!     if transmit.connection == alice {
//!         to_alice.push(String::from_utf8(transmit.text.to_vec()).unwrap());
//!     }
//! }
//! assert!(to_alice[0].starts_with(r#"{"type":"joined","room":"demo","peer":"alice","peers":[]"#));
//! assert_eq!(to_alice[1], r#"{"type":"peer-joined","peer":"bob"}"#);
//! assert_eq!(to_alice[2], r#"{"from":"bob","type":"offer","to":"alice","sdp":"v=0\r\n"}"#);
//! assert!(matches!(server.poll_event(), Some(ServerEvent::Joined { resumed: false, .. })));
//! ```
//!
//! # Wire protocol
//!
//! Every message, both ways, is one JSON object (RFC 8259) with a string
//! `"type"`, sent as one WebSocket text message (RFC 6455 §5.6). Room and
//! peer ids are 1 to 64 characters of RFC 3986 §2.3's unreserved set
//! `[A-Za-z0-9._~-]`. Fields the server does not read are passed through.
//!
//! ## Client to server
//!
//! | message | meaning |
//! |---|---|
//! | `{"type":"join","room":R,"peer":P}` | join room `R` as peer `P`; must come first. Optional `"resume":TOKEN` takes back a peer whose connection dropped less than the grace period ago |
//! | `{"type":"offer","to":P,"sdp":S}` | an SDP offer (RFC 9429 §5.2), `S` a string |
//! | `{"type":"answer","to":P,"sdp":S}` | an SDP answer (RFC 9429 §5.3) |
//! | `{"type":"candidate","to":P,"candidate":C}` | a trickled candidate (RFC 8838 §11), `C` an `RTCIceCandidateInit` object (`{"candidate":"candidate:...","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":...}`) passed through unchanged |
//! | `{"type":"end-of-candidates","to":P}` | no more candidates (RFC 8838 §13); optional `"sdpMid"`, passed through |
//! | `{"type":"bye","to":P}` | the application ends its session with `P` |
//! | `{"type":"data","to":P,"data":ANY}` | free-form application data |
//! | `{"type":"leave"}` | leave the room now; the connection stays open and may `join` again |
//!
//! `"to"` may be left out on `offer`, `answer`, `candidate`,
//! `end-of-candidates`, `bye` and `data`: the message then goes to every
//! other peer of the room.
//!
//! ## Server to client
//!
//! - `{"type":"joined","room":R,"peer":P,"peers":[P2,...],"resume":TOKEN,"resumed":false,"iceServers":[...]}`
//!   answers `join`. `peers` are the others in the room, in join order
//!   (peers waiting to resume included). `resume` is a fresh token (22
//!   base64url characters, 128 bits from the server's [`Random`]) that
//!   takes the peer back after its connection drops. `iceServers` is a
//!   W3C WebRTC `RTCIceServer` list, `{"urls":[...]}` plus `"username"`
//!   and `"credential"` for TURN (see [`IceCredentials`]), ready for
//!   `new RTCPeerConnection({iceServers})`.
//! - `{"type":"peer-joined","peer":P}` to the others when `P` joins.
//! - `{"type":"peer-left","peer":P,"reason":REASON}` to the others when
//!   `P` leaves: `left` (it sent `leave`), `closed` (its connection ended
//!   and the grace period passed), or `timeout` (reserved for drivers with
//!   a deadline; clients should accept any reason).
//! - A forwarded message is the sender's object with `"from":SENDER`
//!   added first, every other byte unchanged (`to` kept when it was
//!   given). A `"from"` the sender wrote itself is replaced.
//! - `{"type":"error","code":CODE,"message":TEXT}` refuses a message,
//!   with `"ref"` (the type of the refused message, when it is a known
//!   one) and, for `unknown-peer`, `"to"`. The codes are [`Error::code`]:
//!
//! | code | when |
//! |---|---|
//! | `bad-message` | not JSON, not an object, a field missing or of the wrong type, an unknown `type` |
//! | `not-joined` | anything but `join` before joining (or after `leave`) |
//! | `already-joined` | `join` on a connection that is in a room |
//! | `bad-id` | a room, peer or `to` id outside `[A-Za-z0-9._~-]{1,64}` |
//! | `unknown-room` | [`Rooms::Only`] does not list the room |
//! | `room-full` | the room has [`Limits::max_room_size`] peers |
//! | `server-full` | [`Limits::max_rooms`] or [`Limits::max_peers`] reached |
//! | `peer-id-taken` | another peer of the room has the id (or is away with it) |
//! | `bad-resume` | the token does not name an away peer of the room |
//! | `unknown-peer` | `to` names no other peer of the room |
//! | `message-too-large` | the text is longer than [`Limits::max_message_size`] |
//! | `rate-limited` | over [`Limits::messages_per_second`] and [`Limits::burst`]; at most one such error per second |
//!
//! ## Reconnection
//!
//! When a joined peer's connection ends, the peer stays in its room for
//! [`Config::reconnect_grace`] (10 s), away: the others see no change,
//! and messages to it are kept (at most
//! [`Limits::max_queued_while_away`], the oldest dropped first). A `join`
//! with the same room, peer and `"resume":TOKEN` within that time gets
//! `joined` with `"resumed":true` and a new token, then the kept messages
//! in order. Presence changes are not queued: the `peers` list of the
//! new `joined` is the room as it is. A resume while the old connection
//! is still open takes the peer over and asks the driver to close the old
//! one ([`ServerEvent::Close`] 1000). When the grace period ends, the
//! others get `peer-left` with reason `closed`.
//!
//! ## Limits
//!
//! Everything a client can make the server hold is capped by [`Limits`]:
//! rooms, peers, peers per room, message size, the messages kept for an
//! away peer and, over all of them, [`Limits::max_queued_bytes`]. Each connection has a token bucket; a message over it is
//! dropped with one `rate-limited` error per second, and a connection
//! that keeps flooding (more than [`Limits::max_rate_limited`] refusals,
//! each within a second of the previous) gets [`ServerEvent::Close`] with
//! 1008 (RFC 6455 §7.4.1). The driver caps connections and WebSocket
//! message sizes itself.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod error;
mod events;
mod ice;
mod id;
mod limits;
mod server;
mod wire;

pub use config::{Config, IceCredentials, IceServer, Rooms};
pub use error::Error;
pub use events::{ConnectionId, LeaveReason, ServerEvent, ServerStats, ServerTransmit};
pub use ice::turn_rest_credential;
pub use id::{MAX_ID_LEN, is_valid_id};
pub use limits::Limits;
pub use rtw_core::{Random, SeededRandom};
pub use server::Server;
