//! Sans-IO Engine.IO v4, the transport under Socket.IO: packets and
//! polling payloads, a [`Server`] of sessions over HTTP long polling and
//! WebSocket with the upgrade and the heartbeat, and a [`Client`]
//! session.
//!
//! Nothing here opens a socket, reads a clock or draws randomness of its
//! own (`docs/ARCHITECTURE.md`): the HTTP layer hands the server each
//! request with `now` and writes the [`Response`] it gets; WebSocket
//! messages go in through [`Server::handle_ws_message`] and out through
//! [`Server::poll_ws_transmit`]; [`Server::handle_timeout`] runs at
//! [`Server::poll_timeout`] for pings and ping timeouts; session ids
//! come from the [`rtw_core::Random`] given to [`Server::new`].
//!
//! A handshake over polling, a message each way, in memory:
//!
//! ```
//! use std::time::Instant;
//! use bytes::Bytes;
//! use rtw_core::SeededRandom;
//! use rtw_engineio::{Config, Data, Method, Packet, Query, Response, Server, ServerEvent};
//!
//! let now = Instant::now();
//! let mut server = Server::new(Config::default(), Box::new(SeededRandom::new(7)));
//! let r = server.handle_request(now, Method::Get, &Query::parse("EIO=4&transport=polling"), Bytes::new());
//! assert!(r.body().starts_with(br#"0{"sid":""#));
//! let Some(ServerEvent::Opened(sid)) = server.poll_event() else { panic!() };
//!
//! let query = Query::parse(&format!("EIO=4&transport=polling&sid={sid}"));
//! server.handle_request(now, Method::Post, &query, Bytes::from_static(b"4hello"));
//! assert_eq!(server.poll_event(), Some(ServerEvent::Message(sid, Data::Text("hello".into()))));
//!
//! assert_eq!(server.handle_request(now, Method::Get, &query, Bytes::new()), Response::Wait(sid));
//! server.send(sid, Packet::message("world")).unwrap();
//! assert_eq!(server.poll_event(), Some(ServerEvent::PollReady(sid)));
//! assert_eq!(&server.take_poll(now, sid).unwrap().body()[..], b"4world");
//! ```
//!
//! # The HTTP mapping (Engine.IO v4)
//!
//! Every request goes to one path (`/engine.io/` by default) with the
//! query `EIO=4&transport=polling|websocket[&sid=SID]`, read by
//! [`Query::parse`] (other parameters such as the cache buster `t` are
//! ignored).
//!
//! | request | the layer calls | answer |
//! |---|---|---|
//! | `GET ?EIO=4&transport=polling` (handshake) | [`Server::handle_request`] | 200 `text/plain; charset=UTF-8`, the open packet `0{"sid":..,"upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}` |
//! | `GET ...&sid=SID` (long poll) | [`Server::handle_request`] | 200 with the queued packets joined by `\x1e`, or [`Response::Wait`]: hold the GET until [`ServerEvent::PollReady`], then answer with [`Server::take_poll`]; if the client goes away meanwhile, [`Server::handle_poll_aborted`] |
//! | `POST ...&sid=SID` with a payload | [`Server::handle_request`] | 200 `text/html` `ok`; read at most `maxPayload` + 1 bytes of the body: a longer one is refused with 413 and closes the session |
//! | `GET ?EIO=4&transport=websocket[&sid=SID]` with `Upgrade: websocket` | [`Server::handle_ws_open`] | the WebSocket handshake on `Ok`, or the error answer on `Err` |
//!
//! Errors are answered with [`Error::http_status`] (400; 403 for a full
//! server, 413 for a payload too large) and the JSON body
//! [`Error::http_body`], `{"code":N,"message":"..."}`, with the
//! protocol's codes: 0 "Transport unknown", 1 "Session ID unknown", 2 "Bad
//! handshake method" (a handshake that is not a GET), 3 "Bad request" (a
//! second GET while one is held, which also closes the session; polling
//! on an upgraded session), 4 "Forbidden", 5 "Unsupported protocol
//! version" (`EIO` missing or not 4).
//!
//! # Upgrade and heartbeat
//!
//! On a WebSocket opened with the sid of a polling session the client
//! sends `2probe`; the server answers `3probe` and queues a noop `6` that
//! releases the held GET; the client sends `5` and the session moves to
//! the WebSocket ([`ServerEvent::Upgraded`]): packets no GET fetched go
//! there, and polling requests get 400 code 3. Over WebSocket each packet
//! is one message: text with the type digit, or binary with a binary
//! message's bytes only.
//!
//! The server pings every `ping_interval` (counted from the open or the
//! last pong) and closes a session whose pong does not come within
//! `ping_timeout` of its ping ([`CloseReason::PingTimeout`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod error;
mod packet;
mod payload;
mod server;

pub use client::{Client, ClientConfig, ClientEvent, ClientTransport, Request};
pub use error::{Error, Result};
pub use packet::{Data, Message, Packet, PacketType};
pub use payload::{Limits, SEPARATOR, decode_payload, encode_payload};
pub use server::{
    CONTENT_TYPE_ERROR, CONTENT_TYPE_OK, CONTENT_TYPE_PAYLOAD, CloseReason, Config, Handshake,
    Method, Query, Response, Server, ServerEvent, ServerStats, Sid, WsId, WsTransmit,
};
