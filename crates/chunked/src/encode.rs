//! The encoder (RFC 9112 §7.1).

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::HeaderMap;

use crate::trailers::is_prohibited_trailer;
use crate::{ChunkExtension, Error};

const CRLF: &[u8] = b"\r\n";

/// Encoder of the chunked transfer coding.
///
/// Each data chunk comes back as an [`EncodedChunk`]: the chunk line, the
/// payload and the closing CRLF as three buffers, so the payload is never
/// copied and a writer can send all three with one vectored write. For small
/// chunks, [`Encoder::encode_chunk_into`] copies into one buffer instead.
/// [`Encoder::encode_last`] writes the last-chunk and trailer section; after
/// it the encoder refuses more data ([`Error::EncoderFinished`]).
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    finished: bool,
}

impl Encoder {
    /// A new encoder at the start of a body.
    pub fn new() -> Self {
        Encoder::default()
    }

    /// `true` once the last-chunk was written.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Encode `data` as one chunk. Empty data gives an empty
    /// [`EncodedChunk`]: a chunk of size 0 would end the body.
    pub fn encode_chunk(&mut self, data: Bytes) -> Result<EncodedChunk, Error> {
        self.encode_chunk_with_extensions(data, &[])
    }

    /// Encode `data` as one chunk with `extensions` on its chunk line
    /// (RFC 9112 §7.1.1).
    pub fn encode_chunk_with_extensions(
        &mut self,
        data: Bytes,
        extensions: &[ChunkExtension],
    ) -> Result<EncodedChunk, Error> {
        self.check_open()?;
        if data.is_empty() {
            if !extensions.is_empty() {
                return Err(Error::EmptyChunkWithExtensions);
            }
            return Ok(EncodedChunk::default());
        }
        let mut head = BytesMut::with_capacity(head_len(extensions));
        write_chunk_line(data.len() as u64, extensions, &mut head);
        Ok(EncodedChunk {
            head: head.freeze(),
            data,
            tail: Bytes::from_static(CRLF),
        })
    }

    /// Encode `data` as one chunk, copied into `dst` (for small chunks, where
    /// one buffer beats three). Empty data writes nothing.
    pub fn encode_chunk_into(&mut self, data: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        self.check_open()?;
        if data.is_empty() {
            return Ok(());
        }
        dst.reserve(head_len(&[]) + data.len() + CRLF.len());
        write_chunk_line(data.len() as u64, &[], dst);
        dst.put_slice(data);
        dst.put_slice(CRLF);
        Ok(())
    }

    /// The last-chunk (`0` CRLF), the trailer section and the final CRLF
    /// (RFC 9112 §7.1, §7.1.2). Fails with [`Error::ProhibitedTrailer`] for a
    /// field RFC 9110 §6.5.1 keeps out of trailers.
    pub fn encode_last(&mut self, trailers: &HeaderMap) -> Result<Bytes, Error> {
        self.encode_last_with_extensions(&[], trailers)
    }

    /// The last-chunk with extensions, then the trailer section.
    pub fn encode_last_with_extensions(
        &mut self,
        extensions: &[ChunkExtension],
        trailers: &HeaderMap,
    ) -> Result<Bytes, Error> {
        self.check_open()?;
        if let Some(name) = trailers.keys().find(|n| is_prohibited_trailer(n.as_str())) {
            return Err(Error::ProhibitedTrailer(name.to_string()));
        }
        let fields: usize = trailers
            .iter()
            .map(|(n, v)| n.as_str().len() + 2 + v.len() + 2)
            .sum();
        let mut dst = BytesMut::with_capacity(head_len(extensions) + fields + 2);
        write_chunk_line(0, extensions, &mut dst);
        for (name, value) in trailers {
            dst.put_slice(name.as_str().as_bytes());
            dst.put_slice(b": ");
            dst.put_slice(value.as_bytes());
            dst.put_slice(CRLF);
        }
        dst.put_slice(CRLF);
        self.finished = true;
        Ok(dst.freeze())
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.finished {
            Err(Error::EncoderFinished)
        } else {
            Ok(())
        }
    }
}

/// Length of a chunk line: at most 16 hex digits, extensions, CRLF.
fn head_len(extensions: &[ChunkExtension]) -> usize {
    16 + extensions
        .iter()
        .map(ChunkExtension::encoded_len)
        .sum::<usize>()
        + CRLF.len()
}

/// `chunk-size [ chunk-ext ] CRLF`, the size in lowercase hex without
/// leading zeros.
fn write_chunk_line(size: u64, extensions: &[ChunkExtension], dst: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut start = digits.len();
    let mut n = size;
    loop {
        start -= 1;
        digits[start] = HEX[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    dst.put_slice(&digits[start..]);
    for ext in extensions {
        ext.write_to(dst);
    }
    dst.put_slice(CRLF);
}

/// One encoded chunk as three buffers: chunk line, data, CRLF.
///
/// Implements [`Buf`], with [`Buf::chunks_vectored`] giving all three at
/// once for a vectored write. Built by the [`Encoder`]; its fields are
/// public for reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodedChunk {
    /// `chunk-size [ chunk-ext ] CRLF`.
    pub head: Bytes,
    /// The payload, as given to the encoder.
    pub data: Bytes,
    /// The CRLF after the data.
    pub tail: Bytes,
}

impl EncodedChunk {
    /// Copy the whole chunk into `dst`.
    pub fn write_to(&self, dst: &mut BytesMut) {
        dst.reserve(self.remaining());
        dst.put_slice(&self.head);
        dst.put_slice(&self.data);
        dst.put_slice(&self.tail);
    }
}

impl Buf for EncodedChunk {
    fn remaining(&self) -> usize {
        self.head.len() + self.data.len() + self.tail.len()
    }

    fn chunk(&self) -> &[u8] {
        if !self.head.is_empty() {
            &self.head
        } else if !self.data.is_empty() {
            &self.data
        } else {
            &self.tail
        }
    }

    fn advance(&mut self, mut cnt: usize) {
        assert!(cnt <= self.remaining(), "advance past the end of a chunk");
        for part in [&mut self.head, &mut self.data, &mut self.tail] {
            let n = cnt.min(part.len());
            part.advance(n);
            cnt -= n;
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [std::io::IoSlice<'a>]) -> usize {
        let mut n = 0;
        for part in [&self.head, &self.data, &self.tail] {
            if n == dst.len() {
                break;
            }
            if !part.is_empty() {
                dst[n] = std::io::IoSlice::new(part);
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_line_is_lowercase_hex() {
        let mut enc = Encoder::new();
        let c = enc.encode_chunk(Bytes::from(vec![b'x'; 0x1af])).unwrap();
        assert_eq!(&c.head[..], b"1af\r\n");
        assert_eq!(&c.tail[..], b"\r\n");
        let mut dst = BytesMut::new();
        write_chunk_line(u64::MAX, &[], &mut dst);
        assert_eq!(&dst[..], b"ffffffffffffffff\r\n");
    }

    #[test]
    fn empty_data_writes_nothing() {
        let mut enc = Encoder::new();
        assert_eq!(enc.encode_chunk(Bytes::new()).unwrap().remaining(), 0);
        let ext = [ChunkExtension::new("a").unwrap()];
        assert_eq!(
            enc.encode_chunk_with_extensions(Bytes::new(), &ext),
            Err(Error::EmptyChunkWithExtensions)
        );
    }

    #[test]
    fn buf_walks_all_parts() {
        let mut enc = Encoder::new();
        let mut c = enc.encode_chunk(Bytes::from_static(b"hello")).unwrap();
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        assert_eq!(c.chunks_vectored(&mut slices), 3);
        let mut out = Vec::new();
        while c.has_remaining() {
            let n = c.chunk().len().min(2);
            out.extend_from_slice(&c.chunk()[..n]);
            c.advance(n);
        }
        assert_eq!(out, b"5\r\nhello\r\n");
    }

    #[test]
    fn last_chunk_with_trailers_and_misuse() {
        let mut enc = Encoder::new();
        let mut t = HeaderMap::new();
        t.insert("x-checksum", "abc".parse().unwrap());
        assert_eq!(
            &enc.encode_last(&t).unwrap()[..],
            b"0\r\nx-checksum: abc\r\n\r\n"
        );
        assert_eq!(
            enc.encode_chunk(Bytes::from_static(b"late")),
            Err(Error::EncoderFinished)
        );
        let mut t = HeaderMap::new();
        t.insert("content-length", "5".parse().unwrap());
        assert!(matches!(
            Encoder::new().encode_last(&t),
            Err(Error::ProhibitedTrailer(_))
        ));
    }
}
