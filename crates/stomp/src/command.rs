//! STOMP commands (STOMP 1.2 "Client Frames" and "Server Frames").

/// A frame's command, the first line of every frame (STOMP 1.2 "Frames
/// and Headers"). Commands are case-sensitive upper-case words.
///
/// ```
/// use rtw_stomp::Command;
///
/// assert_eq!(Command::parse(b"SEND"), Some(Command::Send));
/// assert_eq!(Command::Send.as_str(), "SEND");
/// assert_eq!(Command::parse(b"send"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// `CONNECT` (client; "CONNECT or STOMP Frame").
    Connect,
    /// `STOMP` (client; the 1.1+ spelling of CONNECT).
    Stomp,
    /// `CONNECTED` (server; "CONNECTED Frame").
    Connected,
    /// `SEND` (client).
    Send,
    /// `SUBSCRIBE` (client).
    Subscribe,
    /// `UNSUBSCRIBE` (client).
    Unsubscribe,
    /// `ACK` (client).
    Ack,
    /// `NACK` (client, 1.1+).
    Nack,
    /// `BEGIN` (client).
    Begin,
    /// `COMMIT` (client).
    Commit,
    /// `ABORT` (client).
    Abort,
    /// `DISCONNECT` (client).
    Disconnect,
    /// `MESSAGE` (server).
    Message,
    /// `RECEIPT` (server).
    Receipt,
    /// `ERROR` (server).
    Error,
}

impl Command {
    /// Every command, in the order of the enum.
    pub const ALL: [Command; 15] = [
        Command::Connect,
        Command::Stomp,
        Command::Connected,
        Command::Send,
        Command::Subscribe,
        Command::Unsubscribe,
        Command::Ack,
        Command::Nack,
        Command::Begin,
        Command::Commit,
        Command::Abort,
        Command::Disconnect,
        Command::Message,
        Command::Receipt,
        Command::Error,
    ];

    /// The command as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Connect => "CONNECT",
            Command::Stomp => "STOMP",
            Command::Connected => "CONNECTED",
            Command::Send => "SEND",
            Command::Subscribe => "SUBSCRIBE",
            Command::Unsubscribe => "UNSUBSCRIBE",
            Command::Ack => "ACK",
            Command::Nack => "NACK",
            Command::Begin => "BEGIN",
            Command::Commit => "COMMIT",
            Command::Abort => "ABORT",
            Command::Disconnect => "DISCONNECT",
            Command::Message => "MESSAGE",
            Command::Receipt => "RECEIPT",
            Command::Error => "ERROR",
        }
    }

    /// The command spelled by `bytes` exactly (no line end), or `None`.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        Some(match bytes {
            b"CONNECT" => Command::Connect,
            b"STOMP" => Command::Stomp,
            b"CONNECTED" => Command::Connected,
            b"SEND" => Command::Send,
            b"SUBSCRIBE" => Command::Subscribe,
            b"UNSUBSCRIBE" => Command::Unsubscribe,
            b"ACK" => Command::Ack,
            b"NACK" => Command::Nack,
            b"BEGIN" => Command::Begin,
            b"COMMIT" => Command::Commit,
            b"ABORT" => Command::Abort,
            b"DISCONNECT" => Command::Disconnect,
            b"MESSAGE" => Command::Message,
            b"RECEIPT" => Command::Receipt,
            b"ERROR" => Command::Error,
            _ => return None,
        })
    }

    /// Whether header values of this command are written and read without
    /// escapes in every version: CONNECT, STOMP and CONNECTED (STOMP 1.2
    /// "Value Encoding"; STOMP is CONNECT spelled anew, so it is treated
    /// alike).
    pub fn is_unescaped(self) -> bool {
        matches!(self, Command::Connect | Command::Stomp | Command::Connected)
    }

    /// Whether the specification lets this frame carry a body: SEND,
    /// MESSAGE and ERROR (STOMP 1.2 "Body").
    pub fn may_have_body(self) -> bool {
        matches!(self, Command::Send | Command::Message | Command::Error)
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
