//! `rtw sdp json`: a parsed session description as JSON, every attribute
//! that rtw-sdp types shown with its typed fields.

use rtw_sdp::attributes::*;
use rtw_sdp::{
    Attribute, AttributeError, Bandwidth, Connection, Level, MediaDescription, SessionDescription,
};
use serde_json::{Value, json};

/// The whole description.
pub(crate) fn session(sd: &SessionDescription) -> Value {
    let o = &sd.origin;
    json!({
        "version": sd.version,
        "origin": {
            "username": o.username.as_str(),
            "session_id": o.session_id.as_str(),
            "session_version": o.session_version.as_str(),
            "nettype": o.nettype.as_str(),
            "addrtype": o.addrtype.as_str(),
            "unicast_address": o.unicast_address.as_str(),
        },
        "session_name": sd.session_name,
        "information": sd.information,
        "uri": sd.uri,
        "emails": sd.emails,
        "phones": sd.phones,
        "connection": sd.connection.as_ref().map(connection),
        "bandwidths": sd.bandwidths.iter().map(bandwidth).collect::<Vec<_>>(),
        "timings": sd.timings.iter().map(|t| json!({
            "start": t.start,
            "stop": t.stop,
            "repeats": t.repeats,
        })).collect::<Vec<_>>(),
        "time_zones": sd.time_zones,
        "key": sd.key,
        "direction": sd.direction().map(Direction::name),
        "attributes": attributes(sd, Level::Session, &sd.attributes),
        "media": sd.media.iter().enumerate().map(|(i, m)| media(sd, i, m)).collect::<Vec<_>>(),
    })
}

fn media(sd: &SessionDescription, index: usize, m: &MediaDescription) -> Value {
    json!({
        "line": sd.first_line(Level::Media(index)),
        "media": m.media.media.as_str(),
        "port": m.media.port,
        "port_count": m.media.port_count,
        "proto": m.media.proto.as_str(),
        "formats": m.media.formats,
        "mid": m.mid(),
        "direction": m.direction().map(Direction::name),
        "title": m.title,
        "connections": m.connections.iter().map(connection).collect::<Vec<_>>(),
        "bandwidths": m.bandwidths.iter().map(bandwidth).collect::<Vec<_>>(),
        "key": m.key,
        "attributes": attributes(sd, Level::Media(index), &m.attributes),
    })
}

fn connection(c: &Connection) -> Value {
    json!({
        "nettype": c.nettype.as_str(),
        "addrtype": c.addrtype.as_str(),
        "address": c.base_address(),
        "ttl": c.ttl(),
        "count": c.count(),
    })
}

fn bandwidth(b: &Bandwidth) -> Value {
    json!({ "modifier": b.modifier.as_str(), "value": b.value })
}

fn attributes(sd: &SessionDescription, level: Level, attrs: &[Attribute]) -> Vec<Value> {
    attrs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let mut v = json!({
                "line": sd.line_of_attribute(level, i),
                "name": a.name,
                "value": a.value.as_deref(),
            });
            match typed(a) {
                Some(Ok(t)) => v["typed"] = t,
                Some(Err(e)) => v["error"] = Value::from(e.to_string()),
                None => {}
            }
            v
        })
        .collect()
}

fn with<T: AttributeValue>(
    a: &Attribute,
    show: impl FnOnce(T) -> Value,
) -> Option<Result<Value, AttributeError>> {
    Some(T::from_attribute(a).map(show))
}

fn params(p: &[(String, Option<String>)]) -> Value {
    p.iter()
        .map(|(k, v)| json!({ "key": k, "value": v }))
        .collect()
}

fn streams(list: &[Vec<SimulcastStream>]) -> Value {
    list.iter()
        .map(|alts| {
            alts.iter()
                .map(|s| json!({ "rid": s.rid, "paused": s.paused }))
                .collect::<Value>()
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The typed fields of a known attribute; `None` for names rtw-sdp does
/// not type.
fn typed(a: &Attribute) -> Option<Result<Value, AttributeError>> {
    if Direction::from_name(&a.name).is_some() {
        return None;
    }
    match &*a.name {
        RtpMap::NAME => with(a, |r: RtpMap| {
            json!({
                "payload_type": r.payload_type,
                "encoding_name": r.encoding_name,
                "clock_rate": r.clock_rate,
                "channels": r.channels(),
                "encoding_parameters": r.encoding_parameters,
            })
        }),
        Fmtp::NAME => with(
            a,
            |f: Fmtp| json!({ "format": f.format, "parameters": params(&f.parameters) }),
        ),
        Ptime::NAME => with(a, |p: Ptime| json!({ "milliseconds": p.0 })),
        MaxPtime::NAME => with(a, |p: MaxPtime| json!({ "milliseconds": p.0 })),
        Framerate::NAME => with(a, |f: Framerate| json!({ "frames_per_second": f.0 })),
        Rtcp::NAME => with(
            a,
            |r: Rtcp| json!({ "port": r.port, "connection": r.connection.as_ref().map(connection) }),
        ),
        RtcpFb::NAME => with(
            a,
            |f: RtcpFb| json!({ "format": f.format, "feedback": f.feedback, "parameters": f.parameters }),
        ),
        RtcpXr::NAME => with(a, |x: RtcpXr| json!({ "formats": x.formats })),
        Extmap::NAME => with(a, |e: Extmap| {
            json!({
                "id": e.id,
                "direction": e.direction.map(Direction::name),
                "uri": e.uri,
                "attributes": e.attributes,
            })
        }),
        Mid::NAME => with(a, |m: Mid| json!({ "mid": m.0 })),
        Group::NAME => with(
            a,
            |g: Group| json!({ "semantics": g.semantics, "mids": g.mids }),
        ),
        Msid::NAME => with(
            a,
            |m: Msid| json!({ "stream_id": m.stream_id, "track_id": m.track_id }),
        ),
        MsidSemantic::NAME => with(
            a,
            |m: MsidSemantic| json!({ "semantic": m.semantic, "identifiers": m.identifiers }),
        ),
        Ssrc::NAME => with(
            a,
            |s: Ssrc| json!({ "ssrc": s.ssrc, "attribute": s.attribute, "value": s.value }),
        ),
        SsrcGroup::NAME => with(
            a,
            |g: SsrcGroup| json!({ "semantics": g.semantics, "ssrcs": g.ssrcs }),
        ),
        Setup::NAME => with(a, |s: Setup| json!({ "role": s.name() })),
        Fingerprint::NAME => with(
            a,
            |f: Fingerprint| json!({ "hash_function": f.hash_function, "fingerprint": hex(&f.value) }),
        ),
        IceUfrag::NAME => with(a, |u: IceUfrag| json!({ "ufrag": u.0 })),
        IcePwd::NAME => with(a, |p: IcePwd| json!({ "length": p.0.len() })),
        IceOptions::NAME => with(a, |o: IceOptions| json!({ "options": o.0 })),
        Candidate::NAME => with(a, |c: Candidate| {
            json!({
                "foundation": c.foundation(),
                "component": c.component(),
                "transport": c.transport(),
                "priority": c.priority(),
                "address": c.address(),
                "port": c.port(),
                "type": c.kind(),
            })
        }),
        SctpPort::NAME => with(a, |p: SctpPort| json!({ "port": p.0 })),
        MaxMessageSize::NAME => with(a, |s: MaxMessageSize| json!({ "bytes": s.0 })),
        Rid::NAME => with(a, |r: Rid| {
            json!({
                "id": r.id,
                "direction": match r.direction {
                    RidDirection::Send => "send",
                    RidDirection::Recv => "recv",
                },
                "payload_types": r.payload_types,
                "restrictions": params(&r.restrictions),
            })
        }),
        Simulcast::NAME => with(
            a,
            |s: Simulcast| json!({ "send": streams(&s.send), "recv": streams(&s.recv) }),
        ),
        RtcpMux::NAME
        | RtcpMuxOnly::NAME
        | RtcpRsize::NAME
        | ExtmapAllowMixed::NAME
        | BundleOnly::NAME
        | IceLite::NAME
        | EndOfCandidates::NAME => check_known(a).map(|r| r.map(|()| json!({}))),
        _ => None,
    }
}
