//! `rtw ws client`: an interactive client on stdin and stdout.

use std::io::Write;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use rtw_tokio::tls::{ClientConfig, MaybeTlsStream};
use rtw_tokio::ws::{ClientOptions, Message, Options, WsReader, connect_any};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;

use super::Failure;

/// Connect to `url` (`ws://`, or `wss://` trusting `tls`, else the
/// platform's roots), send stdin's lines, print what arrives; close at the
/// end of stdin, and stop when the server closes.
pub(super) async fn run(
    url: &str,
    binary: bool,
    options: Options,
    tls: Option<Arc<ClientConfig>>,
) -> Result<(), Failure> {
    let mut client = ClientOptions::new().stream_options(options);
    if let Some(tls) = tls {
        client = client.tls(tls);
    }
    let (ws, _) = connect_any(url, client).await?;
    let (reader, mut writer) = ws.split();
    let mut printing = tokio::spawn(print_messages(reader));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => match line? {
                Some(line) => {
                    let message = if binary {
                        Message::binary(line.into_bytes())
                    } else {
                        Message::text(line)
                    };
                    if writer.send(message).await.is_err() {
                        // The server closed; the printer says why.
                        break;
                    }
                }
                None => {
                    writer.close().await?;
                    break;
                }
            },
            printed = &mut printing => return printed?,
        }
    }
    printing.await?
}

/// Print every text and binary message followed by a newline; report the
/// server's close frame on stderr.
async fn print_messages(mut reader: WsReader<MaybeTlsStream<TcpStream>>) -> Result<(), Failure> {
    while let Some(item) = reader.next().await {
        let bytes = match item? {
            Message::Text(text) => text.into_bytes(),
            Message::Binary(bytes) => bytes,
            Message::Close(Some(frame)) if frame.reason.is_empty() => {
                eprintln!("closed: {}", frame.code);
                continue;
            }
            Message::Close(Some(frame)) => {
                eprintln!("closed: {} {}", frame.code, frame.reason.as_str());
                continue;
            }
            Message::Close(None) => {
                eprintln!("closed");
                continue;
            }
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(&bytes)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}
