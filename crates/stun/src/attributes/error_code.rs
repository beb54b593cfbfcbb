//! ERROR-CODE (RFC 8489 §14.8) and the error codes of STUN, ICE and TURN.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Reserved, should be 0         |Class|     Number    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Reason Phrase (variable)                                ..
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use bytes::{BufMut, BytesMut};

use super::util::{TextLimits, invalid};
use crate::{Attribute, AttributeType, Error, TransactionId};

/// ERROR-CODE (RFC 8489 §14.8): an error response's code, 300 to 699, and
/// reason phrase.
///
/// The code is sent as a class (the hundreds digit, 3 to 6) and a number
/// (0 to 99) after 21 reserved bits, which receivers ignore. The reason
/// phrase is UTF-8, fewer than 128 characters (at most 509 bytes when sent,
/// 763 when received). The constants carry the recommended reason phrases
/// of the IANA registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode<'a> {
    code: u16,
    reason: &'a str,
}

macro_rules! error_codes {
    ($($(#[$doc:meta])* $name:ident = $code:literal, $reason:literal;)*) => {
        impl ErrorCode<'static> {
            $(
                $(#[$doc])*
                pub const $name: ErrorCode<'static> = ErrorCode { code: $code, reason: $reason };
            )*
        }

        impl ErrorCode<'_> {
            /// The recommended reason phrase of `code`, `None` for a code
            /// this crate does not know.
            pub const fn recommended_reason(code: u16) -> Option<&'static str> {
                match code {
                    $($code => Some($reason),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// 300 Try Alternate (RFC 8489 §14.8): use the ALTERNATE-SERVER.
    TRY_ALTERNATE = 300, "Try Alternate";
    /// 400 Bad Request (RFC 8489 §14.8): the request was malformed.
    BAD_REQUEST = 400, "Bad Request";
    /// 401 Unauthenticated (RFC 8489 §14.8): wrong or missing credentials.
    UNAUTHENTICATED = 401, "Unauthenticated";
    /// 403 Forbidden (RFC 8656 §19): the request is valid but refused by
    /// policy.
    FORBIDDEN = 403, "Forbidden";
    /// 420 Unknown Attribute (RFC 8489 §14.8): listed in UNKNOWN-ATTRIBUTES.
    UNKNOWN_ATTRIBUTE = 420, "Unknown Attribute";
    /// 437 Allocation Mismatch (RFC 8656 §19): no allocation, or one already
    /// exists, for the 5-tuple.
    ALLOCATION_MISMATCH = 437, "Allocation Mismatch";
    /// 438 Stale Nonce (RFC 8489 §14.8): retry with the new NONCE.
    STALE_NONCE = 438, "Stale Nonce";
    /// 440 Address Family not Supported (RFC 8656 §19).
    ADDRESS_FAMILY_NOT_SUPPORTED = 440, "Address Family not Supported";
    /// 441 Wrong Credentials (RFC 8656 §19): not the allocation's
    /// credentials.
    WRONG_CREDENTIALS = 441, "Wrong Credentials";
    /// 442 Unsupported Transport Protocol (RFC 8656 §19).
    UNSUPPORTED_TRANSPORT_PROTOCOL = 442, "Unsupported Transport Protocol";
    /// 443 Peer Address Family Mismatch (RFC 8656 §19).
    PEER_ADDRESS_FAMILY_MISMATCH = 443, "Peer Address Family Mismatch";
    /// 486 Allocation Quota Reached (RFC 8656 §19).
    ALLOCATION_QUOTA_REACHED = 486, "Allocation Quota Reached";
    /// 487 Role Conflict (RFC 8445 §16.2, §7.3.1.1): both ICE agents claim
    /// the same role.
    ROLE_CONFLICT = 487, "Role Conflict";
    /// 500 Server Error (RFC 8489 §14.8): a temporary error; try again.
    SERVER_ERROR = 500, "Server Error";
    /// 508 Insufficient Capacity (RFC 8656 §19).
    INSUFFICIENT_CAPACITY = 508, "Insufficient Capacity";
}

impl<'a> ErrorCode<'a> {
    /// An error code to send: [`Error::InvalidAttribute`] if `code` is not
    /// 300 to 699, [`Error::ValueTooLong`] if `reason` is 128 characters or
    /// more, or longer than 509 bytes.
    pub fn new(code: u16, reason: &'a str) -> Result<Self, Error> {
        if !(300..=699).contains(&code) {
            return Err(invalid(
                AttributeType::ERROR_CODE,
                "code must be 300 to 699 (RFC 8489 §14.8)",
            ));
        }
        TextLimits::SHORT_TEXT.check_encode(AttributeType::ERROR_CODE, reason)?;
        Ok(ErrorCode { code, reason })
    }

    /// `code` with its recommended reason phrase, `None` for a code this
    /// crate does not know.
    pub fn standard(code: u16) -> Option<ErrorCode<'static>> {
        let reason = ErrorCode::recommended_reason(code)?;
        Some(ErrorCode { code, reason })
    }

    /// The code, 300 to 699.
    pub const fn code(&self) -> u16 {
        self.code
    }

    /// The class: the hundreds digit, 3 to 6.
    pub const fn class(&self) -> u8 {
        (self.code / 100) as u8
    }

    /// The number: the code modulo 100.
    pub const fn number(&self) -> u8 {
        (self.code % 100) as u8
    }

    /// The reason phrase.
    pub const fn reason(&self) -> &'a str {
        self.reason
    }

    /// The same code with another reason phrase, checked as in
    /// [`ErrorCode::new`].
    pub fn with_reason<'b>(&self, reason: &'b str) -> Result<ErrorCode<'b>, Error> {
        ErrorCode::new(self.code, reason)
    }

    /// Read the class, number and reason phrase of `value`, whose first
    /// 4 bytes hold them in the last 11 bits. `typ` names the attribute in
    /// errors.
    pub(crate) fn decode_fields(typ: AttributeType, value: &'a [u8]) -> Result<Self, Error> {
        if value.len() < 4 {
            return Err(invalid(typ, "shorter than 4 bytes"));
        }
        let class = value[2] & 0x07;
        let number = value[3];
        if !(3..=6).contains(&class) {
            return Err(invalid(typ, "class must be 3 to 6 (RFC 8489 §14.8)"));
        }
        if number > 99 {
            return Err(invalid(typ, "number must be 0 to 99 (RFC 8489 §14.8)"));
        }
        let reason = TextLimits::SHORT_TEXT.decode(
            typ,
            &value[4..],
            "reason phrase longer than 763 bytes (RFC 8489 §14.8)",
            "reason phrase of 128 characters or more (RFC 8489 §14.8)",
        )?;
        Ok(ErrorCode {
            code: u16::from(class) * 100 + u16::from(number),
            reason,
        })
    }

    /// Write the class, number and reason phrase, after the 2 bytes the
    /// caller wrote.
    pub(crate) fn encode_fields(&self, dst: &mut BytesMut) {
        dst.put_u8(self.class());
        dst.put_u8(self.number());
        dst.put_slice(self.reason.as_bytes());
    }
}

impl<'a> Attribute<'a> for ErrorCode<'a> {
    const TYPE: AttributeType = AttributeType::ERROR_CODE;

    fn decode(value: &'a [u8], _: &TransactionId) -> Result<Self, Error> {
        // The 21 reserved bits are ignored.
        ErrorCode::decode_fields(Self::TYPE, value)
    }

    fn encoded_len(&self) -> usize {
        4 + self.reason.len()
    }

    fn encode(&self, _: &TransactionId, dst: &mut BytesMut) {
        dst.put_u16(0);
        self.encode_fields(dst);
    }
}

impl std::fmt::Display for ErrorCode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.reason)
    }
}
