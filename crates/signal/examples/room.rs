//! Three peers in one room, in memory and virtual time: each joins, the
//! later joiner offers to every earlier one (a full mesh of three links),
//! answers and candidates go back, one peer's connection drops and it
//! resumes with its token, getting what was sent to it meanwhile; then
//! one leaves and the last one's grace period runs out. Every message is
//! printed as it crosses the server.
//!
//! `cargo run -p rtw-signal --example room`

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rtw_signal::{
    Config, ConnectionId, IceCredentials, IceServer, SeededRandom, Server, ServerEvent,
};
use serde_json::{Value, json};

/// The server with a virtual clock, and who is on which connection.
struct Room {
    server: Server,
    now: Instant,
    names: HashMap<ConnectionId, &'static str>,
    /// What each named peer received, not yet read.
    inbox: HashMap<&'static str, Vec<Value>>,
}

impl Room {
    fn connect(&mut self, name: &'static str) -> ConnectionId {
        let c = self.server.handle_connect(self.now);
        self.names.insert(c, name);
        c
    }

    fn send(&mut self, from: ConnectionId, message: Value) {
        println!("{:>6} -> {message}", self.names[&from]);
        self.server.handle_wall_clock(1_700_000_000);
        self.server
            .handle_text(self.now, from, &message.to_string());
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(t) = self.server.poll_transmit() {
            let name = self.names[&t.connection];
            let text = std::str::from_utf8(&t.text).expect("the server sends UTF-8");
            println!("{name:>6} <- {text}");
            let value = serde_json::from_str(text).expect("the server sends JSON");
            self.inbox.entry(name).or_default().push(value);
        }
        while let Some(event) = self.server.poll_event() {
            println!("        event: {event:?}");
        }
    }

    fn take(&mut self, name: &str) -> Vec<Value> {
        self.inbox.remove(name).unwrap_or_default()
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        if self.server.poll_timeout().is_some_and(|at| at <= self.now) {
            self.server.handle_timeout(self.now);
            self.drain();
        }
    }
}

fn main() {
    let config = Config::default().ice_servers(vec![
        IceServer::new(["stun:127.0.0.1:3478"]),
        IceServer::new(["turn:127.0.0.1:3479?transport=udp"]).credentials(
            IceCredentials::TurnRest {
                secret: "demo-secret".into(),
                ttl: Duration::from_secs(3600),
            },
        ),
    ]);
    let mut room = Room {
        server: Server::new(config, Box::new(SeededRandom::new(2026))),
        now: Instant::now(),
        names: HashMap::new(),
        inbox: HashMap::new(),
    };

    // Three peers join; each later one offers to the ones before it.
    let names = ["alice", "bob", "carol"];
    let mut connections = HashMap::new();
    let mut tokens = HashMap::new();
    for name in names {
        let c = room.connect(name);
        connections.insert(name, c);
        room.send(c, json!({"type":"join","room":"demo","peer":name}));
        let joined = room.take(name).remove(0);
        tokens.insert(name, joined["resume"].clone());
        for earlier in joined["peers"].as_array().expect("peers") {
            let to = earlier.as_str().expect("a peer id");
            room.send(
                c,
                json!({"type":"offer","to":to,"sdp":format!("v=0\r\ns=offer from {name}\r\n")}),
            );
        }
    }
    // Each offer is answered, with one trickled candidate and the end of
    // them; each answer received is one link up.
    let mut links = 0;
    for name in names {
        let received = room.take(name);
        links += received.iter().filter(|m| m["type"] == "answer").count();
        for offer in received.iter().filter(|m| m["type"] == "offer") {
            let to = offer["from"].clone();
            let c = connections[name];
            room.send(
                c,
                json!({"type":"answer","to":to,"sdp":"v=0\r\ns=answer\r\n"}),
            );
            room.send(
                c,
                json!({"type":"candidate","to":to,"candidate":{
                    "candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                    "sdpMid":"0","sdpMLineIndex":0}}),
            );
            room.send(c, json!({"type":"end-of-candidates","to":to}));
        }
    }
    links += names
        .iter()
        .map(|n| {
            room.take(n)
                .iter()
                .filter(|m| m["type"] == "answer")
                .count()
        })
        .sum::<usize>();
    assert_eq!(links, 3, "a mesh of three has three links");

    // Bob's connection drops; Alice writes to him; he resumes in time.
    room.server.handle_disconnect(room.now, connections["bob"]);
    room.send(
        connections["alice"],
        json!({"type":"data","to":"bob","data":{"chat":"still there?"}}),
    );
    room.advance(Duration::from_secs(3));
    let bob = room.connect("bob");
    room.send(
        bob,
        json!({"type":"join","room":"demo","peer":"bob","resume":tokens["bob"]}),
    );
    let got = room.take("bob");
    assert_eq!(got[0]["resumed"], true);
    assert_eq!(got[1]["data"]["chat"], "still there?");

    // Carol leaves; Alice's connection ends for good.
    room.send(connections["carol"], json!({"type":"leave"}));
    room.server
        .handle_disconnect(room.now, connections["alice"]);
    room.advance(Duration::from_secs(11));
    let left: Vec<Value> = room
        .take("bob")
        .into_iter()
        .map(|m| m["reason"].clone())
        .collect();
    assert_eq!(left, [json!("left"), json!("closed")]);
    let stats = room.server.stats();
    println!("stats: {stats:?}");
    assert_eq!((stats.rooms, stats.peers), (1, 1));
    assert!(!matches!(
        room.server.poll_event(),
        Some(ServerEvent::Left { .. })
    ));
}
