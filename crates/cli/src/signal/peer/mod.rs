//! `rtw signal peer`: rtw's own ICE agent ([`rtw_tokio::ice`]) as a
//! WebRTC peer of a browser, driven through a signaling server (the JSON
//! protocol of `rtw-signal`'s crate docs).
//!
//! It joins a room, answers each offer addressed to it with an answer
//! built with the rtw-sdp editing API (`sdp.rs`), or with `--offer-to`
//! makes an offer itself; it trickles its candidates one by one and then
//! end-of-candidates, adds the peer's trickled candidates, and follows an
//! ICE restart (a new offer with other credentials, RFC 8445 §9). Each
//! remote peer has a session of its own (`session.rs`), with its own
//! sockets.
//!
//! rtw has no DTLS, SCTP or RTP: a browser reaches ICE `connected` with
//! it, but its DTLS handshake never completes, so no data channel opens.
//!
//! Output: one JSON object per line on stdout, `{"event":NAME,...}`:
//!
//! | event | when | fields |
//! |---|---|---|
//! | `joined` | the server took the join | `room`, `peer`, `peers`, `resumed` |
//! | `peer-joined`, `peer-left` | presence | `peer` (and `reason`) |
//! | `offer-sent` | `--offer-to`: the offer went out | `peer` |
//! | `answer-received` | the answer to it came | `peer` |
//! | `answer-sent` | an offer was answered | `peer` |
//! | `restart` | an offer restarted ICE | `peer` |
//! | `local-candidate` | `--ice-servers`: a candidate was gathered from a STUN or TURN server | `peer`, `type` (`srflx`, `relay`), `candidate` |
//! | `relay-failed` | `--ice-servers`: a TURN allocation failed or was lost | `peer`, `server`, `message` |
//! | `connected` | a pair was selected (again after a restart) | `peer`, `local`, `remote`, `ms` since the offer or answer went out |
//! | `disconnected` | consent checks go unanswered (RFC 7675) | `peer` |
//! | `consent-lost` | consent expired after a pair was selected | `peer`, `ms` since the last datagram came |
//! | `failed` | ICE failed before any pair was selected | `peer` |
//! | `stopped-answering` | `{"cmd":"stop-answering"}` dropped the agent | `peer` |
//! | `error` | the server refused a message, or a peer's message was bad | `code` or `peer`, `message` |
//! | `bye` | a peer said bye; the command exits 0 | `peer` |
//!
//! Commands, as `data` messages from a peer: `{"cmd":"stop-answering"}`
//! drops that peer's agent and its sockets (its consent checks go
//! unanswered); `{"cmd":"report"}` is answered with `{"type":"data",
//! "data":{"selected":{"local":..,"remote":..},"state":..}}`.
//!
//! It exits 0 after a `bye` or when `--timeout` passes, 1 when the
//! server cannot be reached, refuses the join, or closes the connection.

mod sdp;
mod servers;
mod session;
mod wire;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ice::IceConfig;
use rtw_tokio::ws::{Message, connect};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::Instant;

use session::{Input, Session, Settings};
use wire::emit;

use crate::serve_limits::seconds;

/// `rtw signal peer` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct PeerArgs {
    /// The signaling server's WebSocket URL, e.g.
    /// ws://127.0.0.1:8080/signal.
    #[arg(long)]
    url: String,
    /// The room to join.
    #[arg(long)]
    room: String,
    /// This peer's id in the room.
    #[arg(long)]
    peer: String,
    /// Make an offer to this peer (at once if it is in the room, else when
    /// it joins) instead of waiting for offers.
    #[arg(long, value_name = "PEER")]
    offer_to: Option<String>,
    /// A local address to bind an ICE socket (a host candidate) on;
    /// repeat for several.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    bind: Vec<IpAddr>,
    /// Consent is lost when no consent check was answered for this long
    /// (RFC 7675 §5.1).
    #[arg(long, value_name = "SECS", value_parser = seconds, default_value = "30")]
    consent_timeout: Duration,
    /// Gather server-reflexive and relayed candidates from the STUN and
    /// TURN servers of the `iceServers` the signaling server hands out
    /// (UDP, IP addresses only), and trickle them after the host ones.
    #[arg(long)]
    ice_servers: bool,
    /// Exit (with 0) after this long.
    #[arg(long, value_name = "SECS", value_parser = seconds)]
    timeout: Option<Duration>,
}

/// Run `rtw signal peer`.
pub(crate) fn run(args: PeerArgs) -> ExitCode {
    crate::checks::block_on("signal peer", async { Ok(peer(args).await?) })
}

/// The agent's settings for `--consent-timeout`: consent checks every 5
/// s (RFC 7675 §5.1), or four within a shorter timeout, so that a live
/// peer is never taken for a silent one; the disconnected state at the
/// default 11 s, or halfway to a shorter timeout.
fn ice_config(consent_timeout: Duration) -> IceConfig {
    let config = IceConfig::default().consent_timeout(consent_timeout);
    let interval = config.consent_interval.min(consent_timeout / 4);
    let disconnected = config.disconnected_timeout.min(consent_timeout / 2);
    config
        .consent_interval(interval)
        .disconnected_timeout(disconnected)
}

/// Sleep until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The most remote peers the command keeps a session (an agent and its
/// sockets) for; a session lives as long as the command, so that a peer
/// that left is still reported by consent freshness.
const MAX_SESSIONS: usize = 64;

/// The sessions, one per remote peer, each a task fed through a channel.
struct Sessions {
    settings: Settings,
    out: mpsc::UnboundedSender<Value>,
    inputs: HashMap<String, mpsc::UnboundedSender<Input>>,
    /// The peers of `inputs`, in the order their sessions started.
    order: Vec<String>,
}

impl Sessions {
    /// Hand `input` to `peer`'s session, started if there is none.
    fn input(&mut self, peer: &str, input: Input) {
        if !self.inputs.contains_key(peer) {
            if self.inputs.len() >= MAX_SESSIONS {
                emit(
                    "error",
                    json!({"peer": peer, "message": format!("more than {MAX_SESSIONS} peers: ignored")}),
                );
                return;
            }
            let session =
                match Session::new(peer.to_owned(), self.settings.clone(), self.out.clone()) {
                    Ok(session) => session,
                    Err(message) => {
                        emit("error", json!({"peer": peer, "message": message}));
                        return;
                    }
                };
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(session.run(rx));
            self.inputs.insert(peer.to_owned(), tx);
            self.order.push(peer.to_owned());
        }
        if let Some(tx) = self.inputs.get(peer) {
            let _ = tx.send(input);
        }
    }

    /// Answer `{"cmd":"report"}` from `peer`: with its own session's pair
    /// and state, or, from a peer with no session (a test's controller),
    /// with those of the session started first; with no pair and `closed`
    /// when there is none.
    fn report(&mut self, peer: &str) {
        let to = peer.to_owned();
        let session = self.inputs.get(peer).or_else(|| {
            let first = self.order.iter().find(|p| self.inputs.contains_key(*p))?;
            self.inputs.get(first)
        });
        match session {
            Some(tx) => {
                let _ = tx.send(Input::Report { to });
            }
            None => {
                let _ = self.out.send(wire::report(&to, None, None));
            }
        }
    }

    /// Hand `input` to `peer`'s session if it has one.
    fn input_existing(&mut self, peer: &str, input: Input) {
        if let Some(tx) = self.inputs.get(peer) {
            let _ = tx.send(input);
        }
    }
}

/// What the main loop does after a server message.
enum Next {
    Go,
    /// Exit with success (`bye`).
    Done,
}

async fn peer(args: PeerArgs) -> Result<(), String> {
    if args.bind.is_empty() {
        return Err("no --bind address".into());
    }
    let deadline = args.timeout.map(|t| Instant::now() + t);
    let (ws, _) = connect(&args.url)
        .await
        .map_err(|e| format!("connecting to {}: {e}", args.url))?;
    let (mut reader, mut writer) = ws.split();
    let (out, mut outgoing) = mpsc::unbounded_channel::<Value>();
    let mut sessions = Sessions {
        settings: Settings {
            bind: args.bind.iter().map(|ip| SocketAddr::new(*ip, 0)).collect(),
            ice: ice_config(args.consent_timeout),
            servers: Vec::new(),
        },
        out: out.clone(),
        inputs: HashMap::new(),
        order: Vec::new(),
    };
    let mut joined = false;
    out.send(wire::join(&args.room, &args.peer))
        .map_err(|e| e.to_string())?;
    loop {
        tokio::select! {
            message = outgoing.recv() => {
                // `out` is held here, so the channel never closes.
                let Some(message) = message else { continue };
                writer
                    .send(Message::text(message.to_string()))
                    .await
                    .map_err(|e| format!("sending to the server: {e}"))?;
            }
            item = reader.next() => {
                let text = match item {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(frame))) => {
                        return Err(format!("the server closed the connection: {frame:?}"));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(format!("the connection to the server: {e}")),
                    None => return Err("the server closed the connection".into()),
                };
                let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text.as_str()) else {
                    emit("error", json!({"message": "the server sent a message that is not a JSON object"}));
                    continue;
                };
                match server_message(&args, &mut sessions, &mut joined, &message)? {
                    Next::Go => {}
                    Next::Done => {
                        let _ = writer.close().await;
                        return Ok(());
                    }
                }
            }
            () = sleep_until(deadline) => {
                let _ = writer.close().await;
                return Ok(());
            }
        }
    }
}

/// One message from the server.
fn server_message(
    args: &PeerArgs,
    sessions: &mut Sessions,
    joined: &mut bool,
    message: &serde_json::Map<String, Value>,
) -> Result<Next, String> {
    let text = |key: &str| message.get(key).and_then(Value::as_str);
    let from = text("from").unwrap_or_default();
    match text("type").unwrap_or_default() {
        "joined" => {
            *joined = true;
            let peers = message.get("peers").cloned().unwrap_or(json!([]));
            if args.ice_servers {
                let list = message.get("iceServers").unwrap_or(&Value::Null);
                sessions.settings.servers = servers::ice_servers(list);
            }
            emit(
                "joined",
                json!({
                    "room": text("room"),
                    "peer": text("peer"),
                    "peers": peers,
                    "resumed": message.get("resumed"),
                }),
            );
            if let Some(target) = &args.offer_to {
                let present = peers
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p.as_str() == Some(target)));
                if present {
                    sessions.input(target, Input::MakeOffer);
                }
            }
        }
        "peer-joined" => {
            let peer = text("peer").unwrap_or_default();
            emit("peer-joined", json!({"peer": peer}));
            if args.offer_to.as_deref() == Some(peer) {
                sessions.input(peer, Input::MakeOffer);
            }
        }
        "peer-left" => emit(
            "peer-left",
            json!({"peer": text("peer"), "reason": text("reason")}),
        ),
        "offer" => match text("sdp") {
            Some(sdp) => sessions.input(from, Input::Offer(sdp.to_owned())),
            None => emit(
                "error",
                json!({"peer": from, "message": "an offer without sdp"}),
            ),
        },
        "answer" => match text("sdp") {
            Some(sdp) => sessions.input_existing(from, Input::Answer(sdp.to_owned())),
            None => emit(
                "error",
                json!({"peer": from, "message": "an answer without sdp"}),
            ),
        },
        "candidate" => {
            let candidate = message.get("candidate").cloned().unwrap_or(Value::Null);
            sessions.input_existing(from, Input::Candidate(candidate));
        }
        "end-of-candidates" => sessions.input_existing(from, Input::EndOfCandidates),
        "data" => {
            let cmd = message
                .get("data")
                .and_then(|d| d.get("cmd"))
                .and_then(Value::as_str);
            match cmd {
                Some("stop-answering") => sessions.input_existing(from, Input::StopAnswering),
                Some("report") => sessions.report(from),
                _ => {}
            }
        }
        "bye" => {
            emit("bye", json!({"peer": from}));
            return Ok(Next::Done);
        }
        "error" => {
            emit(
                "error",
                json!({
                    "code": text("code"),
                    "message": text("message"),
                    "ref": text("ref"),
                }),
            );
            if !*joined {
                return Err(format!(
                    "the server refused the join: {}",
                    text("code").unwrap_or("?")
                ));
            }
        }
        _ => {}
    }
    Ok(Next::Go)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_settings_follow_the_timeout() {
        let default = ice_config(Duration::from_secs(30));
        assert_eq!(default.consent_interval, Duration::from_secs(5));
        assert_eq!(default.disconnected_timeout, Duration::from_secs(11));
        assert_eq!(default.consent_timeout, Duration::from_secs(30));
        let short = ice_config(Duration::from_secs(4));
        assert_eq!(short.consent_interval, Duration::from_secs(1));
        assert_eq!(short.disconnected_timeout, Duration::from_secs(2));
        assert_eq!(short.consent_timeout, Duration::from_secs(4));
    }
}
