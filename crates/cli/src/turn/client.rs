//! `rtw turn client`: stdin's lines to a peer through a TURN relay,
//! [`rtw_tokio::turn::Client`]; the peer's datagrams printed.

use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use rtw_stun::Transport;
use rtw_tokio::turn::{Client, ClientConfig};
use tokio::sync::mpsc;

use super::{Failure, user_pass};
use crate::input::{Line, read_line};

/// The longest line sent: what fits in one Send indication or ChannelData
/// message with room for its header and attributes.
const MAX_LINE: usize = 65_000;

/// `rtw turn client` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The TURN server, e.g. 127.0.0.1:3478 (a host name is resolved).
    server: String,
    /// The long-term credentials, USER:PASS (a TURN REST API username
    /// `EXPIRY:NAME` works too).
    #[arg(long, value_name = "USER:PASS", value_parser = user_pass)]
    user: (String, String),
    /// The peer to relay to.
    #[arg(long, value_name = "IP:PORT")]
    peer: SocketAddr,
    /// Talk to the server over TCP instead of UDP (RFC 8656 §3.1).
    #[arg(long)]
    tcp: bool,
    /// Bind a channel to the peer (ChannelData, RFC 8656 §12) instead of
    /// sending Send indications under a permission.
    #[arg(long)]
    channel: bool,
    /// The realm the server must announce; by default any is accepted.
    #[arg(long, value_name = "REALM")]
    realm: Option<String>,
    /// At the end of stdin, seconds to wait for the peer's answers while
    /// fewer came back than went out.
    #[arg(long, value_name = "SECS", default_value = "2", value_parser = crate::serve_limits::seconds)]
    linger: Duration,
}

/// Allocate, relay stdin to the peer and print its answers.
pub(super) fn run(args: Args) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(relay(args))
}

async fn relay(args: Args) -> Result<(), Failure> {
    let server = tokio::net::lookup_host(&args.server)
        .await
        .map_err(|e| format!("resolving {}: {e}", args.server))?
        .next()
        .ok_or_else(|| format!("{} resolves to no address", args.server))?;
    let (user, pass) = args.user.clone();
    let transport = if args.tcp {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let config = ClientConfig::new(user, pass)
        .realm(args.realm.clone())
        .transport(transport);
    let mut client = Client::allocate(server, config)
        .await
        .map_err(|e| format!("allocate: {e}"))?;
    eprintln!(
        "relayed {} (mapped {})",
        client.relayed_address(),
        client.mapped_address()
    );
    if args.channel {
        client
            .bind_channel(args.peer)
            .await
            .map_err(|e| format!("channel bind to {}: {e}", args.peer))?;
    } else {
        client
            .create_permission(args.peer.ip())
            .await
            .map_err(|e| format!("permission for {}: {e}", args.peer.ip()))?;
    }

    let mut lines = stdin_lines();
    let (mut sent, mut received) = (0u64, 0u64);
    let mut stdin_open = true;
    loop {
        let linger = async {
            if stdin_open || received < sent {
                tokio::time::sleep(args.linger).await;
            }
        };
        tokio::select! {
            line = lines.recv(), if stdin_open => match line {
                Some(line) => {
                    client.send_to(args.peer, line).await?;
                    sent += 1;
                }
                None => stdin_open = false,
            },
            data = client.recv() => {
                let (from, data) = data?;
                if from == args.peer {
                    received += 1;
                }
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(&data)?;
                stdout.write_all(b"\n")?;
                stdout.flush()?;
            }
            () = linger, if !stdin_open => break,
        }
    }
    client.deallocate().await?;
    Ok(())
}

/// The lines of stdin, read on a thread of their own (stdin blocks);
/// lines longer than [`MAX_LINE`] are reported on stderr and skipped.
fn stdin_lines() -> mpsc::Receiver<Bytes> {
    let (sender, receiver) = mpsc::channel(64);
    std::thread::spawn(move || {
        let mut input = BufReader::new(std::io::stdin().lock());
        let mut line = Vec::new();
        loop {
            match read_line(&mut input, &mut line, MAX_LINE) {
                Ok(Some(Line::Complete)) => {
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    if sender.blocking_send(Bytes::copy_from_slice(&line)).is_err() {
                        return;
                    }
                }
                Ok(Some(Line::TooLong)) => {
                    eprintln!("a line of more than {MAX_LINE} bytes was not sent");
                }
                Ok(None) => return,
                Err(e) => {
                    eprintln!("reading stdin: {e}");
                    return;
                }
            }
        }
    });
    receiver
}
