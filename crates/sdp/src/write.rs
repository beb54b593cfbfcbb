//! Writing a session description: every line in its RFC 8866 §5 form with
//! CRLF line ends.

use std::fmt::{self, Write};

use crate::types::*;

fn line(f: &mut impl Write, t: char, value: impl fmt::Display) -> fmt::Result {
    write!(f, "{t}={value}\r\n")
}

/// A line whose value is text: written without the formatting machinery,
/// which matters for descriptions of hundreds of attribute lines.
fn text_line(f: &mut impl Write, prefix: &str, value: &str) -> fmt::Result {
    f.write_str(prefix)?;
    f.write_str(value)?;
    f.write_str("\r\n")
}

fn attribute_line(f: &mut impl Write, a: &Attribute) -> fmt::Result {
    f.write_str("a=")?;
    f.write_str(&a.name)?;
    if let Some(v) = &a.value {
        f.write_char(':')?;
        f.write_str(v)?;
    }
    f.write_str("\r\n")
}

/// The leading zeros a number was written with.
fn zeros(f: &mut fmt::Formatter<'_>, n: u8) -> fmt::Result {
    for _ in 0..n {
        f.write_char('0')?;
    }
    Ok(())
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.nettype,
            self.addrtype,
            self.unicast_address
        )
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.nettype, self.addrtype, self.address)
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.modifier)?;
        zeros(f, self.leading_zeros)?;
        write!(f, "{}", self.value)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}:{}", self.name, v),
            None => f.write_str(&self.name),
        }
    }
}

impl fmt::Display for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.media)?;
        zeros(f, self.port_leading_zeros)?;
        write!(f, "{}", self.port)?;
        if let Some(c) = self.port_count {
            write!(f, "/{c}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt in &self.formats {
            write!(f, " {fmt}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SessionDescription {
    /// The description as text: `parse(x).to_string() == x` for any `x`
    /// that follows the grammar with CRLF line ends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        line(f, 'v', self.version)?;
        line(f, 'o', &self.origin)?;
        text_line(f, "s=", &self.session_name)?;
        if let Some(i) = &self.information {
            text_line(f, "i=", i)?;
        }
        if let Some(u) = &self.uri {
            text_line(f, "u=", u)?;
        }
        for e in &self.emails {
            text_line(f, "e=", e)?;
        }
        for p in &self.phones {
            text_line(f, "p=", p)?;
        }
        if let Some(c) = &self.connection {
            line(f, 'c', c)?;
        }
        for b in &self.bandwidths {
            line(f, 'b', b)?;
        }
        for t in &self.timings {
            line(f, 't', format_args!("{} {}", t.start, t.stop))?;
            for r in &t.repeats {
                text_line(f, "r=", r)?;
            }
        }
        if let Some(z) = &self.time_zones {
            text_line(f, "z=", z)?;
        }
        if let Some(k) = &self.key {
            text_line(f, "k=", k)?;
        }
        for a in &self.attributes {
            attribute_line(f, a)?;
        }
        for m in &self.media {
            line(f, 'm', &m.media)?;
            if let Some(i) = &m.title {
                text_line(f, "i=", i)?;
            }
            for c in &m.connections {
                line(f, 'c', c)?;
            }
            for b in &m.bandwidths {
                line(f, 'b', b)?;
            }
            if let Some(k) = &m.key {
                text_line(f, "k=", k)?;
            }
            for a in &m.attributes {
                attribute_line(f, a)?;
            }
        }
        Ok(())
    }
}
