//! Reading a session description (RFC 8866 §5, §9).

use std::borrow::Cow;

use compact_str::CompactString;

use crate::attributes::known_name;
use crate::attributes::syntax::is_token;
use crate::types::*;
use crate::{Error, Limits};

/// Where a line may come in the grammar: its rank in `v o s i u e p c b t r
/// z k a` (session) or `m i c b k a` (media).
fn session_rank(t: char) -> Option<u8> {
    Some(match t {
        'v' => 0,
        'o' => 1,
        's' => 2,
        'i' => 3,
        'u' => 4,
        'e' => 5,
        'p' => 6,
        'c' => 7,
        'b' => 8,
        't' => 9,
        'r' => 10,
        'z' => 11,
        'k' => 12,
        'a' => 13,
        _ => return None,
    })
}

fn media_rank(t: char) -> Option<u8> {
    Some(match t {
        'm' => 0,
        'i' => 1,
        'c' => 2,
        'b' => 3,
        'k' => 4,
        'a' => 5,
        _ => return None,
    })
}

/// Line types that may repeat.
fn repeats(t: char) -> bool {
    matches!(t, 'e' | 'p' | 'b' | 't' | 'r' | 'a' | 'c')
}

fn invalid(line: usize, field: &'static str, reason: &'static str) -> Error {
    Error::Invalid {
        line,
        field,
        reason,
    }
}

/// Split a field list on single spaces; empty fields (two spaces) are an
/// error.
fn fields<'a>(value: &'a str, line: usize, field: &'static str) -> Result<Vec<&'a str>, Error> {
    let parts: Vec<&str> = value.split(' ').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(
            line,
            field,
            "fields are separated by exactly one space",
        ));
    }
    Ok(parts)
}

fn number<T: std::str::FromStr>(s: &str, line: usize, field: &'static str) -> Result<T, Error> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(line, field, "expected a decimal number"));
    }
    s.parse()
        .map_err(|_| invalid(line, field, "number out of range"))
}

/// The lines of `text`: CRLF or LF line ends (RFC 8866 §5 asks parsers to
/// accept LF), no other CR, no NUL.
fn lines<'a>(text: &'a str, limits: &Limits) -> Result<Vec<&'a str>, Error> {
    if text.len() > limits.max_size {
        return Err(Error::TooLarge {
            line: 0,
            what: "description size",
            limit: limits.max_size,
        });
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut out = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', body.as_bytes()).chain([body.len()]);
    for (i, end) in ends.enumerate() {
        // `\n` is ASCII, so both ends are on character boundaries.
        let raw = &body[start..end];
        start = end + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if memchr::memchr2(b'\r', b'\0', line.as_bytes()).is_some() {
            return Err(Error::BadCharacter { line: i + 1 });
        }
        if out.len() == limits.max_lines {
            return Err(Error::TooLarge {
                line: i + 1,
                what: "line count",
                limit: limits.max_lines,
            });
        }
        out.push(line);
    }
    Ok(out)
}

/// `1*DIGIT` (RFC 8866 §9): the value and how many zeros were written
/// before it, at most 255.
fn digits<T: std::str::FromStr>(
    s: &str,
    line: usize,
    field: &'static str,
) -> Result<(T, u8), Error> {
    let significant = s.trim_start_matches('0');
    let significant = if significant.is_empty() && !s.is_empty() {
        "0"
    } else {
        significant
    };
    let zeros = u8::try_from(s.len() - significant.len())
        .map_err(|_| invalid(line, field, "more than 255 leading zeros"))?;
    Ok((number(significant, line, field)?, zeros))
}

/// `integer = POS-DIGIT *DIGIT` (RFC 8866 §9): no leading zeros, not 0.
fn integer<T: std::str::FromStr>(s: &str, line: usize, field: &'static str) -> Result<T, Error> {
    if s.starts_with('0') {
        return Err(invalid(
            line,
            field,
            "expected a positive integer without leading zeros",
        ));
    }
    number(s, line, field)
}

/// `start-time` / `stop-time = time / "0"`, `time = POS-DIGIT 9*DIGIT`
/// (RFC 8866 §9): 0, or an NTP time of at least ten digits.
fn time(s: &str, line: usize, field: &'static str) -> Result<u64, Error> {
    if s != "0" && (s.len() < 10 || s.starts_with('0')) {
        return Err(invalid(
            line,
            field,
            "expected 0 or an NTP time of at least 10 digits",
        ));
    }
    number(s, line, field)
}

fn origin(v: &str, n: usize) -> Result<Origin, Error> {
    let f = fields(v, n, "o=")?;
    let [username, id, version, nettype, addrtype, address] = f[..] else {
        return Err(invalid(n, "o=", "expected 6 fields"));
    };
    for (digits, field) in [(id, "o= sess-id"), (version, "o= sess-version")] {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(n, field, "expected a decimal number"));
        }
    }
    Ok(Origin {
        username: username.into(),
        session_id: id.into(),
        session_version: version.into(),
        nettype: nettype.into(),
        addrtype: addrtype.into(),
        unicast_address: address.into(),
    })
}

fn connection(v: &str, n: usize) -> Result<Connection, Error> {
    let f = fields(v, n, "c=")?;
    let [nettype, addrtype, address] = f[..] else {
        return Err(invalid(n, "c=", "expected 3 fields"));
    };
    Ok(Connection {
        nettype: nettype.into(),
        addrtype: addrtype.into(),
        address: address.into(),
    })
}

fn bandwidth(v: &str, n: usize) -> Result<Bandwidth, Error> {
    let (modifier, value) = v
        .split_once(':')
        .ok_or_else(|| invalid(n, "b=", "expected <bwtype>:<bandwidth>"))?;
    if !is_token(modifier) {
        return Err(invalid(n, "b=", "bwtype must be a token"));
    }
    let (value, leading_zeros) = digits(value, n, "b= bandwidth")?;
    Ok(Bandwidth {
        modifier: modifier.into(),
        value,
        leading_zeros,
    })
}

fn timing(v: &str, n: usize) -> Result<Timing, Error> {
    let f = fields(v, n, "t=")?;
    let [start, stop] = f[..] else {
        return Err(invalid(n, "t=", "expected <start-time> <stop-time>"));
    };
    Ok(Timing {
        start: time(start, n, "t= start-time")?,
        stop: time(stop, n, "t= stop-time")?,
        repeats: Vec::new(),
    })
}

fn media(v: &str, n: usize) -> Result<Media, Error> {
    let f = fields(v, n, "m=")?;
    if f.len() < 4 {
        return Err(invalid(
            n,
            "m=",
            "expected <media> <port> <proto> <fmt> ...",
        ));
    }
    let (port, count) = match f[1].split_once('/') {
        Some((p, c)) => (p, Some(integer(c, n, "m= number of ports")?)),
        None => (f[1], None),
    };
    if !is_token(f[0]) {
        return Err(invalid(n, "m=", "media must be a token"));
    }
    let (port, port_leading_zeros) = digits(port, n, "m= port")?;
    Ok(Media {
        media: f[0].into(),
        port,
        port_leading_zeros,
        port_count: count,
        proto: f[2].into(),
        formats: f[3..].iter().map(|s| format(s)).collect(),
    })
}

/// A media format of an `m=` line: RTP payload types in their usual form
/// and `webrtc-datachannel` borrowed from constants, anything else owned.
fn format(text: &str) -> Cow<'static, str> {
    /// The RTP payload types, 0 to 127 (RFC 3551 §6, RFC 3550 §5.1).
    const PAYLOAD_TYPES: [&str; 128] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
        "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31",
        "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46",
        "47", "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61",
        "62", "63", "64", "65", "66", "67", "68", "69", "70", "71", "72", "73", "74", "75", "76",
        "77", "78", "79", "80", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91",
        "92", "93", "94", "95", "96", "97", "98", "99", "100", "101", "102", "103", "104", "105",
        "106", "107", "108", "109", "110", "111", "112", "113", "114", "115", "116", "117", "118",
        "119", "120", "121", "122", "123", "124", "125", "126", "127",
    ];
    let known = match text {
        "webrtc-datachannel" => Some("webrtc-datachannel"),
        _ => text
            .parse::<usize>()
            .ok()
            .and_then(|pt| PAYLOAD_TYPES.get(pt).copied())
            .filter(|pt| *pt == text),
    };
    match known {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(text.to_owned()),
    }
}

fn attribute(v: &str, n: usize) -> Result<Attribute, Error> {
    let colon = v.bytes().position(|b| b == b':');
    let (name, value) = match colon.map(|i| (&v[..i], &v[i + 1..])) {
        Some((_, "")) => {
            return Err(invalid(
                n,
                "a=",
                "an attribute value must not be empty (RFC 8866 §9: att-value = byte-string)",
            ));
        }
        Some((name, value)) => (name, Some(value.into())),
        None => (v, None),
    };
    if !is_token(name) {
        return Err(invalid(n, "a=", "attribute name must be a token"));
    }
    let name = match known_name(name) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(name.to_owned()),
    };
    Ok(Attribute { name, value })
}

impl SessionDescription {
    /// Parse with the default [`Limits`]; see
    /// [`SessionDescription::parse_with_limits`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        SessionDescription::parse_with_limits(text, &Limits::default())
    }

    /// Parse `text`, following the order and field grammar of RFC 8866 §5
    /// strictly; errors carry the line number. `limits` bound the size,
    /// the line count and the attributes per section; the size is checked
    /// before the text is split into lines.
    ///
    /// ```
    /// use rtw_sdp::{Error, Limits, SessionDescription};
    ///
    /// let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    /// let error = SessionDescription::parse_with_limits(text, &Limits::default().max_lines(3))
    ///     .unwrap_err();
    /// assert!(matches!(error, Error::TooLarge { line: 4, .. }));
    /// ```
    pub fn parse_with_limits(text: &str, limits: &Limits) -> Result<Self, Error> {
        let lines = lines(text, limits)?;
        let empty = CompactString::default;
        let mut sd = SessionDescription::new(Origin {
            username: empty(),
            session_id: empty(),
            session_version: empty(),
            nettype: empty(),
            addrtype: empty(),
            unicast_address: empty(),
        });
        // Filled from the text: `s=` and `t=` are required there.
        sd.session_name.clear();
        sd.timings.clear();
        let mut last: Option<(char, u8)> = None;
        let mut in_media = false;
        for (i, line) in lines.iter().enumerate() {
            let n = i + 1;
            let mut chars = line.chars();
            let (Some(t), Some('=')) = (chars.next(), chars.next()) else {
                return Err(Error::Malformed { line: n });
            };
            if !t.is_ascii_lowercase() {
                return Err(Error::Malformed { line: n });
            }
            let value = &line[2..];
            if t == 'm' {
                in_media = true;
            }
            let rank = if in_media {
                media_rank(t)
            } else {
                session_rank(t)
            };
            let expected = if in_media {
                "one of m i c b k a"
            } else {
                "the order v o s i u e p c b t r z k a"
            };
            let unexpected = Err(Error::Unexpected {
                line: n,
                found: t,
                expected,
            });
            let Some(rank) = rank else { return unexpected };
            if i == 0 && t != 'v' {
                return Err(Error::Missing {
                    line: n,
                    line_type: 'v',
                });
            }
            let in_order = match last {
                None => true,
                Some((lt, lr)) => {
                    // Later in the order; or a line type that may repeat
                    // (a session has at most one `c=`); or a new media
                    // section; or the next `t=` after `r=` lines.
                    let repeat = rank == lr && repeats(t) && (in_media || t != 'c');
                    rank > lr || repeat || t == 'm' || (t == 't' && lt == 'r' && !in_media)
                }
            };
            if !in_order {
                return unexpected;
            }
            if t == 'r' && !matches!(last, Some(('t' | 'r', _))) {
                return unexpected;
            }
            last = Some((t, rank));
            if in_media {
                if t == 'm' {
                    sd.media.push(MediaDescription {
                        media: media(value, n)?,
                        title: None,
                        connections: Vec::new(),
                        bandwidths: Vec::new(),
                        key: None,
                        attributes: Vec::new(),
                    });
                    continue;
                }
                let m = sd.media.last_mut().expect("a media section is open");
                match t {
                    'i' => m.title = Some(value.into()),
                    'c' => m.connections.push(connection(value, n)?),
                    'b' => m.bandwidths.push(bandwidth(value, n)?),
                    'k' => m.key = Some(value.into()),
                    _ => {
                        if m.attributes.len() == limits.max_attributes {
                            return Err(Error::TooLarge {
                                line: n,
                                what: "attributes in a section",
                                limit: limits.max_attributes,
                            });
                        }
                        m.attributes.push(attribute(value, n)?)
                    }
                }
                continue;
            }
            match t {
                'v' => {
                    if value != "0" {
                        return Err(invalid(n, "v=", "version must be 0"));
                    }
                }
                'o' => sd.origin = origin(value, n)?,
                's' => {
                    if value.is_empty() {
                        return Err(invalid(
                            n,
                            "s=",
                            "session name must not be empty (use \"-\" or a space)",
                        ));
                    }
                    sd.session_name = value.into()
                }
                'i' => sd.information = Some(value.into()),
                'u' => sd.uri = Some(value.into()),
                'e' => sd.emails.push(value.into()),
                'p' => sd.phones.push(value.into()),
                'c' => sd.connection = Some(connection(value, n)?),
                'b' => sd.bandwidths.push(bandwidth(value, n)?),
                't' => sd.timings.push(timing(value, n)?),
                'r' => sd
                    .timings
                    .last_mut()
                    .expect("r= follows t=")
                    .repeats
                    .push(value.into()),
                'z' => sd.time_zones = Some(value.into()),
                'k' => sd.key = Some(value.into()),
                _ => {
                    if sd.attributes.len() == limits.max_attributes {
                        return Err(Error::TooLarge {
                            line: n,
                            what: "attributes in a section",
                            limit: limits.max_attributes,
                        });
                    }
                    sd.attributes.push(attribute(value, n)?)
                }
            }
        }
        let seen = |t: char| {
            lines
                .iter()
                .any(|l| l.starts_with(t) && l[1..].starts_with('='))
        };
        for required in ['v', 'o', 's', 't'] {
            if !seen(required) {
                return Err(Error::Missing {
                    line: 0,
                    line_type: required,
                });
            }
        }
        Ok(sd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known names and payload types are borrowed, everything else owned,
    /// and both are written back as they were read.
    #[test]
    fn known_names_and_formats_are_borrowed() {
        let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            m=video 9 UDP/TLS/RTP/SAVPF 96 0 127 096 128 x webrtc-datachannel\r\n\
            a=rtpmap:96 VP8/90000\r\na=sendrecv\r\na=x-custom:a value longer than twenty-four bytes\r\n";
        let sd = SessionDescription::parse(text).unwrap();
        let m = &sd.media[0];
        let borrowed: Vec<bool> = m
            .media
            .formats
            .iter()
            .map(|f| matches!(f, Cow::Borrowed(_)))
            .collect();
        assert_eq!(borrowed, [true, true, true, false, false, false, true]);
        assert_eq!(
            m.media.formats,
            ["96", "0", "127", "096", "128", "x", "webrtc-datachannel"]
        );
        let names: Vec<_> = m
            .attributes
            .iter()
            .map(|a| matches!(a.name, Cow::Borrowed(_)))
            .collect();
        assert_eq!(names, [true, true, false]);
        assert_eq!(m.attributes[0].value.as_deref(), Some("96 VP8/90000"));
        assert!(!m.attributes[0].value.as_ref().unwrap().is_heap_allocated());
        assert!(m.attributes[2].value.as_ref().unwrap().is_heap_allocated());
        assert_eq!(sd.to_string(), text);
    }
}
