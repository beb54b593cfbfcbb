//! Reassembly of received messages (RFC 6455 §5.4) with fail-fast UTF-8
//! validation (§8.1).

use bytes::{Bytes, BytesMut};

use crate::frame::{FrameHeader, OpCode};
use crate::utf8::Utf8Validator;
use crate::{Error, Fragment, Message, MessageKind, Utf8Bytes};

/// The message being received.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    /// Kind of the open message, `None` between messages.
    kind: Option<MessageKind>,
    /// `true` until the open message's first frame is complete.
    first: bool,
    /// Payload bytes declared so far by the open message's frame headers.
    declared: u64,
    /// Fragments joined so far (message mode).
    buffer: BytesMut,
    utf8: Utf8Validator,
}

impl Incoming {
    /// Check a data frame's header as soon as it is read: fragmentation
    /// order (§5.4) and the message size limit, before the payload is
    /// buffered.
    #[inline]
    pub(crate) fn start_frame(
        &mut self,
        header: &FrameHeader,
        max_message: u64,
    ) -> Result<(), Error> {
        match (header.opcode, self.kind) {
            (OpCode::Continuation, None) => return Err(Error::UnexpectedContinuation),
            (OpCode::Text | OpCode::Binary, Some(_)) => return Err(Error::ExpectedContinuation),
            (OpCode::Text, None) => self.open(MessageKind::Text),
            (OpCode::Binary, None) => self.open(MessageKind::Binary),
            _ => {}
        }
        self.declared = self.declared.saturating_add(header.payload_len);
        if self.declared > max_message {
            return Err(Error::MessageTooLarge { limit: max_message });
        }
        Ok(())
    }

    fn open(&mut self, kind: MessageKind) {
        self.kind = Some(kind);
        self.first = true;
        self.declared = 0;
        self.utf8.reset();
    }

    /// Bytes of fragments joined so far.
    pub(crate) fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Drop the message being received (the connection failed).
    pub(crate) fn clear(&mut self) {
        self.buffer = BytesMut::new();
        self.kind = None;
    }

    /// Look at payload bytes of a data frame as they arrive.
    #[inline]
    pub(crate) fn check_payload(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.kind == Some(MessageKind::Text) {
            self.utf8.feed(bytes).map_err(|_| Error::InvalidUtf8)?;
        }
        Ok(())
    }

    /// A data frame is complete; its bytes from `unchecked_from` on have not
    /// been through [`Incoming::check_payload`] yet. Returns the fragment
    /// (`as_fragment`) or the message if it is now complete.
    #[inline(always)]
    pub(crate) fn finish_frame(
        &mut self,
        fin: bool,
        payload: Bytes,
        unchecked_from: usize,
        as_fragment: bool,
    ) -> Result<Option<FrameOutput>, Error> {
        self.check_payload(&payload[unchecked_from..])?;
        let kind = self.kind.expect("start_frame opened a message");
        if fin && kind == MessageKind::Text && !self.utf8.is_complete() {
            return Err(Error::InvalidUtf8);
        }
        let first = std::mem::replace(&mut self.first, false);
        if fin {
            self.kind = None;
        }
        if as_fragment {
            return Ok(Some(FrameOutput::Fragment(Fragment {
                kind,
                payload,
                first,
                fin,
            })));
        }
        let whole = match (first, fin) {
            (true, true) => payload,
            _ => {
                self.buffer.extend_from_slice(&payload);
                if !fin {
                    return Ok(None);
                }
                self.buffer.split().freeze()
            }
        };
        Ok(Some(FrameOutput::Message(match kind {
            MessageKind::Text => Message::Text(Utf8Bytes::from_validated(whole)),
            MessageKind::Binary => Message::Binary(whole),
        })))
    }
}

/// What a complete data frame produced.
pub(crate) enum FrameOutput {
    Message(Message),
    Fragment(Fragment),
}
