//! What the decoder yields.

use bytes::Bytes;
use http::HeaderMap;

use crate::ChunkExtension;

/// One item of a decoded chunked body, in stream order.
///
/// `#[non_exhaustive]`: a `match` needs a `_` arm, so a later kind of
/// item is not a breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// The line that opens a chunk: its size and extensions (RFC 9112 §7.1,
    /// §7.1.1). Yielded only with
    /// [`Config::report_chunk_headers`](crate::Config::report_chunk_headers),
    /// before the chunk's data; the last-chunk gives one with size 0.
    Chunk(ChunkHeader),
    /// Chunk data, split off the input. One chunk may be yielded as several
    /// `Data` frames when it arrives in pieces, and the data of several
    /// small chunks that arrived together as one (their bytes moved
    /// together inside the input buffer; see [`Decoder`](crate::Decoder)),
    /// unless chunk headers are reported; no `Data` frame is ever empty.
    Data(Bytes),
    /// The trailer section (RFC 9112 §7.1.2), when it holds at least one
    /// field. Never merged with the header section by this crate.
    Trailers(HeaderMap),
    /// The body is complete; bytes after it belong to the next message.
    End,
}

/// A parsed `chunk-size [ chunk-ext ]` line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ChunkHeader {
    /// The chunk size in bytes; 0 for the last-chunk.
    pub size: u64,
    /// The extensions, in the order they appeared.
    pub extensions: Vec<ChunkExtension>,
}

impl ChunkHeader {
    /// A chunk line with this size and these extensions.
    pub fn new(size: u64, extensions: Vec<ChunkExtension>) -> Self {
        ChunkHeader { size, extensions }
    }

    /// The first extension called `name` (ASCII case-insensitive, as token
    /// comparison is), if any.
    pub fn extension(&self, name: &str) -> Option<&ChunkExtension> {
        self.extensions
            .iter()
            .find(|e| e.name().eq_ignore_ascii_case(name.as_bytes()))
    }
}
