//! Responses to requests (RFC 8489 §6.3): success and error responses,
//! with the credentials' integrity when the request was authenticated.

use bytes::Bytes;
use rtw_stun::attributes::{ErrorCode, Software};
use rtw_stun::{
    Attribute, AttributeType, Class, IntegrityAlgorithm, IntegrityKey, Message, MessageBuilder,
    MessageType,
};

/// The key and algorithm a response is signed with.
pub(super) type Signing<'a> = Option<(&'a IntegrityKey, IntegrityAlgorithm)>;

/// A response being built for one request.
pub(super) struct Response {
    builder: MessageBuilder,
    fingerprint: bool,
    failed: bool,
}

impl Response {
    /// A success response to `request`.
    pub(super) fn success(request: &Message<'_>) -> Self {
        Self::of(request, Class::SuccessResponse)
    }

    /// An error response to `request` with ERROR-CODE `code` and `reason`
    /// (the code's recommended phrase when `reason` is empty).
    pub(super) fn error(request: &Message<'_>, code: u16, reason: &str) -> Self {
        let mut response = Self::of(request, Class::ErrorResponse);
        let reason = if reason.is_empty() {
            ErrorCode::recommended_reason(code).unwrap_or("Error")
        } else {
            reason
        };
        match ErrorCode::new(code, reason) {
            Ok(error) => response.add(&error),
            Err(_) => response.failed = true,
        }
        response
    }

    fn of(request: &Message<'_>, class: Class) -> Self {
        Response {
            builder: MessageBuilder::new(
                MessageType::new(request.method(), class),
                request.transaction_id(),
            ),
            fingerprint: request.raw(AttributeType::FINGERPRINT).is_some(),
            failed: false,
        }
    }

    /// Adds `attr` (a value too long for a message leaves the response
    /// unsent, which no attribute the server writes can be).
    pub(super) fn add<'a, A: Attribute<'a>>(&mut self, attr: &A) {
        if self.builder.add(attr).is_err() {
            self.failed = true;
        }
    }

    /// SOFTWARE, the integrity of `signing`, FINGERPRINT when the request
    /// had one; `None` if an attribute did not fit.
    pub(super) fn finish(mut self, software: Option<&str>, signing: Signing<'_>) -> Option<Bytes> {
        if let Some(software) = software.and_then(|s| Software::new(s).ok()) {
            self.add(&software);
        }
        let ok = match signing {
            Some((key, IntegrityAlgorithm::HmacSha1)) => {
                self.builder.add_message_integrity(key).is_ok()
            }
            Some((key, IntegrityAlgorithm::HmacSha256)) => {
                self.builder.add_message_integrity_sha256(key, 32).is_ok()
            }
            None => true,
        };
        if !ok || self.failed || (self.fingerprint && self.builder.add_fingerprint().is_err()) {
            return None;
        }
        Some(self.builder.finish().freeze())
    }
}
