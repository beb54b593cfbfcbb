//! The Socket.IO v5 packet codec (socket.io-protocol v5, "Packet
//! encoding").
//!
//! A packet is written `<type>[<#attachments>-][<namespace>,][<ack id>][JSON data]`:
//! the namespace is left out when it is `/`, the attachment count is only
//! written for BINARY_EVENT (5) and BINARY_ACK (6), and the binary
//! attachments follow as that many Engine.IO binary messages, in order.
//!
//! # Binary data
//!
//! [`Packet::data`] is the JSON exactly as it goes over the wire: each
//! binary value is a placeholder `{"_placeholder":true,"num":N}` (see
//! [`placeholder`]) naming [`Packet::attachments`]`[N]`. [`encode`] does
//! not move binaries into the JSON or out of it; [`Args::binary`] builds
//! arguments with placeholders, and [`Args::attachment`] resolves one.

use bytes::Bytes;
use serde_json::Value;

use crate::{Error, Limits};

/// One Engine.IO message of a session: a text message carries a packet,
/// a binary message carries one attachment. The Engine.IO layer prefixes
/// text with its message type `4` (and binary in polling with `b` and
/// base64); those are its own and not seen here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineMessage {
    /// A text message: one encoded packet.
    Text(String),
    /// A binary message: one attachment of the binary packet before it.
    Binary(Bytes),
}

/// The packet types of Socket.IO v5, with their wire digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketKind {
    /// `0`: the client asks to join a namespace (data: the `auth` object);
    /// the server answers with `{"sid":...}`.
    Connect,
    /// `1`: leaves a namespace.
    Disconnect,
    /// `2`: an event, data `[name, args...]`, with an ack id when the
    /// sender wants an answer.
    Event,
    /// `3`: the answer to an event, data `[args...]`, with its ack id.
    Ack,
    /// `4`: the server refuses a CONNECT, data `{"message":...}` (and
    /// `"data"`).
    ConnectError,
    /// `5`: an EVENT with binary attachments.
    BinaryEvent,
    /// `6`: an ACK with binary attachments.
    BinaryAck,
}

impl PacketKind {
    /// The wire digit, `0` to `6`.
    pub fn code(self) -> u8 {
        match self {
            PacketKind::Connect => 0,
            PacketKind::Disconnect => 1,
            PacketKind::Event => 2,
            PacketKind::Ack => 3,
            PacketKind::ConnectError => 4,
            PacketKind::BinaryEvent => 5,
            PacketKind::BinaryAck => 6,
        }
    }

    /// The kind of a wire digit.
    pub fn from_code(code: u8) -> Option<PacketKind> {
        Some(match code {
            0 => PacketKind::Connect,
            1 => PacketKind::Disconnect,
            2 => PacketKind::Event,
            3 => PacketKind::Ack,
            4 => PacketKind::ConnectError,
            5 => PacketKind::BinaryEvent,
            6 => PacketKind::BinaryAck,
            _ => return None,
        })
    }

    /// EVENT or BINARY_EVENT.
    pub fn is_event(self) -> bool {
        matches!(self, PacketKind::Event | PacketKind::BinaryEvent)
    }

    /// ACK or BINARY_ACK.
    pub fn is_ack(self) -> bool {
        matches!(self, PacketKind::Ack | PacketKind::BinaryAck)
    }
}

/// Event names socket.io reserves: never sent or accepted as events.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The placeholder `{"_placeholder":true,"num":num}` standing for
/// attachment `num` in a packet's JSON.
pub fn placeholder(num: usize) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("_placeholder".into(), Value::Bool(true));
    map.insert("num".into(), Value::from(num));
    Value::Object(map)
}

/// `Some(num)` when `value` is an object with `"_placeholder":true` and
/// an integer `num`; `Some(None)` when it has `"_placeholder":true` but no
/// valid `num`; `None` when it is not a placeholder.
fn as_placeholder(value: &Value) -> Option<Option<usize>> {
    let map = value.as_object()?;
    if map.get("_placeholder") != Some(&Value::Bool(true)) {
        return None;
    }
    Some(
        map.get("num")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok()),
    )
}

/// Checks every placeholder in `value` names an attachment below `count`.
fn check_placeholders(value: &Value, count: usize) -> Result<(), Error> {
    if let Some(num) = as_placeholder(value) {
        return match num {
            Some(n) if n < count => Ok(()),
            _ => Err(Error::BadPlaceholder),
        };
    }
    match value {
        Value::Array(items) => items.iter().try_for_each(|v| check_placeholders(v, count)),
        Value::Object(map) => map.values().try_for_each(|v| check_placeholders(v, count)),
        _ => Ok(()),
    }
}

/// The arguments of an event or an acknowledgement: JSON values, in which
/// binary values are placeholders naming `attachments`.
///
/// ```
/// use bytes::Bytes;
/// use rtw_socketio::Args;
/// use serde_json::json;
///
/// let args = Args::new().arg(json!("photo")).binary(Bytes::from_static(b"\x01\x02"));
/// assert_eq!(args.values[1], json!({"_placeholder": true, "num": 0}));
/// assert_eq!(args.attachment(&args.values[1]), Some(&Bytes::from_static(b"\x01\x02")));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// The JSON arguments, placeholders included.
    pub values: Vec<Value>,
    /// The binary attachments the placeholders name, in order.
    pub attachments: Vec<Bytes>,
}

impl Args {
    /// No arguments.
    pub fn new() -> Self {
        Args::default()
    }

    /// Appends a JSON argument.
    #[must_use]
    pub fn arg(mut self, value: Value) -> Self {
        self.values.push(value);
        self
    }

    /// Appends a binary argument: a placeholder in `values`, the bytes in
    /// `attachments`.
    #[must_use]
    pub fn binary(mut self, bytes: Bytes) -> Self {
        self.values.push(placeholder(self.attachments.len()));
        self.attachments.push(bytes);
        self
    }

    /// The attachment `value` stands for, when it is a placeholder naming
    /// one of `attachments`.
    pub fn attachment(&self, value: &Value) -> Option<&Bytes> {
        self.attachments.get(as_placeholder(value)??)
    }
}

impl From<Vec<Value>> for Args {
    fn from(values: Vec<Value>) -> Self {
        Args {
            values,
            attachments: Vec::new(),
        }
    }
}

/// One Socket.IO packet, attachments included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The packet type. [`encode`] writes EVENT and BINARY_EVENT (ACK and
    /// BINARY_ACK) alike, as the binary kind when there are attachments.
    pub kind: PacketKind,
    /// The namespace, `/` by default; it starts with `/` and holds no `,`.
    pub namespace: String,
    /// The acknowledgement id of an EVENT that wants an answer, or of an
    /// ACK.
    pub ack_id: Option<u64>,
    /// The JSON payload as on the wire, placeholders included; `None` when
    /// the packet has none (a DISCONNECT, a CONNECT without auth).
    pub data: Option<Value>,
    /// The binary attachments of a BINARY_EVENT or BINARY_ACK; empty
    /// otherwise.
    pub attachments: Vec<Bytes>,
}

impl Packet {
    fn new(kind: PacketKind, namespace: &str, data: Option<Value>) -> Packet {
        Packet {
            kind,
            namespace: namespace.to_owned(),
            ack_id: None,
            data,
            attachments: Vec::new(),
        }
    }

    /// A CONNECT to `namespace`, with the `auth` payload if any.
    pub fn connect(namespace: &str, auth: Option<Value>) -> Packet {
        Packet::new(PacketKind::Connect, namespace, auth)
    }

    /// The server's CONNECT answer, `{"sid":sid}`.
    pub fn connect_ok(namespace: &str, sid: &str) -> Packet {
        let mut map = serde_json::Map::new();
        map.insert("sid".into(), Value::String(sid.to_owned()));
        Packet::connect(namespace, Some(Value::Object(map)))
    }

    /// A CONNECT_ERROR `{"message":message}`, with `"data"` if given.
    pub fn connect_error(namespace: &str, message: &str, data: Option<Value>) -> Packet {
        let mut map = serde_json::Map::new();
        map.insert("message".into(), Value::String(message.to_owned()));
        if let Some(data) = data {
            map.insert("data".into(), data);
        }
        Packet::new(
            PacketKind::ConnectError,
            namespace,
            Some(Value::Object(map)),
        )
    }

    /// A DISCONNECT from `namespace`.
    pub fn disconnect(namespace: &str) -> Packet {
        Packet::new(PacketKind::Disconnect, namespace, None)
    }

    /// An EVENT `[name, args...]` (BINARY_EVENT with attachments), asking
    /// for an acknowledgement when `ack_id` is given.
    pub fn event(namespace: &str, name: &str, args: Args, ack_id: Option<u64>) -> Packet {
        let mut values = Vec::with_capacity(args.values.len() + 1);
        values.push(Value::String(name.to_owned()));
        values.extend(args.values);
        let kind = if args.attachments.is_empty() {
            PacketKind::Event
        } else {
            PacketKind::BinaryEvent
        };
        Packet {
            ack_id,
            attachments: args.attachments,
            ..Packet::new(kind, namespace, Some(Value::Array(values)))
        }
    }

    /// An ACK `[args...]` (BINARY_ACK with attachments) answering `ack_id`.
    pub fn ack(namespace: &str, ack_id: u64, args: Args) -> Packet {
        let kind = if args.attachments.is_empty() {
            PacketKind::Ack
        } else {
            PacketKind::BinaryAck
        };
        Packet {
            ack_id: Some(ack_id),
            attachments: args.attachments,
            ..Packet::new(kind, namespace, Some(Value::Array(args.values)))
        }
    }

    /// The name of an event: the first element of its data.
    pub fn event_name(&self) -> Option<&str> {
        if !self.kind.is_event() {
            return None;
        }
        self.data.as_ref()?.as_array()?.first()?.as_str()
    }

    /// The arguments of an event (its data after the name) or of an ack
    /// (its data), with the attachments; empty for other kinds.
    pub fn into_args(self) -> Args {
        let skip = usize::from(self.kind.is_event());
        let values = match (self.kind.is_event() || self.kind.is_ack(), self.data) {
            (true, Some(Value::Array(items))) => items.into_iter().skip(skip).collect(),
            _ => Vec::new(),
        };
        Args {
            values,
            attachments: self.attachments,
        }
    }
}

/// Encodes `packet`: the text message and the attachments to send after
/// it, each as one binary message.
///
/// EVENT and ACK packets with attachments are written as BINARY_EVENT and
/// BINARY_ACK, and binary kinds without attachments as EVENT and ACK
/// (socket.io-parser refuses a binary packet announcing none). Other kinds
/// carry no attachments: theirs are not sent. The namespace is written
/// unless it is `/` (or empty), followed by `,`.
pub fn encode(packet: &Packet) -> (String, Vec<Bytes>) {
    let kind = packet.kind;
    let binary = (kind.is_event() || kind.is_ack()) && !packet.attachments.is_empty();
    let code = match kind {
        PacketKind::Event | PacketKind::BinaryEvent if binary => 5,
        PacketKind::Event | PacketKind::BinaryEvent => 2,
        PacketKind::Ack | PacketKind::BinaryAck if binary => 6,
        PacketKind::Ack | PacketKind::BinaryAck => 3,
        other => other.code(),
    };
    let mut text = String::new();
    text.push(char::from(b'0' + code));
    if binary {
        text.push_str(&packet.attachments.len().to_string());
        text.push('-');
    }
    if !packet.namespace.is_empty() && packet.namespace != "/" {
        text.push_str(&packet.namespace);
        text.push(',');
    }
    if let Some(id) = packet.ack_id {
        text.push_str(&id.to_string());
    }
    if let Some(data) = &packet.data {
        text.push_str(&data.to_string());
    }
    let attachments = if binary {
        packet.attachments.clone()
    } else {
        Vec::new()
    };
    (text, attachments)
}

/// Decodes the packets of one Engine.IO session: a text message gives a
/// packet at once, or starts a binary one that is given once all its
/// announced attachments have arrived.
///
/// After an error the decoder has dropped any half-received packet; the
/// session broke the protocol and should be closed.
///
/// ```
/// use bytes::Bytes;
/// use rtw_socketio::{Decoder, EngineMessage, Limits, PacketKind};
///
/// let mut decoder = Decoder::new(Limits::default());
/// let text = r#"51-["baz",{"_placeholder":true,"num":0}]"#;
/// assert_eq!(decoder.decode(EngineMessage::Text(text.into())), Ok(None));
/// let packet = decoder.decode(EngineMessage::Binary(Bytes::from_static(&[1, 2, 3, 4]))).unwrap().unwrap();
/// assert_eq!(packet.kind, PacketKind::BinaryEvent);
/// assert_eq!(packet.attachments, [Bytes::from_static(&[1, 2, 3, 4])]);
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    limits: Limits,
    /// A binary packet and how many attachments it announced.
    pending: Option<(Packet, usize)>,
}

impl Decoder {
    /// A decoder that holds to `limits`.
    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            limits,
            pending: None,
        }
    }

    /// `true` while the attachments of a binary packet are awaited.
    pub fn is_awaiting_attachments(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes one Engine.IO message: `Ok(Some(packet))` when a packet is
    /// whole, `Ok(None)` while attachments are awaited.
    pub fn decode(&mut self, message: EngineMessage) -> Result<Option<Packet>, Error> {
        let result = match message {
            EngineMessage::Text(text) => self.decode_text(&text),
            EngineMessage::Binary(bytes) => self.decode_binary(bytes),
        };
        if result.is_err() {
            self.pending = None;
        }
        result
    }

    fn decode_binary(&mut self, bytes: Bytes) -> Result<Option<Packet>, Error> {
        let Some((packet, count)) = &mut self.pending else {
            return Err(Error::UnexpectedBinary);
        };
        if bytes.len() > self.limits.max_attachment_size {
            return Err(Error::AttachmentTooLarge);
        }
        packet.attachments.push(bytes);
        if packet.attachments.len() < *count {
            return Ok(None);
        }
        Ok(self.pending.take().map(|(packet, _)| packet))
    }

    fn decode_text(&mut self, text: &str) -> Result<Option<Packet>, Error> {
        if self.pending.is_some() {
            return Err(Error::UnexpectedText);
        }
        let (packet, count) = parse(text, &self.limits)?;
        if count == 0 {
            return Ok(Some(packet));
        }
        self.pending = Some((packet, count));
        Ok(None)
    }
}

/// Parses one text message: the packet (without its attachments) and the
/// number of attachments it announced.
fn parse(text: &str, limits: &Limits) -> Result<(Packet, usize), Error> {
    if text.len() > limits.max_packet_size {
        return Err(Error::PacketTooLarge);
    }
    let bytes = text.as_bytes();
    let first = *bytes.first().ok_or(Error::Empty)?;
    let kind = first
        .checked_sub(b'0')
        .and_then(PacketKind::from_code)
        .ok_or(Error::UnknownType)?;
    let mut at = 1;

    let mut count = 0;
    if matches!(kind, PacketKind::BinaryEvent | PacketKind::BinaryAck) {
        let digits = leading_digits(&bytes[at..]);
        if digits == 0 || bytes.get(at + digits) != Some(&b'-') {
            return Err(Error::BadAttachmentCount);
        }
        count = text[at..at + digits]
            .parse::<usize>()
            .map_err(|_| Error::TooManyAttachments)?;
        if count == 0 {
            return Err(Error::BadAttachmentCount);
        }
        if count > limits.max_attachments {
            return Err(Error::TooManyAttachments);
        }
        at += digits + 1;
    }

    let mut namespace = "/";
    if bytes.get(at) == Some(&b'/') {
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b',')
            .map_or(bytes.len(), |i| at + i);
        namespace = &text[at..end];
        at = (end + 1).min(bytes.len());
    }

    let mut ack_id = None;
    let digits = leading_digits(&bytes[at..]);
    if digits > 0 {
        ack_id = Some(
            text[at..at + digits]
                .parse::<u64>()
                .map_err(|_| Error::BadAckId)?,
        );
        at += digits;
    }

    let rest = &text[at..];
    let data = if rest.is_empty() {
        None
    } else {
        Some(serde_json::from_str::<Value>(rest).map_err(|_| Error::BadJson)?)
    };

    check_payload(kind, ack_id, data.as_ref())?;
    if let Some(data) = &data {
        check_placeholders(data, count)?;
    }
    let packet = Packet {
        kind,
        namespace: namespace.to_owned(),
        ack_id,
        data,
        attachments: Vec::with_capacity(count),
    };
    Ok((packet, count))
}

fn leading_digits(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// What each packet type may carry (socket.io-parser's payload checks).
fn check_payload(kind: PacketKind, ack_id: Option<u64>, data: Option<&Value>) -> Result<(), Error> {
    if ack_id.is_some() && !(kind.is_event() || kind.is_ack()) {
        return Err(Error::BadPayload("an ack id on a packet type without one"));
    }
    match kind {
        PacketKind::Connect => match data {
            None | Some(Value::Object(_)) => Ok(()),
            _ => Err(Error::BadPayload("CONNECT data must be an object")),
        },
        PacketKind::Disconnect => match data {
            None => Ok(()),
            Some(_) => Err(Error::BadPayload("DISCONNECT carries no data")),
        },
        PacketKind::ConnectError => match data {
            Some(Value::Object(_) | Value::String(_)) => Ok(()),
            _ => Err(Error::BadPayload(
                "CONNECT_ERROR data must be an object or a string",
            )),
        },
        PacketKind::Event | PacketKind::BinaryEvent => match data {
            Some(Value::Array(items)) => match items.first() {
                Some(Value::String(name)) if RESERVED_EVENTS.contains(&name.as_str()) => {
                    Err(Error::BadPayload("reserved event name"))
                }
                Some(Value::String(_)) => Ok(()),
                _ => Err(Error::BadPayload(
                    "EVENT data must start with the event name",
                )),
            },
            _ => Err(Error::BadPayload("EVENT data must be an array")),
        },
        PacketKind::Ack | PacketKind::BinaryAck => match (ack_id, data) {
            (Some(_), Some(Value::Array(_))) => Ok(()),
            (None, _) => Err(Error::BadPayload("ACK without an ack id")),
            _ => Err(Error::BadPayload("ACK data must be an array")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode_one(text: &str) -> Result<Packet, Error> {
        Decoder::new(Limits::default())
            .decode(EngineMessage::Text(text.into()))
            .map(|p| p.expect("a whole packet"))
    }

    #[test]
    fn plain_packets() {
        let p = decode_one("0").unwrap();
        assert_eq!(
            (p.kind, p.namespace.as_str(), p.data),
            (PacketKind::Connect, "/", None)
        );
        let p = decode_one("0/admin,").unwrap();
        assert_eq!(p.namespace, "/admin");
        let p = decode_one("0/admin").unwrap();
        assert_eq!((p.namespace.as_str(), p.data), ("/admin", None));
        let p = decode_one(r#"2/chat,17["message",{"body":"hi"}]"#).unwrap();
        assert_eq!(p.ack_id, Some(17));
        assert_eq!(p.event_name(), Some("message"));
        assert_eq!(p.into_args().values, [json!({"body":"hi"})]);
    }

    #[test]
    fn refusals() {
        assert_eq!(decode_one(""), Err(Error::Empty));
        assert_eq!(decode_one("7"), Err(Error::UnknownType));
        assert_eq!(decode_one("2[bad"), Err(Error::BadJson));
        assert_eq!(
            decode_one("2[]"),
            Err(Error::BadPayload(
                "EVENT data must start with the event name"
            ))
        );
        assert_eq!(
            decode_one(r#"2["connect"]"#),
            Err(Error::BadPayload("reserved event name"))
        );
        assert_eq!(
            decode_one("1{}"),
            Err(Error::BadPayload("DISCONNECT carries no data"))
        );
        assert_eq!(
            decode_one("3[]"),
            Err(Error::BadPayload("ACK without an ack id"))
        );
        assert_eq!(
            decode_one("2 99999999999999999999[\"a\"]"),
            Err(Error::BadJson)
        );
        assert_eq!(
            decode_one("299999999999999999999[\"a\"]"),
            Err(Error::BadAckId)
        );
        assert_eq!(decode_one("5-[\"a\"]"), Err(Error::BadAttachmentCount));
        assert_eq!(decode_one("50-[\"a\"]"), Err(Error::BadAttachmentCount));
        assert_eq!(decode_one("511-[\"a\"]"), Err(Error::TooManyAttachments));
        assert_eq!(
            decode_one(r#"51-["a",{"_placeholder":true,"num":1}]"#),
            Err(Error::BadPlaceholder)
        );
        let deep = format!("2[\"a\",{}{}]", "[".repeat(200), "]".repeat(200));
        assert_eq!(decode_one(&deep), Err(Error::BadJson));
    }

    #[test]
    fn attachments_in_order_then_errors_reset() {
        let limits = Limits::default().max_attachment_size(3);
        let mut d = Decoder::new(limits);
        let head = r#"62-/a,5[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#;
        assert_eq!(d.decode(EngineMessage::Text(head.into())), Ok(None));
        assert!(d.is_awaiting_attachments());
        assert_eq!(
            d.decode(EngineMessage::Binary(Bytes::from_static(b"x"))),
            Ok(None)
        );
        let p = d
            .decode(EngineMessage::Binary(Bytes::from_static(b"y")))
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.kind, p.ack_id, p.namespace.as_str()),
            (PacketKind::BinaryAck, Some(5), "/a")
        );
        let args = p.into_args();
        assert_eq!(
            args.attachment(&args.values[0]),
            Some(&Bytes::from_static(b"y"))
        );

        assert_eq!(
            d.decode(EngineMessage::Binary(Bytes::new())),
            Err(Error::UnexpectedBinary)
        );
        assert_eq!(d.decode(EngineMessage::Text(head.into())), Ok(None));
        assert_eq!(
            d.decode(EngineMessage::Text("2[\"a\"]".into())),
            Err(Error::UnexpectedText)
        );
        assert!(!d.is_awaiting_attachments());
        assert_eq!(d.decode(EngineMessage::Text(head.into())), Ok(None));
        assert_eq!(
            d.decode(EngineMessage::Binary(Bytes::from_static(b"long"))),
            Err(Error::AttachmentTooLarge)
        );
    }

    #[test]
    fn packet_size_limit() {
        let mut d = Decoder::new(Limits::default().max_packet_size(8));
        assert!(d.decode(EngineMessage::Text("2[\"abc\"]".into())).is_ok());
        assert_eq!(
            d.decode(EngineMessage::Text("2[\"abcd\"]".into())),
            Err(Error::PacketTooLarge)
        );
    }

    #[test]
    fn encode_picks_the_binary_kind() {
        let args = Args::new().binary(Bytes::from_static(b"z"));
        let (text, att) = encode(&Packet::event("/", "up", args.clone(), None));
        assert_eq!(text, r#"51-["up",{"_placeholder":true,"num":0}]"#);
        assert_eq!(att.len(), 1);
        let mut p = Packet::ack("/x", 3, args);
        p.kind = PacketKind::Ack;
        assert_eq!(encode(&p).0, r#"61-/x,3[{"_placeholder":true,"num":0}]"#);
        p.attachments.clear();
        p.kind = PacketKind::BinaryAck;
        assert_eq!(encode(&p).0, r#"3/x,3[{"_placeholder":true,"num":0}]"#);
        assert_eq!(encode(&Packet::disconnect("/x")).0, "1/x,");
        assert_eq!(
            encode(&Packet::connect_error("/", "no", None)).0,
            r#"4{"message":"no"}"#
        );
    }
}
