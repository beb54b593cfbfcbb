//! `rtw ws echo-server`: the peer Autobahn's fuzzingclient tests.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use rtw_tokio::drain::{Drain, Hold};
use rtw_tokio::listener::{Listener, ListenerConfig, Permit};
use rtw_tokio::tls::{MaybeTlsStream, TlsAcceptor};
use rtw_tokio::ws::{CloseCode, CloseFrame, Message, Options, accept_with};
use rtw_ws::handshake::{ExtensionOffer, ServerHandshake, ServerPolicy};
use tokio::net::TcpStream;

use super::Failure;
use crate::drain::DrainArgs;
use crate::metrics_endpoint::{self, ServerMetrics};
use crate::write_deadline::WriteDeadline;

/// Listen on `addr` with the caps of `listener` (connections over a cap
/// get 503 before any upgrade; TCP keepalive on every socket), print the
/// bound address, and echo on every connection until killed; over TLS
/// (wss) with `tls`, whose handshake must end within the opening
/// handshake's timeout. A connection whose writes make no progress for
/// `write_timeout` (its peer reads nothing) is closed and counted as a
/// drop. With `metrics`, its counters are served there
/// (`rtw_ws_echo_*`, the `metrics_endpoint` module). On SIGTERM or SIGINT
/// (`drain`): the listener is closed, every connection closed with 1001
/// Going Away, and it returns once they are all closed or after the drain
/// timeout.
pub(super) async fn serve(
    addr: &str,
    listener: ListenerConfig,
    (options, write_timeout): (Options, Duration),
    tls: Option<TlsAcceptor>,
    metrics: Option<SocketAddr>,
    drain_args: &DrainArgs,
    verbose: bool,
) -> Result<(), Failure> {
    let drain = drain_args.on_signal()?;
    let listener = Listener::bind(addr, listener).await?;
    let bound = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {bound}")?;
    stdout.flush()?;
    drop(stdout);
    let counters = ServerMetrics::new("ws_echo");
    if let Some(addr) = metrics {
        metrics_endpoint::serve(addr, counters.renderer()).await?;
    }
    if verbose {
        let c = listener.config();
        eprintln!(
            "caps: {} connections, {} per address",
            c.max_connections, c.max_connections_per_ip
        );
    }
    while let Some(accepted) = drain.unless_draining(listener.accept()).await {
        let (tcp, peer, permit) = accepted?;
        let open = counters.accepted();
        tokio::spawn(echo(
            WriteDeadline::new(tcp, write_timeout),
            peer,
            (permit, open, drain.hold()),
            options.clone(),
            tls.clone(),
            (drain.clone(), verbose),
        ));
    }
    drop(listener);
    drain_args.finish(&drain, "rtw ws echo-server").await;
    Ok(())
}

/// A connection's socket, whose writes time out when they make no
/// progress (the peer reads nothing).
type Tcp = WriteDeadline<TcpStream>;

/// Whether `e` is a write that made no progress within the write timeout.
fn stalled(e: &rtw_tokio::ws::WsError) -> bool {
    matches!(e, rtw_tokio::ws::WsError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// One connection: echo text and binary messages until the stream ends.
/// The permit holds its place under the listener's caps until then, and
/// the hold keeps the drain waiting for it.
async fn echo(
    tcp: Tcp,
    peer: SocketAddr,
    held: (Permit, metrics_endpoint::Open, Hold),
    options: Options,
    tls: Option<TlsAcceptor>,
    (drain, verbose): (Drain, bool),
) {
    tracing::debug!(%peer, "connection accepted");
    let counters = held.1.metrics();
    let reason = echo_until_closed(tcp, peer, counters, options, tls, (drain, verbose)).await;
    match reason {
        Ok(reason) => tracing::debug!(%peer, reason, "connection closed"),
        Err((e, true)) => {
            counters.dropped();
            tracing::info!(%peer, error = %e, "slow reader cut off");
        }
        Err((e, false)) => {
            counters.error();
            tracing::warn!(%peer, error = %e, "connection closed");
        }
    }
    drop(held);
}

/// Echoes until the connection ends: why it ended, or the error that
/// ended it and whether it was a write that timed out.
async fn echo_until_closed(
    tcp: Tcp,
    peer: SocketAddr,
    counters: &ServerMetrics,
    options: Options,
    tls: Option<TlsAcceptor>,
    (drain, verbose): (Drain, bool),
) -> Result<&'static str, (String, bool)> {
    // The handshake and its result live in this block only: what a task
    // keeps across the awaits of its loop is held for the whole connection
    // (memory per idle connection, benches/src/bin/ws_perf.rs).
    let mut ws = {
        let io = match tls {
            None => MaybeTlsStream::Plain(tcp),
            Some(acceptor) => {
                match rtw_tokio::tls::accept(&acceptor, tcp, options.handshake_timeout).await {
                    Ok(io) => io,
                    Err(e) => {
                        if verbose {
                            eprintln!("{peer}: TLS: {e}");
                        }
                        return Err((format!("TLS: {e}"), false));
                    }
                }
            }
        };
        // permessage-deflate (RFC 7692) is accepted unless `--no-deflate`.
        let deflate = options.deflate.clone();
        let handshake = ServerHandshake::with_policy(ServerPolicy::new().extension_negotiator(
            move |offers: &[ExtensionOffer]| {
                let response = deflate.as_ref().and_then(|d| d.negotiate(offers));
                response.map(|(r, _)| r).into_iter().collect()
            },
        ));
        // Boxed: its state is freed once the connection is open, instead of
        // sizing the task that holds the connection for its whole life.
        match Box::pin(accept_with(io, &handshake, options)).await {
            Ok((ws, _)) => ws,
            Err(e) => {
                if verbose {
                    eprintln!("{peer}: handshake: {e}");
                }
                return Err((format!("handshake: {e}"), false));
            }
        }
    };
    let mut outcome = Ok("closed");
    let draining = drain.draining();
    tokio::pin!(draining);
    let mut closing = false;
    loop {
        // Echo what already arrived without writing each echo on its own;
        // write them all (one vectored write) before waiting for more.
        let item = match ws.next().now_or_never() {
            Some(item) => item,
            None => {
                if let Err(e) = ws.flush().await {
                    if verbose {
                        eprintln!("{peer}: send: {e}");
                    }
                    return Err((format!("send: {e}"), stalled(&e)));
                }
                if closing {
                    ws.next().await
                } else {
                    tokio::select! {
                        item = ws.next() => item,
                        () = &mut draining => {
                            // 1001 Going Away (RFC 6455 §7.4.1); then read
                            // until the peer's close, which the stream's
                            // close timeout bounds.
                            closing = true;
                            let frame = CloseFrame::new(CloseCode::GOING_AWAY, "server shutting down");
                            if ws.send(Message::Close(Some(frame))).await.is_err() {
                                return Ok("drained");
                            }
                            outcome = Ok("drained");
                            continue;
                        }
                    }
                }
            }
        };
        let Some(item) = item else {
            break;
        };
        match item {
            // Sent after our close: not echoed (RFC 6455 §5.5.1).
            Ok(Message::Text(_) | Message::Binary(_)) if closing => {}
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                let len = match &message {
                    Message::Text(text) => text.len(),
                    Message::Binary(data) => data.len(),
                    _ => 0,
                };
                counters.received(len);
                // Waits only while the write buffer is full.
                if let Err(e) = ws.feed(message).await {
                    if verbose {
                        eprintln!("{peer}: send: {e}");
                    }
                    return Err((format!("send: {e}"), stalled(&e)));
                }
                counters.sent(len);
            }
            Ok(Message::Close(frame)) => {
                if verbose {
                    eprintln!("{peer}: close {frame:?}");
                }
                outcome = Ok("close frame");
            }
            Ok(_) => {}
            // The stream ends after an error; keep reading to close properly.
            Err(e) => {
                if verbose {
                    eprintln!("{peer}: {e}");
                }
                outcome = Err((e.to_string(), false));
            }
        }
    }
    outcome
}
