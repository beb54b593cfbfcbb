//! A WebSocket echo server behind the capped listener, and a client that
//! talks to it, on loopback; the program exits once the client is done.
//!
//! ```sh
//! cargo run -p rtw-tokio --example ws_echo_server
//! ```
//!
//! The server side is what a push server built on rtw-tokio looks like:
//! [`Listener`] caps connections (in total and per client address,
//! answering the rest with 503), `accept` runs the opening handshake
//! (RFC 6455 §4.2) with its timeout, and the stream answers pings and
//! close frames itself and closes TCP first (§7.1.1).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::listener::{Listener, ListenerConfig};
use rtw_tokio::ws::{Message, WsError, accept, connect};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ListenerConfig::default()
        .max_connections(100)
        .max_connections_per_ip(10);
    let listener = Listener::bind("127.0.0.1:0", config).await?;
    let addr = listener.local_addr()?;
    println!("echo server listening on {addr}");

    tokio::spawn(async move {
        while let Ok((tcp, peer, permit)) = listener.accept().await {
            tokio::spawn(async move {
                // The permit holds the connection's slot until it ends.
                let _permit = permit;
                if let Err(e) = echo(tcp).await {
                    eprintln!("{peer}: {e}");
                }
            });
        }
    });

    // The client: three messages, their echoes, then the closing handshake.
    let client = async {
        let (mut ws, _) = connect(&format!("ws://{addr}/echo")).await?;
        for text in ["one", "two", "three"] {
            ws.send(Message::text(text)).await?;
            let echo = ws.next().await.transpose()?;
            println!("sent {text:?}, got {echo:?}");
            assert_eq!(echo, Some(Message::text(text)));
        }
        ws.close().await?;
        Ok::<_, WsError>(())
    };
    tokio::time::timeout(Duration::from_secs(10), client).await??;
    println!("closed cleanly");
    Ok(())
}

/// Echo every data message until the peer closes.
async fn echo(tcp: tokio::net::TcpStream) -> Result<(), WsError> {
    let (mut ws, _negotiated) = accept(tcp).await?;
    while let Some(message) = ws.next().await.transpose()? {
        if let Message::Text(_) | Message::Binary(_) = message {
            ws.send(message).await?;
        }
    }
    Ok(())
}
