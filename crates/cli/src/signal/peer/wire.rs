//! The peer's side of the signaling protocol (the JSON messages of
//! `rtw_signal`'s crate docs), and its own output: one JSON object per
//! line on stdout.

use std::io::Write;
use std::net::SocketAddr;

use rtw_ice::{Candidate, ConnectionState};
use serde_json::{Value, json};

/// `{"type":"join","room":R,"peer":P}`: the first message.
pub(super) fn join(room: &str, peer: &str) -> Value {
    json!({"type": "join", "room": room, "peer": peer})
}

/// `{"type":"offer"|"answer","to":P,"sdp":S}`.
pub(super) fn description(kind: &str, to: &str, sdp: String) -> Value {
    json!({"type": kind, "to": to, "sdp": sdp})
}

/// Where trickled candidates belong: the `mid` and `m=` line index of the
/// section whose transport ICE runs on (RFC 8840 §4.1, the
/// `RTCIceCandidateInit` fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Section {
    pub(super) mid: Option<String>,
    pub(super) index: usize,
}

/// `{"type":"candidate","to":P,"candidate":RTCIceCandidateInit}` for one
/// local candidate (RFC 8838 §4, RFC 8840 §4.1).
pub(super) fn candidate(to: &str, c: &Candidate, section: &Section, ufrag: &str) -> Value {
    json!({
        "type": "candidate",
        "to": to,
        "candidate": {
            "candidate": c.to_json_candidate(),
            "sdpMid": section.mid,
            "sdpMLineIndex": section.index,
            "usernameFragment": ufrag,
        },
    })
}

/// `{"type":"end-of-candidates","to":P,"sdpMid":M}` (RFC 8838 §8.2).
pub(super) fn end_of_candidates(to: &str, section: &Section) -> Value {
    let mut v = json!({"type": "end-of-candidates", "to": to});
    if let Some(mid) = &section.mid {
        v["sdpMid"] = json!(mid);
    }
    v
}

/// The W3C `RTCIceConnectionState` name of a state.
pub(super) fn state_name(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::New => "new",
        ConnectionState::Checking => "checking",
        ConnectionState::Connected => "connected",
        ConnectionState::Completed => "completed",
        ConnectionState::Failed => "failed",
        ConnectionState::Disconnected => "disconnected",
    }
}

/// The answer to `{"cmd":"report"}`: `{"type":"data","to":P,"data":
/// {"selected":{"local":..,"remote":..}|null,"state":..}}`; `state` is
/// `closed` once the agent was dropped.
pub(super) fn report(
    to: &str,
    selected: Option<(SocketAddr, SocketAddr)>,
    state: Option<ConnectionState>,
) -> Value {
    let selected = selected
        .map(|(local, remote)| json!({"local": local.to_string(), "remote": remote.to_string()}));
    json!({
        "type": "data",
        "to": to,
        "data": {
            "selected": selected,
            "state": state.map_or("closed", state_name),
        },
    })
}

/// A remote candidate as it arrives in a `candidate` message: an
/// `RTCIceCandidateInit` object, or its `candidate` string alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RemoteCandidate {
    /// A candidate line, and the ufrag it was gathered for, if given.
    Line { text: String, ufrag: Option<String> },
    /// An empty `candidate` string: the end of candidates, the way some
    /// browsers signal it.
    End,
}

/// Read the `candidate` field of a `candidate` message.
pub(super) fn remote_candidate(value: &Value) -> Option<RemoteCandidate> {
    let (text, ufrag) = match value {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => (
            o.get("candidate")?.as_str()?,
            o.get("usernameFragment")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        _ => return None,
    };
    if text.is_empty() {
        return Some(RemoteCandidate::End);
    }
    Some(RemoteCandidate::Line {
        text: text.to_owned(),
        ufrag,
    })
}

/// Print one event as a JSON line on stdout (`{"event":NAME,...}`), flushed
/// at once, so that a test reading the output sees it when it happens. A
/// stdout that is gone is not an error of the peer's.
pub(super) fn emit(event: &str, fields: Value) {
    let line = event_line(event, &fields);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `{"event":NAME,...fields}` with `event` first, so that the line reads
/// (and greps) as `{"event":"connected",...`.
fn event_line(event: &str, fields: &Value) -> String {
    let name = Value::from(event);
    match fields.as_object() {
        Some(fields) if !fields.is_empty() => {
            let rest = fields
                .iter()
                .map(|(k, v)| format!(",{}:{v}", Value::from(k.as_str())));
            format!("{{\"event\":{name}{}}}", rest.collect::<String>())
        }
        _ => format!("{{\"event\":{name}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_read_from_objects_and_strings() {
        let line = "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host";
        assert_eq!(
            remote_candidate(
                &json!({"candidate": line, "sdpMid": "0", "usernameFragment": "abcd"})
            ),
            Some(RemoteCandidate::Line {
                text: line.into(),
                ufrag: Some("abcd".into())
            })
        );
        assert_eq!(
            remote_candidate(&json!(line)),
            Some(RemoteCandidate::Line {
                text: line.into(),
                ufrag: None
            })
        );
        assert_eq!(
            remote_candidate(&json!({"candidate": "", "sdpMid": "0"})),
            Some(RemoteCandidate::End)
        );
        assert_eq!(remote_candidate(&json!({"sdpMid": "0"})), None);
        assert_eq!(remote_candidate(&json!(7)), None);
    }

    #[test]
    fn a_local_candidate_goes_out_as_rtc_ice_candidate_init() {
        let c = Candidate::parse("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host").unwrap();
        let section = Section {
            mid: Some("0".into()),
            index: 0,
        };
        let v = candidate("browser", &c, &section, "abcd");
        assert_eq!(v["type"], "candidate");
        assert_eq!(v["to"], "browser");
        assert_eq!(v["candidate"]["candidate"], c.to_json_candidate());
        assert_eq!(v["candidate"]["sdpMid"], "0");
        assert_eq!(v["candidate"]["sdpMLineIndex"], 0);
        assert_eq!(v["candidate"]["usernameFragment"], "abcd");
        assert_eq!(
            end_of_candidates("browser", &section),
            json!({"type": "end-of-candidates", "to": "browser", "sdpMid": "0"})
        );
    }

    #[test]
    fn event_lines_start_with_the_event() {
        let line = event_line("connected", &json!({"peer": "b", "ms": 5}));
        assert_eq!(line, r#"{"event":"connected","ms":5,"peer":"b"}"#);
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v, json!({"event": "connected", "peer": "b", "ms": 5}));
        assert_eq!(event_line("failed", &json!({})), r#"{"event":"failed"}"#);
        assert_eq!(event_line("x\"y", &Value::Null), r#"{"event":"x\"y"}"#);
    }

    #[test]
    fn reports_name_the_pair_and_the_state() {
        let pair = (
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        );
        let v = report("p", Some(pair), Some(ConnectionState::Completed));
        assert_eq!(
            v,
            json!({"type": "data", "to": "p", "data": {
                "selected": {"local": "127.0.0.1:1", "remote": "127.0.0.1:2"},
                "state": "completed"}})
        );
        assert_eq!(report("p", None, None)["data"]["state"], "closed");
        assert_eq!(report("p", None, None)["data"]["selected"], Value::Null);
    }
}
