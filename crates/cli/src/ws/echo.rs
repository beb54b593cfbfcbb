//! `rtw ws echo-server`: the peer Autobahn's fuzzingclient tests.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::ws::{Message, Options, accept_with};
use rtw_ws::handshake::{ExtensionOffer, ServerHandshake, ServerPolicy};
use tokio::net::{TcpListener, TcpStream};

use super::Failure;

/// Listen on `addr`, print the bound address, and echo on every connection
/// until killed.
pub(super) async fn serve(addr: &str, options: Options, verbose: bool) -> Result<(), Failure> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {bound}")?;
    stdout.flush()?;
    drop(stdout);
    loop {
        match listener.accept().await {
            Ok((tcp, peer)) => {
                tokio::spawn(echo(tcp, peer, options.clone(), verbose));
            }
            // Out of file descriptors, say: the next accept may work.
            Err(e) => {
                eprintln!("rtw ws echo-server: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One connection: echo text and binary messages until the stream ends.
async fn echo(tcp: TcpStream, peer: SocketAddr, options: Options, verbose: bool) {
    let _ = tcp.set_nodelay(true);
    // permessage-deflate (RFC 7692) is accepted unless `--no-deflate`.
    let deflate = options.deflate.clone();
    let handshake = ServerHandshake::with_policy(ServerPolicy::new().extension_negotiator(
        move |offers: &[ExtensionOffer]| {
            let response = deflate.as_ref().and_then(|d| d.negotiate(offers));
            response.map(|(r, _)| r).into_iter().collect()
        },
    ));
    let (mut ws, _) = match accept_with(tcp, &handshake, options).await {
        Ok(accepted) => accepted,
        Err(e) => {
            if verbose {
                eprintln!("{peer}: handshake: {e}");
            }
            return;
        }
    };
    while let Some(item) = ws.next().await {
        match item {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                if let Err(e) = ws.send(message).await {
                    if verbose {
                        eprintln!("{peer}: send: {e}");
                    }
                    break;
                }
            }
            Ok(Message::Close(frame)) if verbose => eprintln!("{peer}: close {frame:?}"),
            Ok(_) => {}
            // The stream ends after an error; keep reading to close properly.
            Err(e) if verbose => eprintln!("{peer}: {e}"),
            Err(_) => {}
        }
    }
}
