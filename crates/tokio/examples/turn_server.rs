//! A TURN server on loopback, and two clients (one over UDP, one over
//! TCP) that relay to a UDP echo peer through it; the program exits once
//! both are done.
//!
//! ```sh
//! cargo run -p rtw-tokio --example turn_server
//! ```
//!
//! The server is what `rtw turn server` runs: UDP and TCP on one port,
//! relayed addresses in a port range, long-term credentials. Loopback
//! peers are refused by default (403); this example allows them, as tests
//! on one machine must.

use std::net::SocketAddr;
use std::time::Duration;

use rtw_stun::Transport;
use rtw_tokio::turn::{Client, ClientConfig, PeerPolicy, Server, ServerConfig, ServerOptions};
use tokio::net::UdpSocket;
use tokio::time::timeout;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ServerConfig::new("example.org")
        .user("alice", "secret")
        .peers(PeerPolicy::default().allow_loopback(true));
    let options = ServerOptions::new(config, "127.0.0.1:0".parse()?).relay_ports(49152..=49999);
    let server = Server::bind(options).await?;
    let address = server.local_addr();
    println!("TURN server listening on {address} (UDP and TCP)");
    let mut stats = server.stats();
    let task = server.spawn();

    // A peer that echoes what it gets.
    let peer = UdpSocket::bind("127.0.0.1:0").await?;
    let peer_address = peer.local_addr()?;
    tokio::spawn(async move {
        let mut buf = vec![0; 2048];
        while let Ok((n, from)) = peer.recv_from(&mut buf).await {
            let _ = peer.send_to(&buf[..n], from).await;
        }
    });

    for transport in [Transport::Udp, Transport::Tcp] {
        let config = ClientConfig::new("alice", "secret").transport(transport);
        let client = timeout(Duration::from_secs(10), Client::allocate(address, config)).await??;
        println!(
            "{transport:?} client: relayed address {}",
            client.relayed_address()
        );
        timeout(Duration::from_secs(10), relay(client, peer_address)).await??;
    }

    let stats = *timeout(
        Duration::from_secs(5),
        stats.wait_for(|s| s.relayed_to_clients >= 4),
    )
    .await??;
    println!(
        "relayed {} packets to peers and {} to clients",
        stats.relayed_to_peers, stats.relayed_to_clients
    );
    task.abort();
    Ok(())
}

/// Through a permission and Send indications, then a channel and
/// ChannelData: each message comes back from the echo peer.
async fn relay(mut client: Client, peer: SocketAddr) -> Result<(), rtw_tokio::turn::Error> {
    client.create_permission(peer.ip()).await?;
    client
        .send_to(peer, &b"hello through a Send indication"[..])
        .await?;
    let (from, data) = client.recv().await?;
    println!("  {from}: {}", String::from_utf8_lossy(&data));
    let channel = client.bind_channel(peer).await?;
    client
        .send_to(peer, &b"hello through ChannelData"[..])
        .await?;
    let (from, data) = client.recv().await?;
    println!(
        "  {from} (channel {:#06x}): {}",
        channel.0,
        String::from_utf8_lossy(&data)
    );
    client.deallocate().await
}
