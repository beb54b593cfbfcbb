//! RTCP attributes: `rtcp` (RFC 3605), `rtcp-fb` (RFC 4585), `rtcp-xr`
//! (RFC 3611).

use super::syntax::{decimal, fields, is_token, required};
use super::{AttributeError, AttributeValue};
use crate::Connection;

/// `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]`: where
/// RTCP goes when it is not on the RTP port + 1 (RFC 3605 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rtcp {
    /// The RTCP port.
    pub port: u16,
    /// The RTCP address, if not the media's `c=`.
    pub connection: Option<Connection>,
}

impl AttributeValue for Rtcp {
    const NAME: &'static str = "rtcp";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str =
            "expected <port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1)";
        let v = required(Self::NAME, value, RULE)?;
        let f = fields(v, Self::NAME, RULE)?;
        let connection = match f[1..] {
            [] => None,
            [nettype, addrtype, address] if is_token(nettype) && is_token(addrtype) => {
                Some(Connection {
                    nettype: nettype.into(),
                    addrtype: addrtype.into(),
                    address: address.into(),
                })
            }
            _ => return Err(AttributeError::new(Self::NAME, RULE)),
        };
        Ok(Rtcp {
            port: decimal(f[0], 5, Self::NAME, RULE)?,
            connection,
        })
    }

    fn to_value(&self) -> Option<String> {
        Some(match &self.connection {
            Some(c) => format!("{} {c}", self.port),
            None => self.port.to_string(),
        })
    }
}

/// `a=rtcp-fb:<format or *> <feedback> [<parameters>]`: a kind of RTCP
/// feedback the sender of the description accepts (RFC 4585 §4.2), e.g.
/// `nack`, `nack pli`, `ccm fir`, `trr-int 100`, `transport-cc` (RFC 8888
/// and its draft) or `goog-remb`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtcpFb {
    /// The payload type it applies to, or `*` for all of them.
    pub format: String,
    /// The feedback type: `ack`, `nack`, `trr-int`, or another token.
    pub feedback: String,
    /// What follows the feedback type, e.g. `pli` after `nack`.
    pub parameters: Option<String>,
}

impl RtcpFb {
    /// Whether this feedback applies to payload type `format` (either
    /// named or by `*`).
    pub fn applies_to(&self, format: &str) -> bool {
        self.format == "*" || self.format == format
    }
}

impl AttributeValue for RtcpFb {
    const NAME: &'static str = "rtcp-fb";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <format or *> <feedback> [<parameters>] (RFC 4585 §4.2)";
        let v = required(Self::NAME, value, RULE)?;
        let mut parts = v.splitn(3, ' ');
        let format = parts.next().unwrap_or_default();
        let feedback = parts.next().unwrap_or_default();
        let parameters = parts.next();
        if !(format == "*" || is_token(format)) || !is_token(feedback) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        if parameters.is_some_and(|p| p.is_empty() || p.starts_with(' ')) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        if feedback == "trr-int"
            && decimal::<u64>(parameters.unwrap_or_default(), 20, Self::NAME, RULE).is_err()
        {
            return Err(AttributeError::new(
                Self::NAME,
                "trr-int needs a number of milliseconds (RFC 4585 §4.2)",
            ));
        }
        Ok(RtcpFb {
            format: format.to_owned(),
            feedback: feedback.to_owned(),
            parameters: parameters.map(str::to_owned),
        })
    }

    fn to_value(&self) -> Option<String> {
        Some(match &self.parameters {
            Some(p) => format!("{} {} {p}", self.format, self.feedback),
            None => format!("{} {}", self.format, self.feedback),
        })
    }
}

/// `a=rtcp-xr:[<xr-format> *(SP <xr-format>)]`: the RTCP extended report
/// blocks in use (RFC 3611 §5.1), each kept as written, e.g.
/// `rcvr-rtt=all:10000` or `stat-summary=loss,dup,jitt`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtcpXr {
    /// The report formats, in order.
    pub formats: Vec<String>,
}

impl RtcpXr {
    /// Whether report block `name` (the part before any `=`) is listed.
    pub fn has(&self, name: &str) -> bool {
        self.formats
            .iter()
            .any(|f| f.split('=').next() == Some(name))
    }
}

impl AttributeValue for RtcpXr {
    const NAME: &'static str = "rtcp-xr";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected report formats separated by single spaces (RFC 3611 §5.1)";
        let v = required(Self::NAME, value, RULE)?;
        if v.is_empty() {
            return Ok(RtcpXr {
                formats: Vec::new(),
            });
        }
        let f = fields(v, Self::NAME, RULE)?;
        if f.iter()
            .any(|x| !is_token(x.split('=').next().unwrap_or_default()))
        {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(RtcpXr {
            formats: f.into_iter().map(str::to_owned).collect(),
        })
    }

    fn to_value(&self) -> Option<String> {
        Some(self.formats.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtcp_port_and_address() {
        let r = Rtcp::parse_value(Some("9 IN IP4 0.0.0.0")).unwrap();
        assert_eq!(r.port, 9);
        assert_eq!(r.connection.as_ref().unwrap().base_address(), "0.0.0.0");
        assert_eq!(r.to_value().as_deref(), Some("9 IN IP4 0.0.0.0"));
        assert_eq!(Rtcp::parse_value(Some("53020")).unwrap().connection, None);
        for bad in ["", "70000", "9 IN IP4", "9  IN IP4 1.2.3.4"] {
            assert!(Rtcp::parse_value(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn rtcp_fb_kinds() {
        for v in [
            "111 transport-cc",
            "96 nack pli",
            "96 ccm fir",
            "* trr-int 100",
            "* nack",
        ] {
            let fb = RtcpFb::parse_value(Some(v)).unwrap();
            assert_eq!(fb.to_value().as_deref(), Some(v));
        }
        let fb = RtcpFb::parse_value(Some("96 nack pli")).unwrap();
        assert_eq!(fb.parameters.as_deref(), Some("pli"));
        assert!(fb.applies_to("96") && !fb.applies_to("97"));
        for bad in [
            "96",
            "96 ",
            "* trr-int",
            "* trr-int x",
            "96 nack  pli",
            "96 na/ck",
        ] {
            assert!(RtcpFb::parse_value(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn rtcp_xr_formats() {
        let x = RtcpXr::parse_value(Some(
            "rcvr-rtt=all:10000 stat-summary=loss,dup voip-metrics",
        ))
        .unwrap();
        assert_eq!(x.formats.len(), 3);
        assert!(x.has("voip-metrics") && x.has("rcvr-rtt") && !x.has("pkt-loss-rle"));
        assert_eq!(RtcpXr::parse_value(Some("")).unwrap().formats.len(), 0);
        assert!(RtcpXr::parse_value(Some("a  b")).is_err());
    }
}
