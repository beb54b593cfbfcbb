//! `rtw stun server ADDR`: a Binding server, [`rtw_tokio::stun::Server`].

use std::io::Write;

use rtw_stun::Message;
use rtw_tokio::stun::{Exchange, Server};

use super::Failure;

/// Listen on `addr`, print the bound address, and answer until killed.
pub(super) async fn run(addr: &str, verbose: bool) -> Result<(), Failure> {
    let server = Server::bind(addr)
        .await
        .map_err(|e| format!("binding {addr}: {e}"))?;
    let bound = server.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {bound}")?;
    stdout.flush()?;
    drop(stdout);
    if verbose {
        server.run_with(report).await?;
    } else {
        server.run().await?;
    }
    Ok(())
}

/// One line on stderr per datagram: who, what came, what went back.
fn report(exchange: Exchange<'_>) {
    let what = |bytes: &[u8]| match Message::parse(bytes) {
        Ok(msg) => format!(
            "{} {:?} {}",
            msg.method().name().unwrap_or("unknown method"),
            msg.class(),
            msg.transaction_id()
        ),
        Err(e) => format!("{} bytes, not STUN: {e}", bytes.len()),
    };
    match exchange.reply {
        Some(reply) => eprintln!(
            "{}: {} -> {}",
            exchange.from,
            what(exchange.datagram),
            what(reply)
        ),
        None => eprintln!("{}: {} -> dropped", exchange.from, what(exchange.datagram)),
    }
}
