//! What every WebSocket target checks of the events a `Connection` gives
//! (RFC 6455 §5.4 fragmentation, §5.5 control frames, §5.6 UTF-8 text,
//! §7.4 close codes), written once for `ws_connection` and `ws_deflate`.

use std::fmt::Debug;

use rtw_ws::handshake::HandshakeError;
use rtw_ws::{Config, Event, Limits, Message, MessageKind};

/// What the handshake targets read from their input: two control bytes
/// (missing ones count as zero), `(opts, param)`, then the head bytes; and
/// the limits bit 0 of `opts` asks for: small ones from `param` (a head of
/// at most 16 + 4 × `param` bytes with at most `param & 31` fields), else
/// the defaults.
pub fn head_input(input: &[u8]) -> (u8, u8, &[u8], Limits) {
    let (control, wire) = input.split_at(input.len().min(2));
    let [opts, param] = std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let limits = if opts & 1 != 0 {
        Limits::default()
            .max_head_bytes(16 + usize::from(param) * 4)
            .max_headers(usize::from(param & 0x1f))
    } else {
        Limits::default()
    };
    (opts, param, wire, limits)
}

/// [`crate::check_complete_head`] for a handshake head parser of rtw-ws
/// (`parse_request_with_limits`, `parse_response_with_limits`) with
/// `limits`: a complete head of `n` bytes is within `max_head_bytes`,
/// parses alone to a value `same` accepts, and its prefixes are
/// incomplete (RFC 6455 §4.1, §4.2.1: the head ends at its empty line).
pub fn check_complete_head<T: Debug>(
    limits: &Limits,
    wire: &[u8],
    n: usize,
    param: u8,
    parse: fn(&[u8], &Limits) -> Result<Option<(T, usize)>, HandshakeError>,
    same: impl Fn(&T) -> bool,
) {
    crate::check_complete_head(
        wire,
        n,
        limits.max_head_bytes,
        param,
        |head| parse(head, limits),
        same,
    );
}

/// Panics unless `events`, drained from one connection built with
/// `config`, are consistent: nothing after `Failed` (a peer fault with a
/// close code) or a received `Close` (a code valid on the wire, a reason
/// of at most 123 bytes); control payloads of at most 125 bytes; whole
/// messages only without `deliver_fragments` and fragments only with it,
/// in order (first, continuations, fin) and of one kind; text is UTF-8,
/// also across fragments; messages and the fragments of one message
/// within `max_message_size`. Each fragment is within `max_frame_size`
/// unless `inflated` (permessage-deflate: a fragment is what one frame
/// inflated to).
pub fn check_events(config: &Config, events: &[Event], inflated: bool) {
    // Kind and text so far of the message whose fragments are arriving.
    let mut open: Option<(MessageKind, Vec<u8>)> = None;
    for (i, event) in events.iter().enumerate() {
        let last = i + 1 == events.len();
        match event {
            Event::Failed(e) => {
                assert!(last, "events after Failed");
                assert!(
                    e.is_peer_fault() && e.close_code().is_some(),
                    "failed without a close code: {e:?}"
                );
            }
            Event::Message(Message::Close(close)) => {
                assert!(last, "events after Close");
                if let Some(c) = close {
                    assert!(c.code.is_valid_on_wire(), "close code {}", c.code);
                    assert!(c.reason.len() <= 123, "close reason too long");
                }
            }
            Event::Message(Message::Ping(p) | Message::Pong(p)) => {
                assert!(p.len() <= 125, "control payload of {} bytes", p.len());
            }
            Event::Message(Message::Text(t)) => {
                assert!(!config.deliver_fragments, "message in fragment mode");
                assert!(std::str::from_utf8(t.as_bytes()).is_ok(), "text not UTF-8");
                assert!(
                    t.len() as u64 <= config.limits.max_message_size,
                    "message too large"
                );
            }
            Event::Message(Message::Binary(b)) => {
                assert!(!config.deliver_fragments, "message in fragment mode");
                assert!(
                    b.len() as u64 <= config.limits.max_message_size,
                    "message too large"
                );
            }
            Event::Fragment(f) => {
                assert!(config.deliver_fragments, "fragment not asked for");
                assert!(
                    inflated || f.payload.len() as u64 <= config.limits.max_frame_size,
                    "fragment over the frame limit"
                );
                match &mut open {
                    None => assert!(f.first, "message starts without its first fragment"),
                    Some((kind, _)) => {
                        assert!(!f.first, "first fragment inside a message");
                        assert_eq!(*kind, f.kind, "fragment kind changed");
                    }
                }
                let (kind, text) = open.get_or_insert_with(|| (f.kind, Vec::new()));
                text.extend_from_slice(&f.payload);
                assert!(
                    text.len() as u64 <= config.limits.max_message_size,
                    "fragments over the message limit"
                );
                if f.fin {
                    if *kind == MessageKind::Text {
                        assert!(std::str::from_utf8(text).is_ok(), "fragments not UTF-8");
                    }
                    open = None;
                }
            }
            other => panic!("an event this target does not know: {other:?}"),
        }
    }
}
