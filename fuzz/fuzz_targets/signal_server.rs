//! Fuzz `rtw_signal::Server`, driven as `rtw signal serve` would: it never
//! panics, and whatever clients send, what it holds and what it sends stay
//! within bounds.
//!
//! The first input byte configures the server (grace period 0 to 3 s, room
//! size 1 to 4, a fixed room list or open rooms, 0 to 3 messages kept for
//! an away peer). Then comes a sequence of records, each a control byte, a
//! clock byte (the virtual clock moves by its square times 10 ms) and a
//! body with a one-byte length. The control byte's bits 2 to 4 pick one
//! of eight connection slots (connected on first use), its low bits what
//! happens:
//!
//! - 0: the body as text from that connection (invalid UTF-8 replaced);
//! - 1: a message built from the body (`rtw_fuzz::signal::build_message`:
//!   joins, resumes with the last token the server gave that peer id,
//!   leaves, each forwarded type to a peer or the room);
//! - 2: the connection ends;
//! - 3: nothing but the clock.
//!
//! After every record: every `poll_*` drains in a bounded number of
//! calls; every text is what a signaling server may send
//! (`rtw_fuzz::signal::check_server_text`) and goes to a connection that
//! is open; `Close` names an open connection; rooms, peers and away peers
//! stay within the limits; after `handle_timeout(now)` the next timeout
//! is later than `now`. At the end every connection ends and, after the
//! grace period, the server holds nothing.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtw_fuzz::signal::{PEERS, ROOMS, build_message, check_server_text};
use rtw_fuzz::{fire_due_timer, seeded, steps};
use rtw_signal::{Config, ConnectionId, Limits, Rooms, Server, ServerEvent};

const MAX_ROOMS: usize = 3;
const MAX_PEERS: usize = 6;
const MAX_QUEUED_BYTES: usize = 1500;
/// More calls than this to drain one `poll_*` is a runaway queue.
const MAX_DRAIN: usize = 10_000;

struct Harness {
    server: Server,
    now: Instant,
    room_size: usize,
    slots: [Option<ConnectionId>; 8],
    open: HashSet<ConnectionId>,
    /// The last resume token the server gave each peer id.
    tokens: HashMap<String, String>,
}

impl Harness {
    fn new(flags: u8) -> Self {
        let room_size = 1 + usize::from(flags >> 2 & 3);
        let limits = Limits::default()
            .max_rooms(MAX_ROOMS)
            .max_peers(MAX_PEERS)
            .max_room_size(room_size)
            .max_message_size(512)
            .messages_per_second(4)
            .burst(8)
            .max_rate_limited(20)
            .max_queued_while_away(usize::from(flags >> 5 & 3))
            .max_queued_bytes(MAX_QUEUED_BYTES);
        let rooms = if flags & 0x10 != 0 {
            Rooms::Only(vec![ROOMS[0].into(), ROOMS[1].into()])
        } else {
            Rooms::Open
        };
        let config = Config::default()
            .limits(limits)
            .rooms(rooms)
            .reconnect_grace(Duration::from_secs(u64::from(flags & 3)));
        Harness {
            server: Server::new(config, seeded(u64::from(flags))),
            now: Instant::now(),
            room_size,
            slots: [None; 8],
            open: HashSet::new(),
            tokens: HashMap::new(),
        }
    }

    fn connection(&mut self, slot: usize) -> ConnectionId {
        if let Some(c) = self.slots[slot] {
            return c;
        }
        let c = self.server.handle_connect(self.now);
        assert!(self.open.insert(c), "{c} reused");
        self.slots[slot] = Some(c);
        c
    }

    fn disconnect(&mut self, slot: usize) {
        if let Some(c) = self.slots[slot].take() {
            self.server.handle_disconnect(self.now, c);
            self.open.remove(&c);
            self.drain();
        }
    }

    fn drain(&mut self) {
        for n in 0.. {
            let Some(transmit) = self.server.poll_transmit() else {
                break;
            };
            assert!(n < MAX_DRAIN, "transmits never end");
            assert!(
                self.open.contains(&transmit.connection),
                "sends to {}, which is not open",
                transmit.connection
            );
            let map = check_server_text(&transmit.text);
            if map["type"] == "joined" {
                let peer = map["peer"].as_str().unwrap_or_default().to_owned();
                let token = map["resume"].as_str().unwrap_or_default().to_owned();
                self.tokens.insert(peer, token);
                let peers = map["peers"].as_array().map_or(0, Vec::len);
                assert!(
                    peers < self.room_size,
                    "{peers} others in a room of {}",
                    self.room_size
                );
            }
        }
        for n in 0.. {
            let Some(event) = self.server.poll_event() else {
                break;
            };
            assert!(n < MAX_DRAIN, "events never end");
            if let ServerEvent::Close {
                connection, code, ..
            } = event
            {
                assert!(self.open.contains(&connection), "closes {connection}");
                assert!(code == 1000 || code == 1008, "close code {code}");
            }
        }
    }

    fn check_bounds(&self) {
        let stats = self.server.stats();
        assert!(stats.rooms <= MAX_ROOMS, "{stats:?}");
        assert!(stats.peers <= MAX_PEERS, "{stats:?}");
        assert!(stats.away <= stats.peers, "{stats:?}");
        assert!(stats.queued_bytes <= MAX_QUEUED_BYTES, "{stats:?}");
        assert_eq!(stats.connections, self.open.len(), "{stats:?}");
        for room in ROOMS {
            assert!(self.server.room_peers(room).len() <= self.room_size);
        }
    }

    fn step(&mut self, control: u8, clock: u8, body: &[u8]) {
        self.now += Duration::from_millis(u64::from(clock) * u64::from(clock) * 10);
        let slot = usize::from(control >> 2 & 7);
        match control & 3 {
            0 => {
                let c = self.connection(slot);
                let text = String::from_utf8_lossy(body);
                self.server.handle_text(self.now, c, &text);
            }
            1 => {
                let c = self.connection(slot);
                let peer = PEERS[usize::from(body.get(2).copied().unwrap_or(0)) % PEERS.len()];
                let token = self.tokens.get(peer).cloned();
                let text = build_message(body, token.as_deref());
                self.server.handle_text(self.now, c, &text);
            }
            2 => self.disconnect(slot),
            _ => {}
        }
        self.drain();
        if fire_due_timer(
            &mut self.server,
            self.now,
            Server::poll_timeout,
            Server::handle_timeout,
        ) {
            self.drain();
        }
        self.check_bounds();
    }
}

fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    let mut h = Harness::new(flags);
    for (control, clock, body) in steps(data.get(1..).unwrap_or_default(), 128) {
        h.step(control, clock, body);
    }
    // Every connection ends; after the grace period nothing is held.
    for slot in 0..8 {
        h.disconnect(slot);
    }
    h.now += Duration::from_secs(4);
    h.server.handle_timeout(h.now);
    h.drain();
    h.check_bounds();
    let stats = h.server.stats();
    assert_eq!(
        (
            stats.connections,
            stats.rooms,
            stats.peers,
            stats.away,
            stats.queued_bytes
        ),
        (0, 0, 0, 0, 0)
    );
});
