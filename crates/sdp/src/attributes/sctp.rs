//! SCTP over DTLS attributes (RFC 8841): `sctp-port`, `max-message-size`.

use super::syntax::{decimal, required};
use super::{AttributeError, AttributeValue};

/// `a=sctp-port:<port>`: the SCTP port of the data channel association
/// (RFC 8841 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SctpPort(pub u16);

impl AttributeValue for SctpPort {
    const NAME: &'static str = "sctp-port";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected a port number, 0 to 65535 (RFC 8841 §5.1)";
        let v = required(Self::NAME, value, RULE)?;
        decimal(v, 5, Self::NAME, RULE).map(SctpPort)
    }

    fn to_value(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

/// `a=max-message-size:<bytes>`: the largest SCTP user message the sender
/// of the description can receive; 0 means no limit (RFC 8841 §6.1), and
/// its absence means 64 KiB (§6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaxMessageSize(pub u64);

impl MaxMessageSize {
    /// The size assumed when the attribute is absent: 65,536 bytes (RFC
    /// 8841 §6.1).
    pub const DEFAULT: MaxMessageSize = MaxMessageSize(65_536);
}

impl AttributeValue for MaxMessageSize {
    const NAME: &'static str = "max-message-size";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected a number of bytes (RFC 8841 §6.1)";
        let v = required(Self::NAME, value, RULE)?;
        decimal(v, 20, Self::NAME, RULE).map(MaxMessageSize)
    }

    fn to_value(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_sizes() {
        assert_eq!(SctpPort::parse_value(Some("5000")), Ok(SctpPort(5000)));
        assert!(SctpPort::parse_value(Some("65536")).is_err());
        assert_eq!(
            MaxMessageSize::parse_value(Some("262144")),
            Ok(MaxMessageSize(262144))
        );
        assert!(MaxMessageSize::parse_value(Some("-1")).is_err());
        assert_eq!(MaxMessageSize(0).to_value().as_deref(), Some("0"));
    }
}
