//! RTP payload and header-extension mappings: `rtpmap`, `fmtp`, `extmap`.

use super::media::Direction;
use super::syntax::{decimal, is_token, join_parameters, parameters, required};
use super::{AttributeError, AttributeValue};

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding
/// parameters>]` (RFC 8866 §6.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtpMap {
    /// The RTP payload type, 0-127 (RFC 3550 §5.1: seven bits).
    pub payload_type: u8,
    /// The encoding name, e.g. `opus`, `VP8`, `H264`.
    pub encoding_name: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters; for audio, the number of channels.
    pub encoding_parameters: Option<String>,
}

impl RtpMap {
    /// The number of audio channels, if the encoding parameters give one.
    pub fn channels(&self) -> Option<u32> {
        self.encoding_parameters.as_deref()?.parse().ok()
    }
}

impl AttributeValue for RtpMap {
    const NAME: &'static str = "rtpmap";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str =
            "expected <payload type> <encoding name>/<clock rate>[/<parameters>] (RFC 8866 §6.6)";
        let v = required(Self::NAME, value, RULE)?;
        let (pt, encoding) = v
            .split_once(' ')
            .ok_or(AttributeError::new(Self::NAME, RULE))?;
        let payload_type: u8 = decimal(pt, 3, Self::NAME, RULE)?;
        if payload_type > 127 {
            return Err(AttributeError::new(
                Self::NAME,
                "payload type above 127 (RFC 3550 §5.1)",
            ));
        }
        let mut parts = encoding.splitn(3, '/');
        let name = parts.next().unwrap_or_default();
        if !is_token(name) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        let clock = parts.next().ok_or(AttributeError::new(Self::NAME, RULE))?;
        let clock_rate = decimal(clock, 10, Self::NAME, RULE)?;
        let encoding_parameters = match parts.next() {
            Some(p) if is_token(p) => Some(p.to_owned()),
            Some(_) => return Err(AttributeError::new(Self::NAME, RULE)),
            None => None,
        };
        Ok(RtpMap {
            payload_type,
            encoding_name: name.to_owned(),
            clock_rate,
            encoding_parameters,
        })
    }

    fn to_value(&self) -> Option<String> {
        let mut v = format!(
            "{} {}/{}",
            self.payload_type, self.encoding_name, self.clock_rate
        );
        if let Some(p) = &self.encoding_parameters {
            v.push('/');
            v.push_str(p);
        }
        Some(v)
    }
}

/// `a=fmtp:<format> <format specific parameters>` (RFC 8866 §6.15), the
/// parameters split as the `key=value;key=value` list that RTP payload
/// formats use (e.g. RFC 7587 for opus, RFC 6184 for H.264).
///
/// Writing joins the parameters with `;` and no spaces, the form browsers
/// send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fmtp {
    /// The format (an RTP payload type for RTP media).
    pub format: String,
    /// The parameters in order: `key=value`, or a bare `key` (as in
    /// telephone-event's `0-15`).
    pub parameters: Vec<(String, Option<String>)>,
}

impl Fmtp {
    /// The format as an RTP payload type.
    pub fn payload_type(&self) -> Option<u8> {
        self.format.parse().ok().filter(|pt| *pt <= 127)
    }

    /// The value of parameter `key` (keys compare case-insensitively, as
    /// media type parameters do, RFC 6838 §4.3).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.as_deref())
    }
}

impl AttributeValue for Fmtp {
    const NAME: &'static str = "fmtp";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <format> <format specific parameters> (RFC 8866 §6.15)";
        let v = required(Self::NAME, value, RULE)?;
        let (format, params) = v
            .split_once(' ')
            .ok_or(AttributeError::new(Self::NAME, RULE))?;
        if !is_token(format) || params.is_empty() {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(Fmtp {
            format: format.to_owned(),
            parameters: parameters(params)
                .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
                .collect(),
        })
    }

    fn to_value(&self) -> Option<String> {
        Some(format!(
            "{} {}",
            self.format,
            join_parameters(&self.parameters)
        ))
    }
}

/// `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]` (RFC 8285
/// §7): an RTP header extension and the id it is sent with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extmap {
    /// 1-14 for one-byte headers, 1-255 for two-byte headers, 4096-4351
    /// in an offer for ids the answerer picks (RFC 8285 §5).
    pub id: u16,
    /// The direction, if given.
    pub direction: Option<Direction>,
    /// The extension's URI, e.g.
    /// `urn:ietf:params:rtp-hdrext:ssrc-audio-level`.
    pub uri: String,
    /// Extension attributes, as written.
    pub attributes: Option<String>,
}

impl AttributeValue for Extmap {
    const NAME: &'static str = "extmap";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <id>[/<direction>] <URI> [<attributes>] (RFC 8285 §5)";
        let v = required(Self::NAME, value, RULE)?;
        let mut parts = v.splitn(3, ' ');
        let entry = parts.next().unwrap_or_default();
        let uri = parts.next().ok_or(AttributeError::new(Self::NAME, RULE))?;
        let attributes = parts.next().map(str::to_owned);
        let (id, direction) = match entry.split_once('/') {
            Some((id, d)) => (
                id,
                Some(Direction::from_name(d).ok_or(AttributeError::new(
                    Self::NAME,
                    "direction must be sendonly, recvonly, sendrecv or inactive (RFC 8285 §5)",
                ))?),
            ),
            None => (entry, None),
        };
        let id: u16 = decimal(id, 5, Self::NAME, RULE)?;
        if !matches!(id, 1..=255 | 4096..=4351) {
            return Err(AttributeError::new(
                Self::NAME,
                "id must be 1-255, or 4096-4351 in an offer (RFC 8285 §5)",
            ));
        }
        if uri.is_empty() || !uri.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(Extmap {
            id,
            direction,
            uri: uri.to_owned(),
            attributes,
        })
    }

    fn to_value(&self) -> Option<String> {
        let mut v = self.id.to_string();
        if let Some(d) = self.direction {
            v.push('/');
            v.push_str(d.name());
        }
        v.push(' ');
        v.push_str(&self.uri);
        if let Some(a) = &self.attributes {
            v.push(' ');
            v.push_str(a);
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: AttributeValue + std::fmt::Debug>(v: &str) -> T {
        let t = T::parse_value(Some(v)).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(t.to_value().as_deref(), Some(v));
        t
    }

    #[test]
    fn rtpmap_fields() {
        let m: RtpMap = round_trip("111 opus/48000/2");
        assert_eq!((m.payload_type, m.encoding_name.as_str()), (111, "opus"));
        assert_eq!((m.clock_rate, m.channels()), (48000, Some(2)));
        let v: RtpMap = round_trip("96 VP8/90000");
        assert_eq!(v.encoding_parameters, None);
        for bad in [
            "128 VP8/90000",
            "96 VP8",
            "96VP8/90000",
            "x VP8/90000",
            "96 VP8/fast",
            "96 V P8/90000",
            "96 VP8/90000/",
        ] {
            assert!(RtpMap::parse_value(Some(bad)).is_err(), "{bad}");
        }
        assert!(RtpMap::parse_value(None).is_err());
    }

    #[test]
    fn fmtp_parameters() {
        let f: Fmtp = round_trip("111 minptime=10;useinbandfec=1");
        assert_eq!(f.payload_type(), Some(111));
        assert_eq!(f.get("useinbandfec"), Some("1"));
        assert_eq!(f.get("MINPTIME"), Some("10"));
        let t: Fmtp = round_trip("126 0-15");
        assert_eq!(t.parameters, [("0-15".to_owned(), None)]);
        let spaced = Fmtp::parse_value(Some("97 apt=96; x=1")).unwrap();
        assert_eq!(spaced.to_value().as_deref(), Some("97 apt=96;x=1"));
        assert!(Fmtp::parse_value(Some("97")).is_err());
        assert!(Fmtp::parse_value(Some("97 ")).is_err());
    }

    #[test]
    fn extmap_ids_directions_and_attributes() {
        let e: Extmap = round_trip("1 urn:ietf:params:rtp-hdrext:ssrc-audio-level");
        assert_eq!((e.id, e.direction), (1, None));
        let d: Extmap = round_trip("3/sendonly urn:ietf:params:rtp-hdrext:csrc-audio-level vad=on");
        assert_eq!(d.direction, Some(Direction::SendOnly));
        assert_eq!(d.attributes.as_deref(), Some("vad=on"));
        round_trip::<Extmap>("4096 urn:x");
        for bad in [
            "0 urn:x",
            "256 urn:x",
            "4352 urn:x",
            "1/both urn:x",
            "1",
            "1 ",
        ] {
            assert!(Extmap::parse_value(Some(bad)).is_err(), "{bad}");
        }
    }
}
