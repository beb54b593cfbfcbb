//! Frame serialization (STOMP 1.2 "STOMP Frames", "Value Encoding").

use bytes::{BufMut, BytesMut};

use crate::headers::escapes;
use crate::{Frame, Version};

/// See [`Frame::encode`].
pub(crate) fn encode(frame: &Frame, version: Version, dst: &mut BytesMut) {
    let escaped = escapes(version) && !frame.command.is_unescaped();
    dst.reserve(frame.encoded_len_hint());
    dst.put_slice(frame.command.as_str().as_bytes());
    dst.put_u8(b'\n');
    let mut length_written = false;
    for (name, value) in &frame.headers {
        put_text(name, version, escaped, dst);
        dst.put_u8(b':');
        if name == "content-length" && !length_written {
            length_written = true;
            put_len(frame.body.len(), dst);
        } else {
            put_text(value, version, escaped, dst);
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

/// Which bytes 1.2 escapes (1.1 the same but CR).
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table[b':' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Writes `text`, escaped when `escaped` (STOMP 1.2 "Value Encoding"), in
/// one pass: runs without special bytes are copied whole.
fn put_text(text: &str, version: Version, escaped: bool, dst: &mut BytesMut) {
    let bytes = text.as_bytes();
    if !escaped {
        dst.put_slice(bytes);
        return;
    }
    let cr = version >= Version::V1_2;
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if ESCAPED[usize::from(b)] && (cr || b != b'\r') {
            dst.put_slice(&bytes[start..i]);
            dst.put_slice(match b {
                b'\n' => b"\\n",
                b':' => b"\\c",
                b'\\' => b"\\\\",
                _ => b"\\r",
            });
            start = i + 1;
        }
    }
    dst.put_slice(&bytes[start..]);
}

fn put_len(n: usize, dst: &mut BytesMut) {
    dst.put_slice(itoa::Buffer::new().format(n).as_bytes());
}
