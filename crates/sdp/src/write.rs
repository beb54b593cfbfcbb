//! Writing a session description: every line in its RFC 8866 §5 form with
//! CRLF line ends.
//!
//! Every part is written by one function generic over [`Write`], used both
//! by the `Display` impls and by [`SessionDescription::write_to`], which
//! writes into a `String` sized beforehand: hundreds of attribute lines
//! then cost plain appends, with no formatting machinery and no regrowth.

use std::fmt::{self, Write};

use crate::types::*;

/// Append `n` in decimal, without the formatting machinery.
fn number(w: &mut impl Write, n: u64) -> fmt::Result {
    w.write_str(itoa::Buffer::new().format(n))
}

/// The leading zeros a number was written with.
fn zeros(w: &mut impl Write, n: u8) -> fmt::Result {
    for _ in 0..n {
        w.write_char('0')?;
    }
    Ok(())
}

/// A line whose value is text.
fn text_line(w: &mut impl Write, prefix: &str, value: &str) -> fmt::Result {
    w.write_str(prefix)?;
    w.write_str(value)?;
    w.write_str("\r\n")
}

fn origin(w: &mut impl Write, o: &Origin) -> fmt::Result {
    for (i, part) in [
        &o.username,
        &o.session_id,
        &o.session_version,
        &o.nettype,
        &o.addrtype,
        &o.unicast_address,
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            w.write_char(' ')?;
        }
        w.write_str(part)?;
    }
    Ok(())
}

fn connection(w: &mut impl Write, c: &Connection) -> fmt::Result {
    w.write_str(&c.nettype)?;
    w.write_char(' ')?;
    w.write_str(&c.addrtype)?;
    w.write_char(' ')?;
    w.write_str(&c.address)
}

fn bandwidth(w: &mut impl Write, b: &Bandwidth) -> fmt::Result {
    w.write_str(&b.modifier)?;
    w.write_char(':')?;
    zeros(w, b.leading_zeros)?;
    number(w, b.value)
}

fn attribute(w: &mut impl Write, a: &Attribute) -> fmt::Result {
    w.write_str(&a.name)?;
    if let Some(v) = &a.value {
        w.write_char(':')?;
        w.write_str(v)?;
    }
    Ok(())
}

/// `a=` lines: one CRLF and the next `a=` are appended together.
fn attributes(w: &mut impl Write, list: &[Attribute]) -> fmt::Result {
    let mut before = "a=";
    for a in list {
        w.write_str(before)?;
        attribute(w, a)?;
        before = "\r\na=";
    }
    if !list.is_empty() {
        w.write_str("\r\n")?;
    }
    Ok(())
}

fn media(w: &mut impl Write, m: &Media) -> fmt::Result {
    w.write_str(&m.media)?;
    w.write_char(' ')?;
    zeros(w, m.port_leading_zeros)?;
    number(w, u64::from(m.port))?;
    if let Some(c) = m.port_count {
        w.write_char('/')?;
        number(w, u64::from(c))?;
    }
    w.write_char(' ')?;
    w.write_str(&m.proto)?;
    for fmt in &m.formats {
        w.write_char(' ')?;
        w.write_str(fmt)?;
    }
    Ok(())
}

/// One line: `<t>=`, the value written by `value`, CRLF.
fn line<W: Write, T>(
    w: &mut W,
    prefix: &str,
    part: &T,
    value: fn(&mut W, &T) -> fmt::Result,
) -> fmt::Result {
    w.write_str(prefix)?;
    value(w, part)?;
    w.write_str("\r\n")
}

fn description<W: Write>(w: &mut W, sd: &SessionDescription) -> fmt::Result {
    w.write_str("v=")?;
    number(w, u64::from(sd.version))?;
    w.write_str("\r\n")?;
    line(w, "o=", &sd.origin, origin)?;
    text_line(w, "s=", &sd.session_name)?;
    if let Some(i) = &sd.information {
        text_line(w, "i=", i)?;
    }
    if let Some(u) = &sd.uri {
        text_line(w, "u=", u)?;
    }
    for e in &sd.emails {
        text_line(w, "e=", e)?;
    }
    for p in &sd.phones {
        text_line(w, "p=", p)?;
    }
    if let Some(c) = &sd.connection {
        line(w, "c=", c, connection)?;
    }
    for b in &sd.bandwidths {
        line(w, "b=", b, bandwidth)?;
    }
    for t in &sd.timings {
        w.write_str("t=")?;
        number(w, t.start)?;
        w.write_char(' ')?;
        number(w, t.stop)?;
        w.write_str("\r\n")?;
        for r in &t.repeats {
            text_line(w, "r=", r)?;
        }
    }
    if let Some(z) = &sd.time_zones {
        text_line(w, "z=", z)?;
    }
    if let Some(k) = &sd.key {
        text_line(w, "k=", k)?;
    }
    attributes(w, &sd.attributes)?;
    for m in &sd.media {
        line(w, "m=", &m.media, media)?;
        if let Some(i) = &m.title {
            text_line(w, "i=", i)?;
        }
        for c in &m.connections {
            line(w, "c=", c, connection)?;
        }
        for b in &m.bandwidths {
            line(w, "b=", b, bandwidth)?;
        }
        if let Some(k) = &m.key {
            text_line(w, "k=", k)?;
        }
        attributes(w, &m.attributes)?;
    }
    Ok(())
}

/// An upper bound, close enough to avoid regrowth, of the text length:
/// every string's bytes plus a fixed allowance per line for the prefix,
/// separators, numbers and CRLF.
fn length_hint(sd: &SessionDescription) -> usize {
    const LINE: usize = 48;
    let attributes = |list: &[Attribute]| -> usize {
        list.iter()
            .map(|a| 5 + a.name.len() + a.value.as_ref().map_or(0, |v| v.len()))
            .sum()
    };
    let o = &sd.origin;
    let mut n = 8 * LINE
        + o.username.len()
        + o.session_id.len()
        + o.session_version.len()
        + o.unicast_address.len()
        + sd.session_name.len()
        + attributes(&sd.attributes);
    n += [&sd.information, &sd.uri, &sd.time_zones, &sd.key]
        .iter()
        .map(|s| s.as_ref().map_or(0, |s| s.len() + 4))
        .sum::<usize>();
    n += sd
        .emails
        .iter()
        .chain(&sd.phones)
        .map(|s| s.len() + 4)
        .sum::<usize>();
    n += sd
        .timings
        .iter()
        .map(|t| LINE + t.repeats.iter().map(|r| r.len() + 4).sum::<usize>())
        .sum::<usize>();
    n += (sd.bandwidths.len() + usize::from(sd.connection.is_some())) * LINE;
    for m in &sd.media {
        n += LINE
            + m.media.media.len()
            + m.media.proto.len()
            + m.media.formats.iter().map(|f| f.len() + 1).sum::<usize>()
            + m.title.as_ref().map_or(0, |t| t.len() + 4)
            + m.key.as_ref().map_or(0, |k| k.len() + 4)
            + (m.connections.len() + m.bandwidths.len()) * LINE
            + attributes(&m.attributes);
    }
    n
}

impl SessionDescription {
    /// Append the description as text to `out`, reserving its length
    /// first: the fast way to write one, the same text as `Display`.
    ///
    /// ```
    /// let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n";
    /// let sd = rtw_sdp::SessionDescription::parse(text)?;
    /// let mut out = String::new();
    /// sd.write_to(&mut out);
    /// assert_eq!(out, text);
    /// # Ok::<(), rtw_sdp::Error>(())
    /// ```
    pub fn write_to(&self, out: &mut String) {
        out.reserve(length_hint(self));
        description(out, self).expect("writing to a String cannot fail");
    }
}

impl fmt::Display for SessionDescription {
    /// The description as text: `parse(x).to_string() == x` for any `x`
    /// that follows the grammar with CRLF line ends. The text is made with
    /// [`SessionDescription::write_to`] and handed to the formatter whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_to(&mut text);
        f.write_str(&text)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        origin(f, self)
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        connection(f, self)
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        bandwidth(f, self)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        attribute(f, self)
    }
}

impl fmt::Display for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        media(f, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for n in [0, 7, 10, 99, 100, 65_535, u64::MAX] {
            let mut s = String::new();
            number(&mut s, n).unwrap();
            assert_eq!(s, n.to_string());
        }
    }

    /// Every part, written by `write_to` and by `Display`, gives the text
    /// it was parsed from, and the length hint is an upper bound.
    #[test]
    fn every_part_round_trips() {
        let text = "v=0\r\n\
            o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n\
            s=Call to John Smith\r\n\
            i=SDP Offer #1\r\n\
            u=http://www.jdoe.example.com/home.html\r\n\
            e=Jane Doe <jane@jdoe.example.com>\r\n\
            p=+1 617 555-6011\r\n\
            c=IN IP4 198.51.100.1\r\n\
            b=AS:0064\r\n\
            t=0 0\r\n\
            r=604800 3600 0 90000\r\n\
            z=2882844526 -1h 2898848070 0\r\n\
            k=prompt\r\n\
            a=recvonly\r\n\
            m=audio 049170/2 RTP/AVP 0 8\r\n\
            i=voice\r\n\
            c=IN IP6 2001:db8::2\r\n\
            b=CT:128\r\n\
            k=prompt\r\n\
            a=rtpmap:0 PCMU/8000\r\n\
            m=video 51372 RTP/AVP 99\r\n\
            a=rtpmap:99 h263-1998/90000\r\n";
        let sd = SessionDescription::parse(text).unwrap();
        let mut out = String::new();
        sd.write_to(&mut out);
        assert_eq!(out, text);
        assert_eq!(sd.to_string(), text);
        assert!(length_hint(&sd) >= text.len());
    }
}
