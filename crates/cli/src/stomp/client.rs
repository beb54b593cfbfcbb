//! `rtw stomp send` and `rtw stomp subscribe`: [`StompClient`] on a
//! `tcp://`, `stomps://`, `ws://` or `wss://` URL.

use std::io::Write;

use rtw_tokio::stomp::{AckMode, ClientConfig, ClientEvent, Frame, FrameOptions, StompClient};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::Failure;

/// The CONNECT headers every client command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Login {
    /// The `login` header.
    #[arg(long)]
    login: Option<String>,
    /// The `passcode` header.
    #[arg(long)]
    passcode: Option<String>,
    /// The `host` header (the virtual host).
    #[arg(long, default_value = "/")]
    host: String,
    #[command(flatten)]
    ca: crate::http_server::CaArg,
}

impl Login {
    /// The TLS configuration of `stomps://` and `wss://` URLs: `--ca`'s,
    /// or `None` for the platform's roots.
    pub(crate) fn tls(
        &self,
    ) -> Result<Option<std::sync::Arc<rtw_tokio::tls::ClientConfig>>, rtw_tokio::tls::TlsError>
    {
        self.ca.client_config()
    }

    /// The client configuration with these headers.
    pub(crate) fn config(&self) -> ClientConfig {
        ClientConfig::default()
            .host(self.host.clone())
            .login(self.login.clone())
            .passcode(self.passcode.clone())
    }
}

/// What `send` and `subscribe` take.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Connection {
    /// `tcp://HOST:PORT`, `stomps://HOST:PORT` (TLS), `ws://HOST:PORT/PATH`
    /// or `wss://HOST:PORT/PATH`.
    url: String,
    /// The destination, e.g. /topic/news or /queue/jobs.
    destination: String,
    #[command(flatten)]
    login: Login,
}

impl Connection {
    async fn open(&self) -> Result<StompClient, Failure> {
        let tls = self.login.tls()?;
        Ok(StompClient::connect_tls(&self.url, self.login.config(), tls).await?)
    }
}

/// `rtw stomp send` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    connection: Connection,
}

/// `rtw stomp subscribe` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct SubscribeArgs {
    #[command(flatten)]
    connection: Connection,
    /// The acknowledgement mode (STOMP 1.2 "SUBSCRIBE ack Header"); in
    /// the client modes every message printed is acknowledged.
    #[arg(long, value_enum, default_value = "auto")]
    ack: Ack,
    /// Stop after this many messages (then disconnect gracefully).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
}

/// `--ack`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Ack {
    Auto,
    Client,
    ClientIndividual,
}

impl From<Ack> for AckMode {
    fn from(ack: Ack) -> Self {
        match ack {
            Ack::Auto => AckMode::Auto,
            Ack::Client => AckMode::Client,
            Ack::ClientIndividual => AckMode::ClientIndividual,
        }
    }
}

/// Each line of stdin as one SEND, then DISCONNECT with a receipt: its
/// RECEIPT means the broker has handled every frame before it (STOMP 1.2
/// "DISCONNECT").
pub(super) async fn send(args: SendArgs) -> Result<(), Failure> {
    let mut stomp = args.connection.open().await?;
    let destination = &args.connection.destination;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        stomp
            .session()
            .send(destination, line.into_bytes(), FrameOptions::default())?;
        stomp.flush().await?;
    }
    stomp.session().disconnect()?;
    finish(&mut stomp).await
}

/// Print each message's body on its own line; acknowledge it in the
/// client modes.
pub(super) async fn subscribe(args: SubscribeArgs) -> Result<(), Failure> {
    let mut stomp = args.connection.open().await?;
    let ack = AckMode::from(args.ack);
    stomp
        .session()
        .subscribe(&args.connection.destination, ack)?;
    let mut seen = 0;
    if args.count == Some(0) {
        stomp.session().disconnect()?;
        return finish(&mut stomp).await;
    }
    loop {
        match stomp.next_event().await? {
            ClientEvent::Message(message) => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(message.body())?;
                stdout.write_all(b"\n")?;
                stdout.flush()?;
                drop(stdout);
                if ack != AckMode::Auto {
                    stomp.session().ack(&message)?;
                }
                seen += 1;
                if args.count.is_some_and(|n| seen >= n) {
                    stomp.session().disconnect()?;
                    return finish(&mut stomp).await;
                }
            }
            ClientEvent::Error(frame) => return Err(server_error(&frame)),
            ClientEvent::Failed(e) => return Err(e.into()),
            ClientEvent::HeartBeatTimeout => {
                return Err("the server went silent (heart-beat)".into());
            }
            ClientEvent::Disconnected => return Err("the server ended the session".into()),
            _ => {}
        }
    }
}

/// Run the session to its end after DISCONNECT: `Ok` when the RECEIPT
/// came.
async fn finish(stomp: &mut StompClient) -> Result<(), Failure> {
    let mut receipt = false;
    loop {
        match stomp.next_event().await? {
            ClientEvent::Receipt(_) => receipt = true,
            ClientEvent::Error(frame) => return Err(server_error(&frame)),
            ClientEvent::Failed(e) => return Err(e.into()),
            ClientEvent::Disconnected if receipt => return Ok(()),
            ClientEvent::Disconnected => return Err("no RECEIPT for DISCONNECT".into()),
            _ => {}
        }
    }
}

/// The server's ERROR frame as the command's failure: its `message`
/// header (STOMP 1.2 "ERROR").
fn server_error(frame: &Frame) -> Failure {
    format!(
        "ERROR from the server: {}",
        frame.header("message").unwrap_or("(no message)")
    )
    .into()
}
