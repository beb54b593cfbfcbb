//! Compression and decompression of message payloads (RFC 7692 §7.2).

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::Error;

/// The empty stored block a sync flush ends with; removed from compressed
/// messages and appended again before inflating (RFC 7692 §7.2.1, §7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// How much output room inflating adds at a time: the bound on what may be
/// produced past the message size limit before it is noticed.
const INFLATE_STEP: usize = 16 * 1024;

/// Our compressor (RFC 7692 §7.2.1). zlib's state (about 256 KiB at 15
/// bits) is created by the first message compressed, not before, and can
/// be released between messages when there is no context to keep.
pub(crate) struct Deflater {
    compress: Option<Compress>,
    /// Our window, 9 to 15 bits; 8 means we cannot compress at all: zlib
    /// cannot produce 8-bit raw deflate streams, and messages then go
    /// uncompressed (RFC 7692 §6 permits it).
    window_bits: u8,
    level: u32,
    no_context_takeover: bool,
    threshold: usize,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("window_bits", &self.window_bits)
            .field("allocated", &self.compress.is_some())
            .field("no_context_takeover", &self.no_context_takeover)
            .field("threshold", &self.threshold)
            .finish()
    }
}

impl Deflater {
    pub(crate) fn new(
        window_bits: u8,
        no_context_takeover: bool,
        level: u32,
        threshold: usize,
    ) -> Self {
        Deflater {
            compress: None,
            window_bits: window_bits.min(15),
            level: level.min(9),
            no_context_takeover,
            threshold,
        }
    }

    /// `true` while zlib's state exists.
    pub(crate) fn is_allocated(&self) -> bool {
        self.compress.is_some()
    }

    /// `true` when there is state to free and no context to keep.
    pub(crate) fn can_release(&self) -> bool {
        self.no_context_takeover && self.compress.is_some()
    }

    /// Free zlib's state; the next message creates it again. Only right
    /// without context takeover, where each message starts afresh anyway.
    pub(crate) fn release(&mut self) {
        debug_assert!(self.no_context_takeover);
        self.compress = None;
    }

    /// The compressed payload of a message, or `None` to send it as it is
    /// (shorter than the threshold, or compression is off).
    pub(crate) fn compress(&mut self, payload: &[u8]) -> Option<Vec<u8>> {
        if payload.len() < self.threshold || self.window_bits < 9 {
            return None;
        }
        let (level, bits) = (self.level, self.window_bits);
        let c = self.compress.get_or_insert_with(|| {
            Compress::new_with_window_bits(Compression::new(level), false, bits)
        });
        let mut out = Vec::with_capacity(payload.len() / 2 + 64);
        let start_in = c.total_in();
        loop {
            let consumed = (c.total_in() - start_in) as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(1024));
            }
            c.compress_vec(&payload[consumed..], &mut out, FlushCompress::Sync)
                .expect("deflate of in-memory data cannot fail");
            // The flush is complete once all input is taken and the output
            // was not filled up.
            if (c.total_in() - start_in) as usize == payload.len() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            // zlib writes nothing for a flush with nothing new since the
            // last one (an empty message after another flush): send the
            // start of an empty stored block, which the receiver's tail
            // completes (RFC 7692 §7.2.3.6: a single 0x00).
            out.push(0x00);
        }
        if self.no_context_takeover {
            c.reset();
        }
        Some(out)
    }
}

/// Our decompressor for the peer's messages (RFC 7692 §7.2.2). zlib's
/// state (about 40 KiB at 15 bits) is created by the first compressed
/// message received, and can be released between messages when there is
/// no context to keep.
pub(crate) struct Inflater {
    decompress: Option<Decompress>,
    window_bits: u8,
    no_context_takeover: bool,
    /// Compressed bytes received of the current message.
    received: u64,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("allocated", &self.decompress.is_some())
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Inflater {
    pub(crate) fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Inflater {
            decompress: None,
            // A 9-bit window reads 8-bit streams too (see the module docs).
            window_bits: window_bits.clamp(9, 15),
            no_context_takeover,
            received: 0,
        }
    }

    /// `true` while zlib's state exists.
    pub(crate) fn is_allocated(&self) -> bool {
        self.decompress.is_some()
    }

    /// `true` when there is state to free, no context to keep, and no
    /// message half inflated.
    pub(crate) fn can_release(&self) -> bool {
        self.no_context_takeover && self.decompress.is_some() && self.received == 0
    }

    /// Free zlib's state between messages; the next compressed message
    /// creates it again. Only right without context takeover.
    pub(crate) fn release(&mut self) {
        debug_assert!(self.no_context_takeover && self.received == 0);
        self.decompress = None;
    }

    fn state(&mut self) -> &mut Decompress {
        let bits = self.window_bits;
        self.decompress
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits))
    }

    /// Inflate one frame's payload of a compressed message into `out`;
    /// `fin` appends the tail first (RFC 7692 §7.2.2). Stops with
    /// [`Error::MessageTooLarge`] as soon as `out` would grow past `limit`
    /// bytes, without inflating the rest.
    pub(crate) fn inflate(
        &mut self,
        payload: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        limit: u64,
    ) -> Result<(), Error> {
        self.feed(payload, out, limit)?;
        self.received += payload.len() as u64;
        if fin {
            // An empty payload is no DEFLATE data at all: the empty message
            // it stands for needs no tail (and the tail alone would start a
            // stored block).
            if std::mem::take(&mut self.received) > 0 {
                self.feed(&TAIL, out, limit)?;
            }
            if self.no_context_takeover {
                self.state().reset(false);
            }
        }
        Ok(())
    }

    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>, limit: u64) -> Result<(), Error> {
        loop {
            if out.capacity() == out.len() {
                // Grow geometrically (linear time overall), never past the
                // limit: the output never holds more than `limit` bytes.
                let left = limit.saturating_sub(out.len() as u64);
                if left == 0 {
                    return self.at_limit(input, limit);
                }
                let room = left.min(out.len().max(INFLATE_STEP) as u64) as usize;
                out.reserve_exact(room);
            }
            let d = self.state();
            let (in_before, out_before) = (d.total_in(), d.total_out());
            let status = d
                .decompress_vec(input, out, FlushDecompress::None)
                .map_err(|_| Error::InvalidCompressedData)?;
            let used = (d.total_in() - in_before) as usize;
            let produced = d.total_out() - out_before;
            input = &input[used..];
            if status == Status::StreamEnd {
                // A final block (BFINAL): the peer restarts its stream, so
                // do we (RFC 7692 §7.2.3.4 allows any block types).
                d.reset(false);
                if input.is_empty() {
                    return Ok(());
                }
                continue;
            }
            if input.is_empty() && out.len() < out.capacity() {
                return Ok(());
            }
            if used == 0 && produced == 0 && out.len() < out.capacity() {
                return Err(Error::InvalidCompressedData);
            }
        }
    }

    /// The output reached the limit: the rest of `input` may still end
    /// blocks (the tail, say) but must not produce one more byte.
    fn at_limit(&mut self, mut input: &[u8], limit: u64) -> Result<(), Error> {
        let mut probe = Vec::with_capacity(1);
        while !input.is_empty() {
            let d = self.state();
            let before = d.total_in();
            let status = d
                .decompress_vec(input, &mut probe, FlushDecompress::None)
                .map_err(|_| Error::InvalidCompressedData)?;
            if !probe.is_empty() {
                return Err(Error::MessageTooLarge { limit });
            }
            let used = (d.total_in() - before) as usize;
            input = &input[used..];
            if status == Status::StreamEnd {
                d.reset(false);
            } else if used == 0 {
                return Err(Error::InvalidCompressedData);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate_all(i: &mut Inflater, frames: &[(&[u8], bool)]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        for (payload, fin) in frames {
            i.inflate(payload, *fin, &mut out, 1 << 20)?;
        }
        Ok(out)
    }

    /// RFC 7692 §7.2.3.1: "Hello" compressed with one compressed block.
    #[test]
    fn rfc7692_7_2_3_1_hello() {
        let mut d = Deflater::new(15, false, 6, 0);
        assert_eq!(
            d.compress(b"Hello").unwrap(),
            [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        );
        let mut i = Inflater::new(15, false);
        let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(inflate_all(&mut i, &[(&hello, true)]).unwrap(), b"Hello");
        // §7.2.3.1 also splits it into two fragments.
        let mut i = Inflater::new(15, false);
        assert_eq!(
            inflate_all(
                &mut i,
                &[
                    (&[0xf2, 0x48, 0xcd], false),
                    (&[0xc9, 0xc9, 0x07, 0x00], true)
                ]
            )
            .unwrap(),
            b"Hello"
        );
    }

    /// RFC 7692 §7.2.3.2: the second "Hello" with context takeover uses a
    /// back reference; without takeover it is the same bytes again.
    #[test]
    fn rfc7692_7_2_3_2_context_takeover() {
        let mut d = Deflater::new(15, false, 6, 0);
        assert_eq!(
            d.compress(b"Hello").unwrap(),
            [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        );
        assert_eq!(
            d.compress(b"Hello").unwrap(),
            [0xf2, 0x00, 0x11, 0x00, 0x00]
        );
        let mut i = Inflater::new(15, false);
        let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(inflate_all(&mut i, &[(&hello, true)]).unwrap(), b"Hello");
        assert_eq!(
            inflate_all(&mut i, &[(&[0xf2, 0x00, 0x11, 0x00, 0x00], true)]).unwrap(),
            b"Hello"
        );

        let mut d = Deflater::new(15, true, 6, 0);
        let mut i = Inflater::new(15, true);
        for _ in 0..2 {
            let c = d.compress(b"Hello").unwrap();
            assert_eq!(c, hello);
            assert_eq!(inflate_all(&mut i, &[(&c, true)]).unwrap(), b"Hello");
        }
    }

    /// RFC 7692 §7.2.3.3: "Hello" in an uncompressed (stored) block, and
    /// §7.2.3.4: a block with BFINAL set.
    #[test]
    fn rfc7692_7_2_3_3_and_4_stored_and_final_blocks() {
        let mut i = Inflater::new(15, false);
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        assert_eq!(inflate_all(&mut i, &[(&stored, true)]).unwrap(), b"Hello");
        let fin = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        assert_eq!(inflate_all(&mut i, &[(&fin, true)]).unwrap(), b"Hello");
        // And the stream goes on after the final block.
        assert_eq!(inflate_all(&mut i, &[(&stored, true)]).unwrap(), b"Hello");
    }

    /// RFC 7692 §7.2.3.6: an empty message compresses to a single 0x00,
    /// also right after another flush (when zlib writes nothing); an empty
    /// payload is read as an empty message too.
    #[test]
    fn rfc7692_7_2_3_6_empty() {
        let mut d = Deflater::new(15, false, 6, 0);
        assert_eq!(d.compress(b"").unwrap(), [0x00]);
        let mut i = Inflater::new(15, false);
        assert_eq!(inflate_all(&mut i, &[(&[0x00], true)]).unwrap(), b"");
        let mut d = Deflater::new(12, false, 6, 0);
        let mut i = Inflater::new(12, false);
        for m in [&b""[..], b"\x02\0", b"", b"", b"abc", b""] {
            let c = d.compress(m).unwrap();
            assert!(!c.is_empty());
            assert_eq!(inflate_all(&mut i, &[(&c, true)]).unwrap(), m, "{c:?}");
        }
        assert_eq!(
            inflate_all(&mut i, &[(&[], false), (&[], true)]).unwrap(),
            b""
        );
        let c = d.compress(b"after").unwrap();
        assert_eq!(inflate_all(&mut i, &[(&c, true)]).unwrap(), b"after");
    }

    #[test]
    fn threshold_and_window_8() {
        let mut d = Deflater::new(15, false, 6, 10);
        assert_eq!(d.compress(b"short"), None);
        assert!(d.compress(b"long enough to compress").is_some());
        let mut d8 = Deflater::new(8, false, 6, 0);
        assert_eq!(d8.compress(b"anything at all"), None);
        // An inflater for an 8-bit peer reads a 9-bit stream.
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let mut d9 = Deflater::new(9, false, 6, 0);
        let mut i8 = Inflater::new(8, false);
        let c = d9.compress(&data).unwrap();
        assert_eq!(inflate_all(&mut i8, &[(&c, true)]).unwrap(), data);
    }

    #[test]
    fn bombs_stop_at_the_limit() {
        let mut d = Deflater::new(15, false, 9, 0);
        let zeros = vec![0u8; 10 << 20];
        let c = d.compress(&zeros).unwrap();
        assert!(c.len() < 20_000, "{}", c.len());
        let mut i = Inflater::new(15, false);
        let mut out = Vec::new();
        assert_eq!(
            i.inflate(&c, true, &mut out, 100_000),
            Err(Error::MessageTooLarge { limit: 100_000 })
        );
        assert!(out.len() <= 100_000 + INFLATE_STEP, "{}", out.len());
        // Exactly at the limit is fine.
        let mut d = Deflater::new(15, false, 9, 0);
        let c = d.compress(&zeros[..100_000]).unwrap();
        let mut i = Inflater::new(15, false);
        let mut out = Vec::new();
        i.inflate(&c, true, &mut out, 100_000).unwrap();
        assert_eq!(out.len(), 100_000);
    }

    #[test]
    fn corrupt_data_is_an_error() {
        let mut i = Inflater::new(15, false);
        assert_eq!(
            inflate_all(&mut i, &[(&[0xff, 0xff, 0xff, 0xff], true)]),
            Err(Error::InvalidCompressedData)
        );
    }
}
