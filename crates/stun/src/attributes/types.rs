//! Attribute type codes (RFC 8489 §18.3, RFC 8445 §16.1, RFC 8656 §18).

/// An attribute type code.
///
/// Codes below 0x8000 are comprehension-required: an agent that does not
/// understand one must reject the message (RFC 8489 §14, §6.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeType(pub u16);

macro_rules! attribute_types {
    ($($name:ident = $code:expr, $text:expr, $doc:expr;)*) => {
        impl AttributeType {
            $(#[doc = $doc] pub const $name: AttributeType = AttributeType($code);)*

            /// The registered name, or `None` for an unknown code.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($text),)*
                    _ => None,
                }
            }

            /// Every type this crate knows.
            pub const KNOWN: &'static [AttributeType] = &[$(AttributeType::$name),*];
        }
    };
}

attribute_types! {
    MAPPED_ADDRESS = 0x0001, "MAPPED-ADDRESS", "RFC 8489 §14.1.";
    USERNAME = 0x0006, "USERNAME", "RFC 8489 §14.3.";
    MESSAGE_INTEGRITY = 0x0008, "MESSAGE-INTEGRITY", "RFC 8489 §14.5.";
    ERROR_CODE = 0x0009, "ERROR-CODE", "RFC 8489 §14.8.";
    UNKNOWN_ATTRIBUTES = 0x000A, "UNKNOWN-ATTRIBUTES", "RFC 8489 §14.13.";
    CHANNEL_NUMBER = 0x000C, "CHANNEL-NUMBER", "RFC 8656 §18.1.";
    LIFETIME = 0x000D, "LIFETIME", "RFC 8656 §18.2.";
    XOR_PEER_ADDRESS = 0x0012, "XOR-PEER-ADDRESS", "RFC 8656 §18.3.";
    DATA = 0x0013, "DATA", "RFC 8656 §18.4.";
    REALM = 0x0014, "REALM", "RFC 8489 §14.9.";
    NONCE = 0x0015, "NONCE", "RFC 8489 §14.10.";
    XOR_RELAYED_ADDRESS = 0x0016, "XOR-RELAYED-ADDRESS", "RFC 8656 §18.5.";
    REQUESTED_ADDRESS_FAMILY = 0x0017, "REQUESTED-ADDRESS-FAMILY", "RFC 8656 §18.6.";
    EVEN_PORT = 0x0018, "EVEN-PORT", "RFC 8656 §18.7.";
    REQUESTED_TRANSPORT = 0x0019, "REQUESTED-TRANSPORT", "RFC 8656 §18.8.";
    DONT_FRAGMENT = 0x001A, "DONT-FRAGMENT", "RFC 8656 §18.9.";
    MESSAGE_INTEGRITY_SHA256 = 0x001C, "MESSAGE-INTEGRITY-SHA256", "RFC 8489 §14.6.";
    PASSWORD_ALGORITHM = 0x001D, "PASSWORD-ALGORITHM", "RFC 8489 §14.12.";
    USERHASH = 0x001E, "USERHASH", "RFC 8489 §14.4.";
    XOR_MAPPED_ADDRESS = 0x0020, "XOR-MAPPED-ADDRESS", "RFC 8489 §14.2.";
    RESERVATION_TOKEN = 0x0022, "RESERVATION-TOKEN", "RFC 8656 §18.10.";
    PRIORITY = 0x0024, "PRIORITY", "RFC 8445 §16.1.";
    USE_CANDIDATE = 0x0025, "USE-CANDIDATE", "RFC 8445 §16.1.";
    CONNECTION_ID = 0x002A, "CONNECTION-ID", "RFC 6062 §6.2.1.";
    PASSWORD_ALGORITHMS = 0x8002, "PASSWORD-ALGORITHMS", "RFC 8489 §14.11.";
    ALTERNATE_DOMAIN = 0x8003, "ALTERNATE-DOMAIN", "RFC 8489 §14.16.";
    SOFTWARE = 0x8022, "SOFTWARE", "RFC 8489 §14.14.";
    ALTERNATE_SERVER = 0x8023, "ALTERNATE-SERVER", "RFC 8489 §14.15.";
    FINGERPRINT = 0x8028, "FINGERPRINT", "RFC 8489 §14.7.";
    ICE_CONTROLLED = 0x8029, "ICE-CONTROLLED", "RFC 8445 §16.1.";
    ICE_CONTROLLING = 0x802A, "ICE-CONTROLLING", "RFC 8445 §16.1.";
    ADDITIONAL_ADDRESS_FAMILY = 0x8000, "ADDITIONAL-ADDRESS-FAMILY", "RFC 8656 §18.11.";
    ADDRESS_ERROR_CODE = 0x8001, "ADDRESS-ERROR-CODE", "RFC 8656 §18.12.";
    ICMP = 0x8004, "ICMP", "RFC 8656 §18.13.";
}

impl AttributeType {
    /// `true` for 0x0000-0x7FFF (RFC 8489 §14).
    pub fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }
}

impl std::fmt::Display for AttributeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:04X}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_has_its_own_code() {
        // str0m encoded SOFTWARE with RESERVATION-TOKEN's code 0x0022.
        assert_eq!(AttributeType::SOFTWARE.0, 0x8022);
        assert_eq!(AttributeType::RESERVATION_TOKEN.0, 0x0022);
        assert!(AttributeType::RESERVATION_TOKEN.is_comprehension_required());
        assert!(!AttributeType::SOFTWARE.is_comprehension_required());
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<u16> = AttributeType::KNOWN.iter().map(|t| t.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), AttributeType::KNOWN.len());
    }
}
