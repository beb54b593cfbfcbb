//! The JSON messages of the protocol (crate docs, "Wire protocol"): what
//! a client's text means, and the server's messages as text.
//!
//! Text is JSON (RFC 8259) parsed with `serde_json`, whose nesting limit
//! (128) keeps deep input from exhausting the stack; the caller has already
//! capped its length at `Limits::max_message_size`.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::id::is_valid_id;

/// The kinds of message a server forwards from one peer to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forward {
    Offer,
    Answer,
    Candidate,
    EndOfCandidates,
    Bye,
    Data,
}

impl Forward {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Forward::Offer => "offer",
            Forward::Answer => "answer",
            Forward::Candidate => "candidate",
            Forward::EndOfCandidates => "end-of-candidates",
            Forward::Bye => "bye",
            Forward::Data => "data",
        }
    }
}

/// A client's message, borrowing from its parsed object.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming<'a> {
    Join {
        room: &'a str,
        peer: &'a str,
        resume: Option<&'a str>,
    },
    Forward {
        kind: Forward,
        to: Option<&'a str>,
    },
    Leave,
}

/// A refusal with the `ref` of the refused message, when its type is known.
pub(crate) type Refusal = (Error, Option<&'static str>);

/// Parses `text` into its object, or the `bad-message` refusal.
pub(crate) fn parse_object(text: &str) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err((Error::BadMessage("not a JSON object"), None)),
        Err(_) => Err((Error::BadMessage("not JSON (RFC 8259)"), None)),
    }
}

/// What the object `map` asks for, checked field by field.
pub(crate) fn interpret(map: &Map<String, Value>) -> Result<Incoming<'_>, Refusal> {
    let kind = match map.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(_) => return Err((Error::BadMessage("\"type\" is not a string"), None)),
        None => return Err((Error::BadMessage("no \"type\""), None)),
    };
    let forward = match kind {
        "join" => return join(map),
        "leave" => return Ok(Incoming::Leave),
        "offer" => Forward::Offer,
        "answer" => Forward::Answer,
        "candidate" => Forward::Candidate,
        "end-of-candidates" => Forward::EndOfCandidates,
        "bye" => Forward::Bye,
        "data" => Forward::Data,
        _ => return Err((Error::BadMessage("unknown \"type\""), None)),
    };
    let name = Some(forward.as_str());
    let bad = |why| Err((Error::BadMessage(why), name));
    match forward {
        Forward::Offer | Forward::Answer => {
            if !matches!(map.get("sdp"), Some(Value::String(_))) {
                return bad("\"sdp\" is missing or not a string");
            }
        }
        Forward::Candidate => {
            if !matches!(map.get("candidate"), Some(Value::Object(_))) {
                return bad("\"candidate\" is missing or not an RTCIceCandidateInit object");
            }
        }
        Forward::EndOfCandidates => {
            if map.get("sdpMid").is_some_and(|m| !m.is_string()) {
                return bad("\"sdpMid\" is not a string");
            }
        }
        Forward::Bye => {}
        Forward::Data => {
            if !map.contains_key("data") {
                return bad("\"data\" is missing");
            }
        }
    }
    let to = match map.get("to") {
        None => None,
        Some(Value::String(to)) if is_valid_id(to) => Some(to.as_str()),
        Some(Value::String(_)) => return Err((Error::BadId("\"to\""), name)),
        Some(_) => return bad("\"to\" is not a string"),
    };
    Ok(Incoming::Forward { kind: forward, to })
}

fn join(map: &Map<String, Value>) -> Result<Incoming<'_>, Refusal> {
    let name = Some("join");
    let id = |field: &'static str, what: &'static str| match map.get(field) {
        Some(Value::String(id)) if is_valid_id(id) => Ok(id.as_str()),
        Some(Value::String(_)) => Err((Error::BadId(what), name)),
        _ => Err((Error::BadMessage(what), name)),
    };
    let room = id("room", "\"room\"")?;
    let peer = id("peer", "\"peer\"")?;
    let resume = match map.get("resume") {
        None | Some(Value::Null) => None,
        Some(Value::String(token)) => Some(token.as_str()),
        Some(_) => return Err((Error::BadMessage("\"resume\" is not a string"), name)),
    };
    Ok(Incoming::Join { room, peer, resume })
}

/// The forwarded text: the sender's object with `"from"` added first and
/// every other byte of it unchanged, so numbers, key order and escapes in
/// `sdp`, `candidate` and `data` reach the recipient as sent. An object
/// that already has a `"from"` is written again with the true sender in it.
pub(crate) fn forwarded(text: &str, map: &Map<String, Value>, from: &str) -> Bytes {
    if map.contains_key("from") {
        let mut map = map.clone();
        map.insert("from".to_owned(), Value::String(from.to_owned()));
        return Bytes::from(serde_json::to_vec(&map).unwrap_or_default());
    }
    // The object parsed, so after JSON whitespace (RFC 8259 §2) comes `{`
    // and at least the `"type"` member.
    let body = text.trim_start_matches([' ', '\t', '\n', '\r']);
    let rest = body.strip_prefix('{').unwrap_or(body);
    // `from` is a valid id: no character needs escaping.
    let mut out = Vec::with_capacity(rest.len() + from.len() + 12);
    out.extend_from_slice(b"{\"from\":\"");
    out.extend_from_slice(from.as_bytes());
    out.extend_from_slice(b"\",");
    out.extend_from_slice(rest.as_bytes());
    Bytes::from(out)
}

/// One `iceServers` entry as a browser takes it (the W3C WebRTC `RTCIceServer` dictionary).
#[derive(Debug, Serialize)]
pub(crate) struct IceServerJson<'a> {
    pub(crate) urls: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) credential: Option<String>,
}

#[derive(Serialize)]
struct Joined<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    room: &'a str,
    peer: &'a str,
    peers: &'a [&'a str],
    resume: &'a str,
    resumed: bool,
    #[serde(rename = "iceServers")]
    ice_servers: &'a [IceServerJson<'a>],
}

/// `joined`.
pub(crate) fn joined(
    room: &str,
    peer: &str,
    peers: &[&str],
    resume: &str,
    resumed: bool,
    ice_servers: &[IceServerJson<'_>],
) -> Bytes {
    to_bytes(&Joined {
        kind: "joined",
        room,
        peer,
        peers,
        resume,
        resumed,
        ice_servers,
    })
}

#[derive(Serialize)]
struct Presence<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    peer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

/// `peer-joined`.
pub(crate) fn peer_joined(peer: &str) -> Bytes {
    to_bytes(&Presence {
        kind: "peer-joined",
        peer,
        reason: None,
    })
}

/// `peer-left` with its reason.
pub(crate) fn peer_left(peer: &str, reason: &'static str) -> Bytes {
    to_bytes(&Presence {
        kind: "peer-left",
        peer,
        reason: Some(reason),
    })
}

#[derive(Serialize)]
struct ErrorMessage<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    code: &'static str,
    message: String,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    refused: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
}

/// `error`, with `ref` and `to` when given.
pub(crate) fn error(error: &Error, refused: Option<&'static str>, to: Option<&str>) -> Bytes {
    to_bytes(&ErrorMessage {
        kind: "error",
        code: error.code(),
        message: error.to_string(),
        refused,
        to,
    })
}

fn to_bytes(message: &impl Serialize) -> Bytes {
    // Serializing these structs of strings, bools and slices cannot fail.
    Bytes::from(serde_json::to_vec(message).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Incoming<'static>, Refusal> {
        let map = Box::leak(Box::new(parse_object(text)?));
        interpret(map)
    }

    #[test]
    fn join_and_forward() {
        assert_eq!(
            parse(r#"{"type":"join","room":"r","peer":"p"}"#).unwrap(),
            Incoming::Join {
                room: "r",
                peer: "p",
                resume: None
            }
        );
        assert_eq!(
            parse(r#"{"type":"offer","to":"b","sdp":"v=0"}"#).unwrap(),
            Incoming::Forward {
                kind: Forward::Offer,
                to: Some("b")
            }
        );
        assert_eq!(
            parse(r#"{"type":"data","data":null}"#).unwrap(),
            Incoming::Forward {
                kind: Forward::Data,
                to: None
            }
        );
        assert_eq!(parse(r#"{"type":"leave"}"#).unwrap(), Incoming::Leave);
    }

    #[test]
    fn refusals() {
        let code = |text| parse(text).unwrap_err();
        assert_eq!(code("nope").0.code(), "bad-message");
        assert_eq!(code("[1]").0.code(), "bad-message");
        assert_eq!(code(r#"{"type":7}"#).0.code(), "bad-message");
        assert_eq!(
            code(r#"{"type":"hello"}"#),
            (Error::BadMessage("unknown \"type\""), None)
        );
        assert_eq!(code(r#"{"type":"offer"}"#).1, Some("offer"));
        assert_eq!(
            code(r#"{"type":"candidate","candidate":"x"}"#).0.code(),
            "bad-message"
        );
        assert_eq!(
            code(r#"{"type":"join","room":"a b","peer":"p"}"#).0,
            Error::BadId("\"room\"")
        );
        assert_eq!(
            code(r#"{"type":"join","room":"a","peer":5}"#).0.code(),
            "bad-message"
        );
        assert_eq!(code(r#"{"type":"bye","to":""}"#).0.code(), "bad-id");
    }

    #[test]
    fn forwarded_keeps_the_text_and_adds_from() {
        let text = " {\"type\":\"data\",\"data\":1.50}";
        let map = parse_object(text).unwrap();
        assert_eq!(
            &forwarded(text, &map, "alice")[..],
            b"{\"from\":\"alice\",\"type\":\"data\",\"data\":1.50}"
        );
        let text = r#"{"type":"bye","from":"mallory"}"#;
        let map = parse_object(text).unwrap();
        let out: Value = serde_json::from_slice(&forwarded(text, &map, "alice")).unwrap();
        assert_eq!(out["from"], "alice");
    }
}
