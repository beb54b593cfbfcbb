//! `rtw signal peer` through `rtw signal serve` on loopback:
//! - two `rtw signal peer` processes, one with `--offer-to`, connect
//!   (both print `connected` with the same pair, swapped), report their
//!   pair when asked, and exit 0 on `bye`;
//! - a browser-like offerer made of rtw-tokio's ICE and a Chromium offer
//!   from the SDP corpus gets an answer, trickled candidates and
//!   end-of-candidates, connects, restarts ICE (new credentials in a new
//!   offer) and connects again, sees consent lost once rtw stops
//!   answering, and, after a new offer, its own silence is reported by
//!   rtw as `consent-lost`.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{RTW, Running};
use futures_util::{SinkExt, StreamExt};
use rtw_sdp::SessionDescription;
use rtw_sdp::attributes::{IcePwd, IceUfrag};
use rtw_tokio::ice::{
    Candidate, ConnectionState, Credentials, IceConfig, IceConnection, IceEvent, Role,
    random_credentials,
};
use rtw_tokio::ws::{Message, WebSocketStream};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Upper bound for one step.
const WAIT: Duration = Duration::from_secs(15);

const CHROMIUM_OFFER: &str = include_str!("../../sdp/tests/corpus/chromium-156/offer.sdp");

fn serve() -> Running {
    Running::start(&["signal", "serve", "--listen", "127.0.0.1:0"])
}

/// A running `rtw signal peer`, its stdout read line by line as JSON.
struct Peer {
    child: Child,
    lines: mpsc::UnboundedReceiver<Value>,
    /// The lines read so far, and whether [`Peer::event`] returned each.
    seen: Vec<(Value, bool)>,
}

impl Peer {
    fn start(server: &Running, args: &[&str]) -> Peer {
        let url = format!("ws://{}/signal", server.addr);
        let mut child = Command::new(RTW)
            .args(["signal", "peer", "--url", &url])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("rtw signal peer starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("a line that is not JSON: {line:?}: {e}"));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Peer {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first `event` line not returned yet, within [`WAIT`]: one read
    /// already (while waiting for another event), or the next one.
    async fn event(&mut self, event: &str) -> Value {
        self.event_within(event, WAIT).await
    }

    async fn event_within(&mut self, event: &str, wait: Duration) -> Value {
        if let Some((line, taken)) = self
            .seen
            .iter_mut()
            .find(|(line, taken)| !*taken && line["event"] == event)
        {
            *taken = true;
            return line.clone();
        }
        let until = tokio::time::Instant::now() + wait;
        loop {
            let line = match tokio::time::timeout_at(until, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("no {event:?} before the output ended: {:?}", self.seen),
                Err(_) => panic!("no {event:?} within {wait:?}: {:?}", self.seen),
            };
            let wanted = line["event"] == event;
            self.seen.push((line.clone(), wanted));
            if wanted {
                return line;
            }
        }
    }

    /// Wait for the process to exit, within [`WAIT`].
    fn exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < WAIT, "rtw signal peer did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Ws = WebSocketStream<TcpStream>;

/// Join `room` as `peer` with rtw's WebSocket client.
async fn join(server: &Running, room: &str, peer: &str) -> Ws {
    let url = format!("ws://{}/signal", server.addr);
    let (mut ws, _) = rtw_tokio::ws::connect(&url).await.unwrap();
    send(&mut ws, json!({"type": "join", "room": room, "peer": peer})).await;
    assert_eq!(next(&mut ws).await["type"], "joined");
    ws
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string())).await.unwrap();
}

/// The next text message as JSON.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let message = timeout(WAIT, ws.next())
            .await
            .expect("a message within the wait")
            .expect("the connection is open")
            .expect("a valid frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

/// The next message of type `kind`, skipping presence messages.
async fn next_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let message = next(ws).await;
        if message["type"] == kind {
            return message;
        }
        assert!(
            matches!(message["type"].as_str(), Some("peer-joined" | "peer-left")),
            "{message} while waiting for {kind}"
        );
    }
}

fn addr(v: &Value) -> SocketAddr {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rtw_peers_connect_one_offering_and_exit_on_bye() {
    let server = serve();
    let mut a = Peer::start(&server, &["--room", "r", "--peer", "a", "--timeout", "60"]);
    let joined = a.event("joined").await;
    assert_eq!(joined["peers"], json!([]));
    let mut b = Peer::start(
        &server,
        &[
            "--room",
            "r",
            "--peer",
            "b",
            "--offer-to",
            "a",
            "--timeout",
            "60",
        ],
    );
    assert_eq!(b.event("joined").await["peers"], json!(["a"]));
    b.event("offer-sent").await;
    a.event("answer-sent").await;
    let a_connected = a.event("connected").await;
    let b_connected = b.event("connected").await;
    assert_eq!(a_connected["peer"], "b");
    assert_eq!(addr(&a_connected["local"]), addr(&b_connected["remote"]));
    assert_eq!(addr(&a_connected["remote"]), addr(&b_connected["local"]));
    assert!(addr(&a_connected["local"]).ip().is_loopback());
    assert!(a_connected["ms"].as_u64().unwrap() < WAIT.as_millis() as u64);

    // Asked for a report, each names the pair it printed.
    let mut t = join(&server, "r", "t").await;
    for (peer, connected) in [("a", &a_connected), ("b", &b_connected)] {
        send(
            &mut t,
            json!({"type": "data", "to": peer, "data": {"cmd": "report"}}),
        )
        .await;
        let report = next_of(&mut t, "data").await;
        assert_eq!(report["from"], peer);
        assert_eq!(report["data"]["selected"]["local"], connected["local"]);
        assert_eq!(report["data"]["selected"]["remote"], connected["remote"]);
        let state = report["data"]["state"].as_str().unwrap();
        assert!(matches!(state, "connected" | "completed"), "{report}");
    }
    for (peer, process) in [("a", &mut a), ("b", &mut b)] {
        send(&mut t, json!({"type": "bye", "to": peer})).await;
        assert_eq!(process.event("bye").await["peer"], "t");
        assert!(process.exit().success());
    }
}

/// The Chromium offer of the corpus with `credentials` in every section.
fn chromium_offer(credentials: &Credentials) -> String {
    let mut sd = SessionDescription::parse(CHROMIUM_OFFER).unwrap();
    for m in &mut sd.media {
        m.set(&IceUfrag(credentials.ufrag.clone()));
        m.set(&IcePwd(credentials.pwd.clone()));
    }
    sd.to_string()
}

/// A page's ICE: consent checks every 0.5 s, lost after 3 s.
async fn page_ice() -> IceConnection {
    let config = IceConfig::default()
        .consent_interval(Duration::from_millis(500))
        .disconnected_timeout(Duration::from_millis(1500))
        .consent_timeout(Duration::from_secs(3));
    let local = "127.0.0.1:0".parse().unwrap();
    IceConnection::bind_with(
        &[local],
        Role::Controlling,
        config,
        random_credentials().unwrap(),
    )
    .await
    .unwrap()
}

/// Offer to `rtw` from `page`'s ICE, as a browser does: the offer, then
/// the page's candidates trickled and end-of-candidates; take the answer,
/// rtw's trickled candidates and its end-of-candidates. Returns the
/// answer's ufrag.
async fn offer(ws: &mut Ws, page: &IceConnection) -> String {
    let credentials = page.local_credentials().clone();
    send(
        ws,
        json!({"type": "offer", "to": "rtw", "sdp": chromium_offer(&credentials)}),
    )
    .await;
    for c in page.local_candidates() {
        let init = json!({
            "candidate": c.to_json_candidate(),
            "sdpMid": "0",
            "sdpMLineIndex": 0,
            "usernameFragment": credentials.ufrag,
        });
        send(
            ws,
            json!({"type": "candidate", "to": "rtw", "candidate": init}),
        )
        .await;
    }
    send(
        ws,
        json!({"type": "end-of-candidates", "to": "rtw", "sdpMid": "0"}),
    )
    .await;

    let answer = next_of(ws, "answer").await;
    let answer = SessionDescription::parse(answer["sdp"].as_str().unwrap()).unwrap();
    assert!(answer.check_jsep().is_empty());
    let m = &answer.media[0];
    let remote = Credentials {
        ufrag: m.get::<IceUfrag>().unwrap().unwrap().0,
        pwd: m.get::<IcePwd>().unwrap().unwrap().0,
    };
    page.set_remote_credentials(remote.clone()).unwrap();
    let mut candidates = 0;
    loop {
        let message = next(ws).await;
        match message["type"].as_str() {
            Some("candidate") => {
                let init = &message["candidate"];
                assert_eq!(init["sdpMid"], "0");
                assert_eq!(init["sdpMLineIndex"], 0);
                assert_eq!(init["usernameFragment"], remote.ufrag.as_str());
                let c = Candidate::parse(init["candidate"].as_str().unwrap()).unwrap();
                page.add_remote_candidate(c).unwrap();
                candidates += 1;
            }
            Some("end-of-candidates") => break,
            _ => panic!("{message} among the trickled candidates"),
        }
    }
    assert_eq!(candidates, 1, "one host candidate per --bind address");
    page.end_of_remote_candidates().unwrap();
    remote.ufrag
}

/// Read `events` until a pair is selected.
async fn selected(events: &mut mpsc::Receiver<IceEvent>) -> (SocketAddr, SocketAddr) {
    loop {
        match timeout(WAIT, events.recv()).await.unwrap().unwrap() {
            IceEvent::SelectedPair {
                source,
                destination,
            } => return (source, destination),
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_like_offerer_connects_restarts_and_consent_is_lost_both_ways() {
    let server = serve();
    let mut rtw = Peer::start(
        &server,
        &[
            "--room",
            "r",
            "--peer",
            "rtw",
            "--consent-timeout",
            "3",
            "--timeout",
            "90",
        ],
    );
    rtw.event("joined").await;
    let mut ws = join(&server, "r", "page").await;

    // Offer, answer, trickle both ways: connected on both sides, one pair.
    let mut page = page_ice().await;
    let mut events = page.take_events().unwrap();
    let ufrag = offer(&mut ws, &page).await;
    rtw.event("answer-sent").await;
    let pair = selected(&mut events).await;
    let connected = rtw.event("connected").await;
    assert_eq!(
        (addr(&connected["remote"]), addr(&connected["local"])),
        pair
    );

    // What rtw reports is the page's pair, swapped.
    send(
        &mut ws,
        json!({"type": "data", "to": "rtw", "data": {"cmd": "report"}}),
    )
    .await;
    let report = next_of(&mut ws, "data").await;
    assert_eq!(addr(&report["data"]["selected"]["local"]), pair.1);
    assert_eq!(addr(&report["data"]["selected"]["remote"]), pair.0);

    // ICE restart from the page (RFC 8445 §9): new credentials in a new
    // offer; rtw answers with new ones of its own and connects again.
    page.restart(random_credentials().unwrap()).unwrap();
    let restarted = offer(&mut ws, &page).await;
    assert_ne!(restarted, ufrag);
    rtw.event("restart").await;
    rtw.event("connected").await;
    assert_eq!(selected(&mut events).await, pair);

    // rtw stops answering: the page's consent checks go unanswered and it
    // loses consent (RFC 7675 §5.1) within its 3 s.
    let stopped = Instant::now();
    send(
        &mut ws,
        json!({"type": "data", "to": "rtw", "data": {"cmd": "stop-answering"}}),
    )
    .await;
    rtw.event("stopped-answering").await;
    loop {
        match timeout(WAIT, events.recv()).await.unwrap().unwrap() {
            IceEvent::StateChanged(ConnectionState::Failed) => break,
            _ => continue,
        }
    }
    assert!(
        stopped.elapsed() < Duration::from_secs(8),
        "{:?}",
        stopped.elapsed()
    );

    // A new offer gets a new agent; then the page goes silent (closed),
    // and rtw reports consent lost about 3 s after its last datagram.
    let page = page_ice().await;
    offer(&mut ws, &page).await;
    rtw.event("connected").await;
    drop(page);
    let lost = rtw.event("consent-lost").await;
    let ms = lost["ms"].as_u64().unwrap();
    assert!((2_000..8_000).contains(&ms), "{lost}");
    assert_eq!(lost["peer"], "page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn it_exits_0_when_its_timeout_passes_and_1_when_the_join_is_refused() {
    let server = serve();
    let mut idle = Peer::start(
        &server,
        &["--room", "r", "--peer", "idle", "--timeout", "0.5"],
    );
    idle.event("joined").await;
    assert!(idle.exit().success());

    // `bad id!` is not made of unreserved characters: the server refuses
    // the join with bad-id.
    let mut refused = Peer::start(&server, &["--room", "r", "--peer", "bad id!"]);
    let error = refused.event("error").await;
    assert_eq!(error["code"], "bad-id", "{error}");
    assert_eq!(refused.exit().code(), Some(1));

    // No server at all: exit 1 at once.
    let url = "ws://127.0.0.1:9/signal";
    let status = Command::new(RTW)
        .args(["signal", "peer", "--url", url, "--room", "r", "--peer", "p"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_ice_servers_the_peers_gather_relayed_candidates_and_connect() {
    let server = Running::start(&[
        "signal",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--stun",
        "127.0.0.1:0",
        "--turn",
        "127.0.0.1:0",
        "--turn-secret",
        "test-secret",
        "--turn-allow-loopback-peers",
    ]);
    let common = ["--room", "r", "--ice-servers", "--timeout", "60"];
    let mut a = Peer::start(&server, &[&common[..], &["--peer", "a"]].concat());
    a.event("joined").await;
    let mut b = Peer::start(
        &server,
        &[&common[..], &["--peer", "b", "--offer-to", "a"]].concat(),
    );
    // The TURN server of `iceServers` (TURN REST credentials) gives each
    // a relayed candidate (RFC 8445 §5.1.1.2); the STUN server's
    // server-reflexive address is the host's own on loopback, redundant
    // and not signalled (§5.1.3).
    for peer in [&mut a, &mut b] {
        let relayed = peer.event("local-candidate").await;
        assert_eq!(relayed["type"], "relay", "{relayed}");
        let c = Candidate::parse(relayed["candidate"].as_str().unwrap()).unwrap();
        assert!(c.socket_addr().unwrap().ip().is_loopback());
    }
    let a_connected = a.event("connected").await;
    let b_connected = b.event("connected").await;
    assert_eq!(addr(&a_connected["local"]), addr(&b_connected["remote"]));
}
