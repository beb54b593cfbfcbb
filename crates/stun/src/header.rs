//! The STUN message header (RFC 8489 §5).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |0 0|     STUN Message Type     |         Message Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Magic Cookie                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Transaction ID (96 bits)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

/// The fixed magic cookie, 0x2112A442 (RFC 8489 §5).
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

/// Length of the header in bytes.
pub const HEADER_LEN: usize = 20;

/// The class of a message (RFC 8489 §5): bits C1 and C0 of the type.
///
/// Debug prints the variant's name (`Request`, `SuccessResponse`, ...);
/// Display prints it in words as RFC 8489 §5 does (`request`,
/// `success response`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// 0b00.
    Request,
    /// 0b01.
    Indication,
    /// 0b10.
    SuccessResponse,
    /// 0b11.
    ErrorResponse,
}

/// A STUN method (RFC 8489 §18.2, RFC 8656 §17): 12 bits.
///
/// Debug and Display print the registered name (RFC 8489 §18.2,
/// RFC 8656 §17) of a known method and the number of an unknown one, in
/// hex, as the registry writes it:
///
/// ```
/// use rtw_stun::Method;
///
/// assert_eq!(format!("{:?}", Method::BINDING), "Binding");
/// assert_eq!(Method(1).to_string(), "Binding");
/// assert_eq!(format!("{:?}", Method(0x00D)), "Method(0x00D)");
/// assert_eq!(Method(0x00D).to_string(), "0x00D");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method(pub u16);

impl std::fmt::Debug for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Method(0x{:03X})", self.0),
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "0x{:03X}", self.0),
        }
    }
}

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Method = Method(0x001);
    /// Allocate (RFC 8656 §7).
    pub const ALLOCATE: Method = Method(0x003);
    /// Refresh (RFC 8656 §8).
    pub const REFRESH: Method = Method(0x004);
    /// Send (RFC 8656 §11.1), indication only.
    pub const SEND: Method = Method(0x006);
    /// Data (RFC 8656 §11.3), indication only.
    pub const DATA: Method = Method(0x007);
    /// CreatePermission (RFC 8656 §10).
    pub const CREATE_PERMISSION: Method = Method(0x008);
    /// ChannelBind (RFC 8656 §12).
    pub const CHANNEL_BIND: Method = Method(0x009);
    /// Connect (RFC 6062 §6.2.1): open a TCP connection to a peer.
    pub const CONNECT: Method = Method(0x00A);
    /// ConnectionBind (RFC 6062 §6.2.2): bind a data connection to a peer
    /// connection.
    pub const CONNECTION_BIND: Method = Method(0x00B);
    /// ConnectionAttempt (RFC 6062 §6.2.3), indication only: a peer
    /// connected to the relayed address.
    pub const CONNECTION_ATTEMPT: Method = Method(0x00C);

    /// The method's name in the registries, or `None` if unknown.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Method::BINDING => "Binding",
            Method::ALLOCATE => "Allocate",
            Method::REFRESH => "Refresh",
            Method::SEND => "Send",
            Method::DATA => "Data",
            Method::CREATE_PERMISSION => "CreatePermission",
            Method::CHANNEL_BIND => "ChannelBind",
            Method::CONNECT => "Connect",
            Method::CONNECTION_BIND => "ConnectionBind",
            Method::CONNECTION_ATTEMPT => "ConnectionAttempt",
            _ => return None,
        })
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Class::Request => "request",
            Class::Indication => "indication",
            Class::SuccessResponse => "success response",
            Class::ErrorResponse => "error response",
        })
    }
}

/// Method and class, interleaved into the 14-bit message type (RFC 8489 §5):
///
/// ```text
///  0                 1
///  2  3  4 5 6 7 8 9 0 1 2 3 4 5
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
/// |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
/// +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageType {
    /// The method.
    pub method: Method,
    /// The class.
    pub class: Class,
}

impl MessageType {
    /// A message type.
    pub const fn new(method: Method, class: Class) -> Self {
        MessageType { method, class }
    }

    /// Decode the 14 type bits (the top two bits of `raw` must already have
    /// been checked to be zero).
    pub fn from_bits(raw: u16) -> Self {
        let m = raw & 0x000F | (raw & 0x00E0) >> 1 | (raw & 0x3E00) >> 2;
        let class = match (raw >> 7 & 0b10) | (raw >> 4 & 0b01) {
            0b00 => Class::Request,
            0b01 => Class::Indication,
            0b10 => Class::SuccessResponse,
            _ => Class::ErrorResponse,
        };
        MessageType {
            method: Method(m),
            class,
        }
    }

    /// Encode as the 16-bit field (top two bits zero). Methods wider than
    /// 12 bits are truncated to 12.
    pub fn to_bits(self) -> u16 {
        let m = self.method.0 & 0x0FFF;
        let c = match self.class {
            Class::Request => 0b00,
            Class::Indication => 0b01,
            Class::SuccessResponse => 0b10,
            Class::ErrorResponse => 0b11,
        };
        (m & 0x000F) | (m & 0x0070) << 1 | (m & 0x0F80) << 2 | (c & 0b01) << 4 | (c & 0b10) << 7
    }
}

/// The 96-bit transaction ID (RFC 8489 §5), chosen by the client from a
/// cryptographically random source the caller supplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TransactionId(pub [u8; 12]);

impl TransactionId {
    /// A transaction ID of 96 random bits drawn from `random` (RFC 8489
    /// §5: "uniformly and randomly chosen from the interval 0 .. 2**96-1,
    /// and MUST be cryptographically random"). Any
    /// [`Random`](crate::Random) works: an OS-seeded source in production
    /// (`rtw_tokio::OsRandom`), [`SeededRandom`](crate::SeededRandom) in
    /// tests, a closure, or `&mut *boxed` for a `Box<dyn Random + Send>`.
    ///
    /// ```
    /// use rtw_stun::{SeededRandom, TransactionId};
    ///
    /// let mut random = SeededRandom::new(1);
    /// let (a, b) = (TransactionId::random(&mut random), TransactionId::random(&mut random));
    /// assert_ne!(a, b);
    /// assert_eq!(TransactionId::random(&mut |b: &mut [u8]| b.fill(7)), TransactionId([7; 12]));
    /// ```
    pub fn random(random: &mut (impl crate::Random + ?Sized)) -> Self {
        let mut id = [0u8; 12];
        random.fill_bytes(&mut id);
        TransactionId(id)
    }

    /// The transaction ID of the STUN message at the start of `bytes`
    /// (bytes 8 to 20 of the header, RFC 8489 §5), without validating the
    /// rest; `None` if fewer than 20 bytes or the first two bits are not
    /// zero. A [`Transmit`](crate::Transmit) from
    /// [`Transactions::poll_transmit`](crate::Transactions::poll_transmit)
    /// is matched to its transaction this way.
    pub fn of_message(bytes: &[u8]) -> Option<Self> {
        let h = bytes.get(..HEADER_LEN)?;
        if h[0] & 0xC0 != 0 {
            return None;
        }
        let mut id = [0u8; 12];
        id.copy_from_slice(&h[8..20]);
        Some(TransactionId(id))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
}

impl std::fmt::Display for TransactionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8489_type_examples() {
        // Binding request 0x0001, success 0x0101, error 0x0111, indication 0x0011.
        assert_eq!(
            MessageType::new(Method::BINDING, Class::Request).to_bits(),
            0x0001
        );
        assert_eq!(
            MessageType::new(Method::BINDING, Class::SuccessResponse).to_bits(),
            0x0101
        );
        assert_eq!(
            MessageType::new(Method::BINDING, Class::ErrorResponse).to_bits(),
            0x0111
        );
        assert_eq!(
            MessageType::new(Method::BINDING, Class::Indication).to_bits(),
            0x0011
        );
        // TURN: Allocate request 0x0003, Send indication 0x0016, Data indication 0x0017.
        assert_eq!(
            MessageType::new(Method::ALLOCATE, Class::Request).to_bits(),
            0x0003
        );
        assert_eq!(
            MessageType::new(Method::SEND, Class::Indication).to_bits(),
            0x0016
        );
        assert_eq!(
            MessageType::new(Method::DATA, Class::Indication).to_bits(),
            0x0017
        );
    }

    #[test]
    fn methods_print_their_registered_names() {
        let named = [
            (Method::BINDING, "Binding"),
            (Method::ALLOCATE, "Allocate"),
            (Method::REFRESH, "Refresh"),
            (Method::SEND, "Send"),
            (Method::DATA, "Data"),
            (Method::CREATE_PERMISSION, "CreatePermission"),
            (Method::CHANNEL_BIND, "ChannelBind"),
        ];
        for (method, name) in named {
            assert_eq!(format!("{method:?}"), name);
            assert_eq!(method.to_string(), name);
            assert_eq!(method.name(), Some(name));
        }
        assert_eq!(format!("{:?}", Method(1)), "Binding");
        assert_eq!(
            format!("{:?}", MessageType::from_bits(0x0101)),
            "MessageType { method: Binding, class: SuccessResponse }"
        );
    }

    #[test]
    fn unknown_methods_print_their_number() {
        for (method, debug, display) in [
            (Method(0x000), "Method(0x000)", "0x000"),
            (Method(0x002), "Method(0x002)", "0x002"),
            (Method(0x005), "Method(0x005)", "0x005"),
            (Method(0x00D), "Method(0x00D)", "0x00D"),
            (Method(0xFFF), "Method(0xFFF)", "0xFFF"),
        ] {
            assert_eq!(method.name(), None);
            assert_eq!(format!("{method:?}"), debug);
            assert_eq!(method.to_string(), display);
        }
    }

    #[test]
    fn classes_print_in_words() {
        assert_eq!(format!("{:?}", Class::SuccessResponse), "SuccessResponse");
        assert_eq!(Class::Request.to_string(), "request");
        assert_eq!(Class::Indication.to_string(), "indication");
        assert_eq!(Class::SuccessResponse.to_string(), "success response");
        assert_eq!(Class::ErrorResponse.to_string(), "error response");
    }

    #[test]
    fn every_type_round_trips() {
        for raw in 0..0x4000u16 {
            assert_eq!(MessageType::from_bits(raw).to_bits(), raw, "{raw:#06x}");
        }
    }
}
