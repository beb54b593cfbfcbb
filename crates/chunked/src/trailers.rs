//! The trailer section (RFC 9112 §7.1.2) and the fields that may not be in it
//! (RFC 9110 §6.5.1).

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::{Error, TrailerPolicy};

/// Fields that RFC 9110 §6.5.1 says a sender must not put in a trailer
/// section, because a recipient needs them before the content: message
/// framing, routing, authentication, request modifiers, response controls
/// and content format (the list RFC 7230 §4.1.2 spelled out, completed with
/// the other fields of those classes in RFC 9110 and RFC 9111).
pub const PROHIBITED_TRAILERS: &[&str] = &[
    // message framing (RFC 9112 §6, RFC 9110 §8.6, §7.6.1)
    "content-length",
    "transfer-encoding",
    "trailer",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    // routing (RFC 9110 §7.2, §7.6.2)
    "host",
    "max-forwards",
    // authentication (RFC 9110 §11)
    "authorization",
    "proxy-authorization",
    "www-authenticate",
    "proxy-authenticate",
    "set-cookie",
    "cookie",
    // request modifiers (RFC 9110 §13, §14.2, §10.1.1)
    "expect",
    "range",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "if-range",
    // response controls (RFC 9111 §5, RFC 9110 §10.2)
    "cache-control",
    "age",
    "expires",
    "pragma",
    "vary",
    "location",
    "retry-after",
    // content format (RFC 9110 §8)
    "content-type",
    "content-encoding",
    "content-range",
];

/// `true` if `name` may not be sent as a trailer field (RFC 9110 §6.5.1);
/// case-insensitive.
pub fn is_prohibited_trailer(name: &str) -> bool {
    PROHIBITED_TRAILERS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
}

/// Parse a complete trailer section (field lines, each ending in CRLF, and
/// the final CRLF), already checked for line ends, into a map.
pub(crate) fn parse_trailers(
    section: &[u8],
    fields: usize,
    policy: TrailerPolicy,
    discarded: &mut Vec<HeaderName>,
) -> Result<HeaderMap, Error> {
    let mut slots = vec![httparse::EMPTY_HEADER; fields];
    let parsed = match httparse::parse_headers(section, &mut slots) {
        Ok(httparse::Status::Complete((_, parsed))) => parsed,
        Ok(httparse::Status::Partial) => {
            return Err(Error::InvalidTrailer("incomplete field line".into()));
        }
        Err(e) => return Err(Error::InvalidTrailer(e.to_string())),
    };
    let mut map = HeaderMap::with_capacity(parsed.len());
    for field in parsed.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|e| Error::InvalidTrailer(e.to_string()))?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|e| Error::InvalidTrailer(e.to_string()))?;
        if is_prohibited_trailer(name.as_str()) {
            match policy {
                TrailerPolicy::Reject => return Err(Error::ProhibitedTrailer(name.to_string())),
                TrailerPolicy::Discard => {
                    discarded.push(name);
                    continue;
                }
                TrailerPolicy::Allow => {}
            }
        }
        map.append(name, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prohibited_is_case_insensitive() {
        assert!(is_prohibited_trailer("Content-Length"));
        assert!(is_prohibited_trailer("TRANSFER-ENCODING"));
        assert!(!is_prohibited_trailer("Server-Timing"));
        assert!(!is_prohibited_trailer("grpc-status"));
    }

    #[test]
    fn policies() {
        let section = b"Expires: never\r\nX-Sum: 1\r\n\r\n";
        let mut d = Vec::new();
        assert_eq!(
            parse_trailers(section, 2, TrailerPolicy::Reject, &mut d),
            Err(Error::ProhibitedTrailer("expires".into()))
        );
        let map = parse_trailers(section, 2, TrailerPolicy::Discard, &mut d).unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(d, vec![HeaderName::from_static("expires")]);
        let map = parse_trailers(section, 2, TrailerPolicy::Allow, &mut d).unwrap();
        assert_eq!(map.len(), 2);
    }
}
