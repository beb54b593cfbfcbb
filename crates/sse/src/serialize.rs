//! Writing events ("Authoring notes" of the Server-sent events section):
//! fields that a conforming parser reads back exactly.

use bytes::{BufMut, BytesMut};

use crate::Error;

/// An event to send.
///
/// Data may hold any text: each of its lines (split at CRLF, LF or CR) is
/// written as its own `data:` field, so the parser gives the data back with
/// LF between lines. Line breaks are normalised to LF when the message is
/// made, so that `parse(serialize(m))` gives back exactly
/// [`Message::data`]. The event type and id cannot hold line breaks (they
/// would inject fields), nor the id a NUL (parsers ignore such ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Message {
    event: Option<String>,
    data: String,
    id: Option<String>,
    retry: Option<u64>,
}

impl Message {
    /// A `message` event with `data`.
    pub fn new(data: impl AsRef<str>) -> Self {
        let data = data.as_ref().replace("\r\n", "\n").replace('\r', "\n");
        Message {
            data,
            ..Message::default()
        }
    }

    /// Set the event type; an empty type means `message`.
    pub fn event(mut self, event_type: impl Into<String>) -> Result<Self, Error> {
        let t = event_type.into();
        if t.contains(['\r', '\n']) {
            return Err(Error::NewlineInEventType);
        }
        self.event = (!t.is_empty()).then_some(t);
        Ok(self)
    }

    /// Set the event id (it becomes the client's last event ID).
    pub fn id(mut self, id: impl Into<String>) -> Result<Self, Error> {
        let id = id.into();
        if id.contains(['\r', '\n']) {
            return Err(Error::NewlineInId);
        }
        if id.contains('\0') {
            return Err(Error::NulInId);
        }
        self.id = Some(id);
        Ok(self)
    }

    /// Set the client's reconnection time in milliseconds.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }

    /// The event type, if not `message`.
    pub fn event_type(&self) -> Option<&str> {
        self.event.as_deref()
    }

    /// The data, line breaks normalised to LF.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The id, if set.
    pub fn event_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The reconnection time, if set.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// Append the event's fields and the blank line that dispatches it.
    pub fn write_to(&self, dst: &mut BytesMut) {
        dst.reserve(self.data.len() + 32);
        if let Some(t) = &self.event {
            field(dst, "event", t);
        }
        for line in self.data.split('\n') {
            field(dst, "data", line);
        }
        if let Some(id) = &self.id {
            field(dst, "id", id);
        }
        if let Some(ms) = self.retry {
            field(dst, "retry", &ms.to_string());
        }
        dst.put_u8(b'\n');
    }

    /// The event as bytes.
    pub fn to_bytes(&self) -> BytesMut {
        let mut dst = BytesMut::new();
        self.write_to(&mut dst);
        dst
    }
}

/// `name: value` LF. The space after the colon is always written, so a
/// value that itself starts with a space keeps it.
fn field(dst: &mut BytesMut, name: &str, value: &str) {
    dst.put_slice(name.as_bytes());
    dst.put_slice(b": ");
    dst.put_slice(value.as_bytes());
    dst.put_u8(b'\n');
}

/// Append a comment (ignored by parsers; used as a keep-alive). Each line
/// of `text` becomes its own comment line.
pub fn write_comment(text: &str, dst: &mut BytesMut) {
    for line in text.split(['\r', '\n']) {
        dst.put_u8(b':');
        if !line.is_empty() {
            dst.put_u8(b' ');
            dst.put_slice(line.as_bytes());
        }
        dst.put_u8(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_data_lines() {
        let m = Message::new("a\r\nb\rc\n")
            .event("add")
            .unwrap()
            .id("7")
            .unwrap()
            .retry(10);
        assert_eq!(
            &m.to_bytes()[..],
            b"event: add\ndata: a\ndata: b\ndata: c\ndata: \nid: 7\nretry: 10\n\n"
        );
    }

    #[test]
    fn injection_is_refused() {
        assert_eq!(
            Message::new("x").event("a\ndata: evil"),
            Err(Error::NewlineInEventType)
        );
        assert_eq!(Message::new("x").id("1\rretry: 1"), Err(Error::NewlineInId));
        assert_eq!(Message::new("x").id("a\0"), Err(Error::NulInId));
    }

    #[test]
    fn comments() {
        let mut b = BytesMut::new();
        write_comment("", &mut b);
        write_comment("keep\nalive", &mut b);
        assert_eq!(&b[..], b":\n: keep\n: alive\n");
    }
}
