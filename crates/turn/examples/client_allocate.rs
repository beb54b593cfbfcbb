//! A TURN client and server in one process, in virtual time, with no
//! sockets: the client allocates (through the 401 and the SHA-256
//! negotiation), asks for a permission, sends to a peer through a Send
//! indication and then through a channel, gets the peer's echoes back,
//! keeps everything refreshed for 20 virtual minutes, and deallocates.
//!
//! `cargo run -p rtw-turn --example client_allocate`

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_turn::SeededRandom;
use rtw_turn::client::{Client, ClientConfig, ClientEvent};
use rtw_turn::server::{
    FiveTuple, RelayAddresses, Server, ServerConfig, ServerEvent, ServerTransmit,
};
use rtw_turn::{Error, Transport};

/// The network: what the client sends reaches the server and back, the
/// server's relayed datagrams reach a peer that echoes them.
struct Net {
    client: Client,
    server: Server,
    server_addr: SocketAddr,
    client_addr: SocketAddr,
    peer: SocketAddr,
    next_port: u16,
    t0: Instant,
}

impl Net {
    fn five_tuple(&self) -> FiveTuple {
        FiveTuple::new(Transport::Udp, self.client_addr, self.server_addr)
    }

    /// Deliver until quiet; print and return the client's events.
    fn pump(&mut self, now: Instant) -> Vec<ClientEvent> {
        let mut events = Vec::new();
        loop {
            let mut busy = false;
            while let Some(t) = self.client.poll_transmit() {
                busy = true;
                self.server
                    .handle_client(now, self.five_tuple(), &t.contents);
            }
            while let Some(t) = self.server.poll_transmit() {
                busy = true;
                match t {
                    ServerTransmit::Client { contents, .. } => {
                        self.client.handle_input(now, self.server_addr, &contents);
                    }
                    ServerTransmit::Peer(t) => {
                        let relayed = t.source.expect("relayed datagrams name their source");
                        println!(
                            "{:>6.1}s  peer {} got {:?} from {relayed}, echoes it",
                            (now - self.t0).as_secs_f64(),
                            t.destination,
                            String::from_utf8_lossy(&t.contents)
                        );
                        self.server
                            .handle_peer(now, relayed, self.peer, &t.contents);
                    }
                }
            }
            while let Some(e) = self.server.poll_event() {
                busy = true;
                if let ServerEvent::OpenRelay(request) = e {
                    let relayed = SocketAddr::new(self.server_addr.ip(), self.next_port);
                    self.next_port += 2;
                    let addresses = RelayAddresses {
                        relayed,
                        additional: None,
                        reserved: None,
                    };
                    self.server.handle_relay(now, request.id, Ok(addresses));
                }
            }
            while let Some(e) = self.client.poll_event() {
                busy = true;
                println!("{:>6.1}s  client: {e:?}", (now - self.t0).as_secs_f64());
                events.push(e);
            }
            if !busy {
                return events;
            }
        }
    }
}

fn main() -> Result<(), Error> {
    let t0 = Instant::now();
    let server_addr: SocketAddr = "192.0.2.1:3478".parse().expect("an address");
    let server = Server::new(
        ServerConfig::new("example.org").user("alice", "secret"),
        Box::new(SeededRandom::new(1)),
    )?;
    let client = Client::new(
        server_addr,
        ClientConfig::new("alice", "secret"),
        Box::new(SeededRandom::new(2)),
    )?;
    let mut net = Net {
        client,
        server,
        server_addr,
        client_addr: "198.51.100.7:40000".parse().expect("an address"),
        peer: "203.0.113.5:7000".parse().expect("an address"),
        next_port: 50_000,
        t0,
    };
    let peer = net.peer;

    net.client.allocate(t0)?;
    let events = net.pump(t0);
    if !matches!(events[..], [ClientEvent::Allocated { .. }]) {
        return Err(Error::InvalidState("the allocation failed"));
    }

    net.client.create_permission(t0, peer.ip())?;
    net.pump(t0);
    net.client
        .send_to(t0, peer, b"hello through a Send indication")?;
    net.pump(t0);

    net.client.bind_channel(t0, peer)?;
    net.pump(t0);
    net.client
        .send_to(t0, peer, b"hello through channel data")?;
    net.pump(t0);

    // 20 minutes of virtual time: refreshes of the allocation, the
    // permission and the channel, each answered by the server.
    let end = t0 + Duration::from_secs(20 * 60);
    let mut now = t0;
    while let Some(next) = [net.client.poll_timeout(), net.server.poll_timeout()]
        .into_iter()
        .flatten()
        .min()
        .filter(|t| *t <= end)
    {
        now = next;
        net.client.handle_timeout(now);
        net.server.handle_timeout(now);
        for e in net.pump(now) {
            if let ClientEvent::Expired(error) = e {
                return Err(error);
            }
        }
    }
    now = now.max(end);
    net.client
        .send_to(now, peer, b"still relayed after 20 minutes")?;
    let echoed = net.pump(now);
    if !matches!(echoed[..], [ClientEvent::Data { .. }]) {
        return Err(Error::InvalidState("the relay stopped"));
    }

    net.client.deallocate(now)?;
    let events = net.pump(now);
    if events != [ClientEvent::Deallocated] {
        return Err(Error::InvalidState("deallocation failed"));
    }
    println!(
        "done: {} allocation(s) left on the server",
        net.server.stats().allocations
    );
    Ok(())
}
