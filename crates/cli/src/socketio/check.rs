//! `rtw socketio check URL`: scenarios run with rtw's Socket.IO client
//! against a server with `rtw serve`'s application on its namespace
//! (`crates/tokio/src/serve/socketio/mod.rs`; the npm `socket.io` server
//! of `conformance/socketio/server.cjs` has the same), one line per check
//! (`ok    NAME: what was seen` or `FAIL  NAME: WHY`), exit 1 if one
//! failed. Each check opens sessions of its own on `--transport`:
//!
//! | check | what the server must do (socket.io-protocol v5, engine.io-protocol v4) |
//! |---|---|
//! | `connect` | the handshake (open packet with a `sid`) and CONNECT answered with the socket's `sid` |
//! | `echo` | `echo` emitted back with the same JSON arguments (EVENT) |
//! | `echo binary` | the same with binary attachments, top-level and nested (BINARY_EVENT, placeholders) |
//! | `echo-ack` | `echo-ack` acknowledged with its arguments, binary included (ACK, BINARY_ACK) |
//! | `ack both ways` | `ask`: the server emits `question` asking for the client's ack, then acknowledges `ask` with the client's answer |
//! | `auth` | the CONNECT's `auth` object is seen: `auth` acknowledges with it |
//! | `refused namespace` | CONNECT to `/forbidden` answered with CONNECT_ERROR |
//! | `upgrade` | `--transport upgrade`: the session moves to WebSocket (`2probe`, `3probe`, `5`) and still echoes; `polling`: it stays on polling; `websocket`: WebSocket from the start |
//! | `rooms` | two sockets `join` a room; `to-room` reaches the other (with an attachment) and is acknowledged with the count 1 |

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_tokio::socketio::{Args, Client, ClientEvent, ClientOptions, Error, Transport};
use serde_json::{Value, json};

use crate::checks::{Failure, run_checks};

/// One check's outcome: what was seen, or why it failed.
type Step<T> = Result<T, String>;

/// `rtw socketio check` arguments.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CheckArgs {
    /// The server, `http://HOST:PORT[/PATH]` (path `/socket.io/` by
    /// default).
    url: String,
    /// The transports: `polling` only, `websocket` only, or polling
    /// `upgrade`d to WebSocket.
    #[arg(long, value_name = "TRANSPORT", default_value = "upgrade", value_parser = transport)]
    transport: Transport,
    /// The namespace the checks run on (the application's).
    #[arg(long, value_name = "NAMESPACE", default_value = "/")]
    namespace: String,
    /// How long to wait for each thing expected, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    wait: u64,
}

fn transport(name: &str) -> Result<Transport, String> {
    match name {
        "polling" => Ok(Transport::Polling),
        "websocket" => Ok(Transport::WebSocket),
        "upgrade" => Ok(Transport::Upgrade),
        other => Err(format!(
            "{other:?}: the transports are polling, websocket, upgrade"
        )),
    }
}

/// Every check, in the order they run.
const NAMES: [&str; 9] = [
    "connect",
    "echo",
    "echo binary",
    "echo-ack",
    "ack both ways",
    "auth",
    "refused namespace",
    "upgrade",
    "rooms",
];

/// Run every check, print one line each.
pub(super) async fn run(args: CheckArgs) -> Result<(), Failure> {
    let checker = Checker {
        args: args.clone(),
        tag: format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ),
    };
    let bound = checker.wait() * 4 + Duration::from_secs(5);
    run_checks("socketio check", &args.url, NAMES, bound, |name| {
        checker.run(name)
    })
    .await
}

struct Checker {
    args: CheckArgs,
    /// Names this run's room and auth token.
    tag: String,
}

impl Checker {
    fn wait(&self) -> Duration {
        Duration::from_millis(self.args.wait)
    }

    fn options(&self) -> ClientOptions {
        ClientOptions::default()
            .transport(self.args.transport)
            .namespace(self.args.namespace.clone())
            .connect_timeout(self.wait())
    }

    async fn open_with(&self, options: ClientOptions) -> Step<Client> {
        Client::connect(&self.args.url, options)
            .await
            .map_err(|e| format!("connect: {e}"))
    }

    async fn open(&self) -> Step<Client> {
        self.open_with(self.options()).await
    }

    async fn run(&self, name: &str) -> Step<String> {
        match name {
            "connect" => self.connect().await,
            "echo" => self.echo().await,
            "echo binary" => self.echo_binary().await,
            "echo-ack" => self.echo_ack().await,
            "ack both ways" => self.ack_both_ways().await,
            "auth" => self.auth().await,
            "refused namespace" => self.refused().await,
            "upgrade" => self.upgrade().await,
            "rooms" => self.rooms().await,
            other => Err(format!("no check {other:?}")),
        }
    }

    /// The next event, within `--wait`.
    async fn event(&self, client: &Client) -> Step<(String, Args, Option<u64>)> {
        match tokio::time::timeout(self.wait(), client.next_event()).await {
            Ok(Some(ClientEvent::Event { name, args, ack_id })) => Ok((name, args, ack_id)),
            Ok(Some(ClientEvent::Disconnected { reason })) => {
                Err(format!("disconnected: {reason}"))
            }
            Ok(_) => Err("the session ended".into()),
            Err(_) => Err(format!("no event within {} ms", self.args.wait)),
        }
    }

    async fn call(&self, client: &Client, name: &str, args: Args) -> Step<Args> {
        client
            .call(name, args, self.wait())
            .await
            .map_err(|e| format!("{name}: {e}"))
    }

    /// Emits `echo` with `args`; the `echo` back must carry the same
    /// arguments and bytes.
    async fn echo_round(&self, client: &Client, args: &Args) -> Step<()> {
        client
            .emit("echo", args.clone())
            .map_err(|e| format!("emit: {e}"))?;
        let (name, back, _) = self.event(client).await?;
        if name != "echo" {
            return Err(format!("got {name:?} instead of echo"));
        }
        same(args, &back)
    }

    async fn connect(&self) -> Step<String> {
        let client = self.open().await?;
        let seen = format!(
            "sid {} on {}, Engine.IO session {}, over {}",
            client.sid(),
            client.namespace(),
            client.engine_sid(),
            over(&client)
        );
        client.close().await;
        if client.sid().is_empty() {
            return Err("CONNECT answered with an empty sid".into());
        }
        Ok(seen)
    }

    async fn echo(&self) -> Step<String> {
        let client = self.open().await?;
        let args = Args::from(vec![
            json!("hello"),
            json!(2),
            json!({"nested": {"list": [1, "two", null, 3.5]}}),
            json!(true),
        ]);
        let result = self.echo_round(&client, &args).await;
        client.close().await;
        result.map(|()| "echo came back with the same 4 arguments".into())
    }

    async fn echo_binary(&self) -> Step<String> {
        let client = self.open().await?;
        let result = self.echo_round(&client, &binary_args()).await;
        client.close().await;
        result.map(|()| {
            "echo came back with its 3 attachments (1 top-level, 2 nested) byte for byte".into()
        })
    }

    async fn echo_ack(&self) -> Step<String> {
        let client = self.open().await?;
        let args =
            Args::from(vec![json!("ack me"), json!(7)]).binary(Bytes::from_static(b"\x00\xff"));
        let result = self.call(&client, "echo-ack", args.clone()).await;
        client.close().await;
        same(&args, &result?)?;
        Ok("acknowledged with the same 3 arguments, 1 attachment".into())
    }

    async fn ack_both_ways(&self) -> Step<String> {
        let client = self.open().await?;
        let answer = Args::from(vec![json!("answer")]).binary(Bytes::from_static(b"\x01\x02\x03"));
        let ask = self.call(
            &client,
            "ask",
            Args::from(vec![json!("question"), json!(1), json!("two")]),
        );
        let respond = async {
            let (name, args, ack_id) = self.event(&client).await?;
            if name != "question" || args.values != [json!(1), json!("two")] {
                return Err(format!(
                    "expected question(1, \"two\"), got {name}{:?}",
                    args.values
                ));
            }
            let id = ack_id.ok_or("the question asked for no ack")?;
            client
                .ack(id, answer.clone())
                .map_err(|e| format!("ack: {e}"))?;
            Ok(id)
        };
        let (asked, responded) = tokio::join!(ask, respond);
        client.close().await;
        let id = responded?;
        same(&answer, &asked?)?;
        Ok(format!(
            "the server's question (ack id {id}) answered; ask acknowledged with that answer"
        ))
    }

    async fn auth(&self) -> Step<String> {
        let auth = json!({"token": format!("rtw-check-{}", self.tag)});
        let client = self.open_with(self.options().auth(auth.clone())).await?;
        let result = self.call(&client, "auth", Args::new()).await;
        client.close().await;
        let back = result?;
        if back.values != [auth.clone()] {
            return Err(format!("auth acknowledged {:?}, not [{auth}]", back.values));
        }
        Ok(format!("auth acknowledged with the CONNECT's {auth}"))
    }

    async fn refused(&self) -> Step<String> {
        let options = self.options().namespace("/forbidden");
        match Client::connect(&self.args.url, options).await {
            Err(Error::Refused { message, data }) => Ok(format!(
                "/forbidden refused with CONNECT_ERROR, message {:?}{}",
                message.as_deref().unwrap_or(""),
                data.map(|d| format!(", data {d}")).unwrap_or_default()
            )),
            Ok(client) => {
                client.close().await;
                Err("/forbidden was accepted".into())
            }
            Err(e) => Err(format!("no CONNECT_ERROR: {e}")),
        }
    }

    async fn upgrade(&self) -> Step<String> {
        let client = self.open().await?;
        let result = self.upgrade_on(&client).await;
        client.close().await;
        result
    }

    async fn upgrade_on(&self, client: &Client) -> Step<String> {
        let started = Instant::now();
        let seen = match self.args.transport {
            Transport::WebSocket => {
                if !client.is_websocket() {
                    return Err("a WebSocket-only session is not on WebSocket".into());
                }
                "on WebSocket from the handshake on".to_owned()
            }
            Transport::Polling => {
                tokio::time::sleep(Duration::from_millis(1000)).await;
                if client.is_websocket() {
                    return Err("a polling-only session moved to WebSocket".into());
                }
                "still on polling after 1 s".to_owned()
            }
            _ => {
                while !client.is_websocket() {
                    if started.elapsed() > self.wait() {
                        return Err(format!("still on polling after {} ms", self.args.wait));
                    }
                    if let Some(reason) = client.ended() {
                        return Err(format!("the session ended: {reason}"));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                format!(
                    "started on polling, on WebSocket {} ms after CONNECT",
                    started.elapsed().as_millis()
                )
            }
        };
        self.echo_round(client, &binary_args())
            .await
            .map_err(|e| format!("{seen}, then echo: {e}"))?;
        Ok(format!("{seen}; echo with attachments after it"))
    }

    async fn rooms(&self) -> Step<String> {
        let a = self.open().await?;
        let b = match self.open().await {
            Ok(b) => b,
            Err(e) => {
                a.close().await;
                return Err(e);
            }
        };
        let result = self.rooms_with(&a, &b).await;
        a.close().await;
        b.close().await;
        result
    }

    async fn rooms_with(&self, a: &Client, b: &Client) -> Step<String> {
        let room = format!("rtw-check-{}", self.tag);
        for client in [a, b] {
            self.call(client, "join", Args::from(vec![json!(room)]))
                .await?;
        }
        let sent = Args::from(vec![json!(room), json!("hey")]).binary(Bytes::from_static(b"\x07"));
        let count = self.call(a, "to-room", sent).await?;
        if count.values != [json!(1)] {
            return Err(format!(
                "to-room acknowledged {:?}, not [1] (the other socket only)",
                count.values
            ));
        }
        let (name, args, _) = self.event(b).await.map_err(|e| format!("b: {e}"))?;
        let want = Args::from(vec![json!("hey")]).binary(Bytes::from_static(b"\x07"));
        if name != "to-room" {
            return Err(format!("b got {name:?} instead of to-room"));
        }
        same(&want, &args).map_err(|e| format!("b: {e}"))?;
        Ok(format!(
            "2 sockets joined {room}; to-room reached the other with its attachment, acknowledged [1]"
        ))
    }
}

fn over(client: &Client) -> &'static str {
    if client.is_websocket() {
        "WebSocket"
    } else {
        "polling"
    }
}

/// Arguments with three attachments: one top-level, two nested in an
/// object and an array.
fn binary_args() -> Args {
    let all: Vec<u8> = (0..=255).collect();
    let mut args = Args::from(vec![json!("photo")]).binary(Bytes::from_static(b"\x00\x01\xff"));
    args.values.push(json!({
        "nested": {"bytes": rtw_socketio_placeholder(1), "list": [rtw_socketio_placeholder(2), "x"]},
    }));
    args.attachments.push(Bytes::from(all));
    args.attachments.push(Bytes::from_static(b"\xfe"));
    args
}

fn rtw_socketio_placeholder(num: usize) -> Value {
    json!({"_placeholder": true, "num": num})
}

/// `Ok` when `got` carries the same values as `want`, attachments compared
/// by their bytes wherever they sit (the peer may number them otherwise).
fn same(want: &Args, got: &Args) -> Step<()> {
    let (want_v, got_v) = (resolved(want), resolved(got));
    if want_v == got_v && want.attachments.len() == got.attachments.len() {
        Ok(())
    } else {
        Err(format!("sent {want_v}, got {got_v}"))
    }
}

/// `args`' values with each placeholder replaced by `{"binary": "HEX"}`.
fn resolved(args: &Args) -> Value {
    fn walk(args: &Args, value: &Value) -> Value {
        if let Some(bytes) = args.attachment(value) {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            return json!({ "binary": hex });
        }
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(args, v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(args, v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    Value::Array(args.values.iter().map(|v| walk(args, v)).collect())
}
