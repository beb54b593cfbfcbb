//! The parts of a session description (RFC 8866 §5).

use std::borrow::Cow;

use compact_str::CompactString;

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
/// (RFC 8866 §5.2). Numbers are kept as their digits: session ids from
/// real offers can exceed 64 bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The user's login, or `-`.
    pub username: CompactString,
    /// Numeric session id.
    pub session_id: CompactString,
    /// Numeric session version.
    pub session_version: CompactString,
    /// Network type, `IN`.
    pub nettype: CompactString,
    /// Address type, `IP4` or `IP6`.
    pub addrtype: CompactString,
    /// The originating host.
    pub unicast_address: CompactString,
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Network type, `IN`.
    pub nettype: CompactString,
    /// Address type, `IP4` or `IP6`.
    pub addrtype: CompactString,
    /// Address, with `/ttl` and `/count` for multicast as written.
    pub address: CompactString,
}

impl Connection {
    /// The address without `/ttl` or `/count`.
    pub fn base_address(&self) -> &str {
        self.address.split('/').next().unwrap_or_default()
    }

    /// The TTL of an IPv4 multicast address (`a.b.c.d/ttl[/count]`).
    pub fn ttl(&self) -> Option<u8> {
        if self.addrtype != "IP4" {
            return None;
        }
        self.address.split('/').nth(1)?.parse().ok()
    }

    /// The number of addresses (`/count`; for IP6 the only suffix).
    pub fn count(&self) -> Option<u32> {
        let n = if self.addrtype == "IP6" { 1 } else { 2 };
        self.address.split('/').nth(n)?.parse().ok()
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8), in kilobits per second (or
/// bits for `TIAS`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    /// `CT`, `AS`, `TIAS`, or an extension token.
    pub modifier: CompactString,
    /// The value; values past 2^64 - 1 are refused when parsing.
    pub value: u64,
    /// Zeros written before the value, which the grammar allows
    /// (`bandwidth = 1*DIGIT`, RFC 8866 §9); 0 for the usual form. Kept so
    /// that the text writes back as it was read.
    pub leading_zeros: u8,
}

impl Bandwidth {
    /// `b=<modifier>:<value>`.
    pub fn new(modifier: impl Into<CompactString>, value: u64) -> Self {
        Bandwidth {
            modifier: modifier.into(),
            value,
            leading_zeros: 0,
        }
    }
}

/// `t=<start-time> <stop-time>` with its `r=` lines (RFC 8866 §5.9,
/// §5.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timing {
    /// NTP start time, 0 for unbounded.
    pub start: u64,
    /// NTP stop time, 0 for unbounded.
    pub stop: u64,
    /// `r=` lines as written (`<repeat interval> <active duration>
    /// <offsets>`, with optional `d h m s` units).
    pub repeats: Vec<String>,
}

/// `a=<attribute-name>[:<attribute-value>]` (RFC 8866 §5.13), the value
/// kept exactly as written, so that writing gives the same bytes back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// The name (a token). Borrowed from a constant for the names this
    /// crate knows (those of [`crate::attributes`] and the directions), so
    /// that parsing them does not allocate; owned for any other.
    pub name: Cow<'static, str>,
    /// The value after the first `:`, if any. Values of up to 24 bytes,
    /// most of those browsers write, are kept inline without an
    /// allocation; read one with `value.as_deref()`.
    pub value: Option<CompactString>,
}

impl Attribute {
    /// A property attribute (`a=name`).
    pub fn property(name: impl Into<Cow<'static, str>>) -> Self {
        Attribute {
            name: name.into(),
            value: None,
        }
    }

    /// A value attribute (`a=name:value`).
    pub fn value(name: impl Into<Cow<'static, str>>, value: impl Into<CompactString>) -> Self {
        Attribute {
            name: name.into(),
            value: Some(value.into()),
        }
    }
}

/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 8866 §5.14).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Media {
    /// `audio`, `video`, `text`, `application`, `message`, or another token.
    pub media: CompactString,
    /// The transport port (0 rejects the stream).
    pub port: u16,
    /// Zeros written before the port, which the grammar allows (`port =
    /// 1*DIGIT`, RFC 8866 §9); 0 for the usual form. Kept so that the text
    /// writes back as it was read.
    pub port_leading_zeros: u8,
    /// The number of ports, if given.
    pub port_count: Option<u32>,
    /// The transport protocol, e.g. `UDP/TLS/RTP/SAVPF`.
    pub proto: CompactString,
    /// The media formats (RTP payload types, or e.g. `webrtc-datachannel`).
    /// Parsing borrows the RTP payload types (0 to 127, RFC 3551 §6) and
    /// `webrtc-datachannel` from constants instead of allocating.
    pub formats: Vec<Cow<'static, str>>,
}

/// One media section: `m=` and its `i= c= b= k= a=` lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaDescription {
    /// The `m=` line.
    pub media: Media,
    /// `i=` media title.
    pub title: Option<String>,
    /// `c=` lines.
    pub connections: Vec<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `k=` line (obsolete, RFC 8866 §5.12), kept as written.
    pub key: Option<String>,
    /// `a=` lines, in order.
    pub attributes: Vec<Attribute>,
}

/// A whole session description (RFC 8866 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionDescription {
    /// `v=`, always 0.
    pub version: u32,
    /// `o=`.
    pub origin: Origin,
    /// `s=` (a single space or `-` when there is none).
    pub session_name: String,
    /// `i=`.
    pub information: Option<String>,
    /// `u=`.
    pub uri: Option<String>,
    /// `e=` lines.
    pub emails: Vec<String>,
    /// `p=` lines.
    pub phones: Vec<String>,
    /// `c=`.
    pub connection: Option<Connection>,
    /// `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines with their `r=` lines; at least one.
    pub timings: Vec<Timing>,
    /// `z=` line as written.
    pub time_zones: Option<String>,
    /// `k=` line as written.
    pub key: Option<String>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// Media sections, in order.
    pub media: Vec<MediaDescription>,
}
