//! Frame serialization (STOMP 1.2 "STOMP Frames", "Value Encoding").

use bytes::{BufMut, BytesMut};

use crate::headers::{escape_into, escapes, needs_escape};
use crate::{Frame, Version};

/// See [`Frame::encode`].
pub(crate) fn encode(frame: &Frame, version: Version, dst: &mut BytesMut) {
    let escaped = escapes(version) && !frame.command.is_unescaped();
    dst.put_slice(frame.command.as_str().as_bytes());
    dst.put_u8(b'\n');
    let mut length_written = false;
    let mut scratch = Vec::new();
    for (name, value) in &frame.headers {
        put_text(name, version, escaped, dst, &mut scratch);
        dst.put_u8(b':');
        if name == "content-length" && !length_written {
            length_written = true;
            put_len(frame.body.len(), dst);
        } else {
            put_text(value, version, escaped, dst, &mut scratch);
        }
        dst.put_u8(b'\n');
    }
    if !length_written && !frame.body.is_empty() {
        dst.put_slice(b"content-length:");
        put_len(frame.body.len(), dst);
        dst.put_u8(b'\n');
    }
    dst.put_u8(b'\n');
    dst.put_slice(&frame.body);
    dst.put_u8(0);
}

fn put_text(
    text: &str,
    version: Version,
    escaped: bool,
    dst: &mut BytesMut,
    scratch: &mut Vec<u8>,
) {
    if escaped && needs_escape(text.as_bytes(), version) {
        scratch.clear();
        escape_into(text, version, scratch);
        dst.put_slice(scratch);
    } else {
        dst.put_slice(text.as_bytes());
    }
}

fn put_len(mut n: usize, dst: &mut BytesMut) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    dst.put_slice(&digits[i..]);
}
