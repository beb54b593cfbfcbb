//! HTTP/1.1 chunked transfer coding (RFC 9112 §7.1) over tokio.
//!
//! Two ways to move a chunked body:
//! - [`ChunkedCodec`], a [`tokio_util::codec`] `Decoder` and `Encoder` that
//!   delegate to [`rtw_chunked::Decoder`] and [`rtw_chunked::Encoder`]: wrap a
//!   reader in [`FramedRead`](tokio_util::codec::FramedRead) to get a stream
//!   of [`Frame`]s, a writer in [`FramedWrite`](tokio_util::codec::FramedWrite)
//!   to send [`Bytes`] or [`ChunkedItem`]s. `FramedWrite` copies each payload
//!   into its write buffer.
//! - [`ChunkedWriter`] and [`write_chunk`], which send each chunk's line,
//!   payload and CRLF with vectored writes, so the payload is never copied.
//!
//! The codec only frames the body: the message head (RFC 9112 §6.1 says
//! when a body is chunked) is the caller's business. A reader that parsed
//! the head itself passes the bytes it read past the head to
//! [`ChunkedCodec::framed`], not to `FramedRead::read_buffer_mut` (its
//! docs say why).
//!
//! ```
//! # async fn demo() -> Result<(), rtw_tokio::chunked::CodecError> {
//! use bytes::Bytes;
//! use futures_util::{SinkExt, StreamExt};
//! use rtw_chunked::Frame;
//! use rtw_tokio::chunked::{ChunkedCodec, ChunkedItem};
//! use tokio_util::codec::{FramedRead, FramedWrite};
//!
//! let (client, server) = tokio::io::duplex(64);
//! let mut tx = FramedWrite::new(client, ChunkedCodec::new());
//! let mut rx = FramedRead::new(server, ChunkedCodec::new());
//! tokio::spawn(async move {
//!     tx.send(Bytes::from_static(b"hello")).await?;
//!     let mut trailers = http::HeaderMap::new();
//!     trailers.insert("x-checksum", "abc".parse().unwrap());
//!     tx.send(ChunkedItem::Last(trailers)).await
//! });
//! assert_eq!(rx.next().await.transpose()?, Some(Frame::Data("hello".into())));
//! assert!(matches!(rx.next().await.transpose()?, Some(Frame::Trailers(t)) if t["x-checksum"] == "abc"));
//! assert_eq!(rx.next().await.transpose()?, Some(Frame::End));
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
//! ```

use std::io;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use rtw_chunked::{Config, EncodedChunk, Frame};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{Framed, FramedParts};

/// The error of [`ChunkedCodec`] and [`ChunkedWriter`]: the transport failed,
/// or the body broke the chunked coding.
///
/// `tokio_util::codec` needs a codec error to come from [`io::Error`], which
/// [`rtw_chunked::Error`] deliberately does not.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing the underlying transport failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The body violates RFC 9112 §7.1 (a peer fault, see
    /// [`rtw_chunked::Error::status`] for the answer), or the encoder was
    /// misused.
    #[error(transparent)]
    Chunked(#[from] rtw_chunked::Error),
}

impl CodecError {
    /// The chunked coding error, if that is what this is.
    pub fn as_chunked(&self) -> Option<&rtw_chunked::Error> {
        match self {
            CodecError::Chunked(e) => Some(e),
            CodecError::Io(_) => None,
        }
    }

    /// `true` for a fault of the peer that sent the body (see
    /// [`rtw_chunked::Error::is_peer_fault`]); `false` for transport errors
    /// and encoder misuse.
    pub fn is_peer_fault(&self) -> bool {
        self.as_chunked()
            .is_some_and(rtw_chunked::Error::is_peer_fault)
    }
}

/// What a [`ChunkedCodec`] can encode besides plain [`Bytes`]: a data chunk,
/// or the end of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkedItem {
    /// One data chunk (RFC 9112 §7.1); empty data writes nothing, because a
    /// chunk of size zero is the last-chunk.
    Data(Bytes),
    /// The last-chunk, the trailer section (RFC 9112 §7.1.2; may be empty)
    /// and the final CRLF. Nothing can be encoded after it.
    Last(HeaderMap),
}

impl From<Bytes> for ChunkedItem {
    fn from(data: Bytes) -> Self {
        ChunkedItem::Data(data)
    }
}

/// A [`tokio_util::codec`] codec for one chunked body (RFC 9112 §7.1).
///
/// As a `Decoder` it yields [`Frame`]s from [`rtw_chunked::Decoder`]:
/// [`Frame::Data`] pieces (split off the read buffer without copying), the
/// [`Frame::Trailers`] if any, then [`Frame::End`]. After `End` it consumes
/// nothing more; stop reading there, because the bytes after the body (a
/// pipelined request, say) stay in the read buffer, and
/// [`FramedRead`](tokio_util::codec::FramedRead) would otherwise wait for
/// more input. A stream that ends before `End` gives
/// [`rtw_chunked::Error::UnexpectedEof`].
///
/// As an `Encoder` it takes [`Bytes`] (one chunk each) or [`ChunkedItem`]
/// (to end the body with trailers).
#[derive(Debug, Clone, Default)]
pub struct ChunkedCodec {
    decoder: rtw_chunked::Decoder,
    encoder: rtw_chunked::Encoder,
}

impl ChunkedCodec {
    /// A codec with the decoder's default [`Config`] (and its limits).
    pub fn new() -> Self {
        ChunkedCodec::default()
    }

    /// A codec whose decoder uses `config`.
    pub fn with_config(config: Config) -> Self {
        ChunkedCodec {
            decoder: rtw_chunked::Decoder::with_config(config),
            encoder: rtw_chunked::Encoder::new(),
        }
    }

    /// The decoder, e.g. for [`rtw_chunked::Decoder::body_len`] or
    /// [`rtw_chunked::Decoder::discarded_trailers`].
    pub fn decoder(&self) -> &rtw_chunked::Decoder {
        &self.decoder
    }

    /// `true` once the decoder has yielded [`Frame::End`].
    pub fn is_done(&self) -> bool {
        self.decoder.is_done()
    }

    /// `true` once the encoder has written the last-chunk.
    pub fn is_finished(&self) -> bool {
        self.encoder.is_finished()
    }

    /// Frame `io` with this codec, decoding `already_read` first: the bytes
    /// read past the message head (RFC 9112 §6), which start the body.
    ///
    /// Use this rather than filling `FramedRead::read_buffer_mut`: a
    /// `FramedRead` polls its reader before it looks at a buffer filled that
    /// way, so a body that arrived whole with the head would wait for input
    /// that never comes. The returned [`Framed`] is a stream of [`Frame`]s
    /// whenever `R` is [`AsyncRead`](tokio::io::AsyncRead) (a read half is
    /// enough), and a sink as well when `R` is also [`AsyncWrite`].
    pub fn framed<R>(self, io: R, already_read: BytesMut) -> Framed<R, ChunkedCodec> {
        let mut parts = FramedParts::new::<Bytes>(io, self);
        parts.read_buf = already_read;
        Framed::from_parts(parts)
    }
}

impl tokio_util::codec::Decoder for ChunkedCodec {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(self.decoder.decode(src)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(self.decoder.decode_eof(src)?)
    }
}

impl tokio_util::codec::Encoder<Bytes> for ChunkedCodec {
    type Error = CodecError;

    /// One data chunk, copied into `dst`; empty data writes nothing.
    fn encode(&mut self, data: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(self.encoder.encode_chunk_into(&data, dst)?)
    }
}

impl tokio_util::codec::Encoder<ChunkedItem> for ChunkedCodec {
    type Error = CodecError;

    fn encode(&mut self, item: ChunkedItem, dst: &mut BytesMut) -> Result<(), CodecError> {
        match item {
            ChunkedItem::Data(data) => self.encode(data, dst),
            ChunkedItem::Last(trailers) => {
                dst.extend_from_slice(&self.encoder.encode_last(&trailers)?);
                Ok(())
            }
        }
    }
}

/// Write one [`EncodedChunk`] to `writer` with vectored writes (chunk line,
/// payload and CRLF in one `writev` when the writer supports it), so the
/// payload is sent from its own buffer, never copied.
///
/// Like [`AsyncWriteExt::write_all_buf`], which it uses, it is not
/// cancellation safe: dropping the future part way leaves a partial chunk on
/// the wire, and the body can then only be abandoned.
pub async fn write_chunk<W>(writer: &mut W, mut chunk: EncodedChunk) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
{
    writer.write_all_buf(&mut chunk).await
}

/// Sends one chunked body (RFC 9112 §7.1) on an [`AsyncWrite`], each chunk
/// with vectored writes and without copying its payload.
///
/// ```
/// # async fn demo() -> Result<(), rtw_tokio::chunked::CodecError> {
/// use bytes::Bytes;
/// use rtw_tokio::chunked::ChunkedWriter;
///
/// let mut body = ChunkedWriter::new(Vec::new());
/// body.send(Bytes::from_static(b"hello")).await?;
/// body.finish(&http::HeaderMap::new()).await?;
/// assert_eq!(body.into_inner(), b"5\r\nhello\r\n0\r\n\r\n");
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug)]
pub struct ChunkedWriter<W> {
    inner: W,
    encoder: rtw_chunked::Encoder,
}

impl<W: AsyncWrite + Unpin> ChunkedWriter<W> {
    /// A writer at the start of a body; the message head must already have
    /// been written to `inner`.
    pub fn new(inner: W) -> Self {
        ChunkedWriter {
            inner,
            encoder: rtw_chunked::Encoder::new(),
        }
    }

    /// Send `data` as one chunk; empty data sends nothing. Does not flush.
    ///
    /// Fails with [`rtw_chunked::Error::EncoderFinished`] after
    /// [`ChunkedWriter::finish`]. Not cancellation safe (see [`write_chunk`]).
    pub async fn send(&mut self, data: Bytes) -> Result<(), CodecError> {
        let chunk = self.encoder.encode_chunk(data)?;
        Ok(write_chunk(&mut self.inner, chunk).await?)
    }

    /// Send the last-chunk and the trailer section (RFC 9112 §7.1.2), then
    /// flush. Fails with [`rtw_chunked::Error::ProhibitedTrailer`] for a
    /// field that may not be a trailer (RFC 9110 §6.5.1), before writing
    /// anything.
    pub async fn finish(&mut self, trailers: &HeaderMap) -> Result<(), CodecError> {
        let last = self.encoder.encode_last(trailers)?;
        self.inner.write_all(&last).await?;
        Ok(self.inner.flush().await?)
    }

    /// `true` once [`ChunkedWriter::finish`] has encoded the last-chunk.
    pub fn is_finished(&self) -> bool {
        self.encoder.is_finished()
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The underlying writer; writing to it directly corrupts the body
    /// unless the body is finished.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The underlying writer, e.g. to write the next message once the body
    /// is finished.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncRead, ReadBuf};
    use tokio_util::codec::{FramedRead, FramedWrite};

    use super::*;

    /// Hands out its input one byte per read, to exercise every split.
    struct Trickle(&'static [u8]);

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if let Some((&first, rest)) = self.0.split_first() {
                buf.put_slice(&[first]);
                self.0 = rest;
            }
            Poll::Ready(Ok(()))
        }
    }

    /// Records every write call: how many slices, and where each pointed.
    #[derive(Default)]
    struct Recorder {
        bytes: Vec<u8>,
        calls: Vec<Vec<(*const u8, usize)>>,
        /// Accept at most this many bytes per call, to force partial writes.
        max_per_call: usize,
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let n = buf.len().min(self.max_per_call);
            self.bytes.extend_from_slice(&buf[..n]);
            self.calls.push(vec![(buf.as_ptr(), n)]);
            Poll::Ready(Ok(n))
        }

        fn poll_write_vectored(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            bufs: &[io::IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let mut budget = self.max_per_call;
            let mut call = Vec::new();
            for b in bufs {
                let n = b.len().min(budget);
                self.bytes.extend_from_slice(&b[..n]);
                call.push((b.as_ptr(), b.len()));
                budget -= n;
            }
            self.calls.push(call);
            Poll::Ready(Ok(self.max_per_call - budget))
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    async fn collect<R: AsyncRead + Unpin>(
        reader: R,
    ) -> (Vec<u8>, Vec<HeaderMap>, Result<(), CodecError>) {
        let mut frames = FramedRead::new(reader, ChunkedCodec::new());
        let (mut body, mut trailers) = (Vec::new(), Vec::new());
        loop {
            match frames.next().await {
                Some(Ok(Frame::Data(d))) => body.extend_from_slice(&d),
                Some(Ok(Frame::Trailers(t))) => trailers.push(t),
                Some(Ok(Frame::End)) => return (body, trailers, Ok(())),
                Some(Ok(other)) => panic!("{other:?}: chunk headers were not asked for"),
                Some(Err(e)) => return (body, trailers, Err(e)),
                None => panic!("stream ended without Frame::End or an error"),
            }
        }
    }

    const WIRE: &[u8] = b"5;ext=\"q v\"\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Sum: 42\r\n\r\n";

    #[tokio::test]
    async fn decodes_in_one_read_and_byte_by_byte() {
        for (body, trailers, result) in [collect(WIRE).await, collect(Trickle(WIRE)).await] {
            result.unwrap();
            assert_eq!(body, b"hello, world!!!");
            assert_eq!(trailers.len(), 1);
            assert_eq!(trailers[0]["x-sum"], "42");
        }
    }

    #[tokio::test]
    async fn truncated_body_is_unexpected_eof() {
        let (body, _, result) = collect(&b"5\r\nhello\r\n3\r\nab"[..]).await;
        assert_eq!(body, b"helloab");
        let err = result.unwrap_err();
        assert!(
            matches!(err.as_chunked(), Some(rtw_chunked::Error::UnexpectedEof(_))),
            "{err:?}"
        );
        assert!(err.is_peer_fault());
    }

    #[tokio::test]
    async fn framing_error_surfaces_as_chunked_error() {
        let (body, _, result) = collect(&b"5\r\nhelloXX\r\n0\r\n\r\n"[..]).await;
        assert_eq!(body, b"hello");
        let err = result.unwrap_err();
        assert_eq!(
            err.as_chunked(),
            Some(&rtw_chunked::Error::MissingCrlfAfterData { found: b'X' })
        );
        assert_eq!(err.to_string(), err.as_chunked().unwrap().to_string());
    }

    #[tokio::test]
    async fn pipelined_bytes_stay_in_the_read_buffer() {
        let wire: &[u8] = b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let mut frames = FramedRead::new(wire, ChunkedCodec::new());
        assert_eq!(
            frames.next().await.unwrap().unwrap(),
            Frame::Data("abc".into())
        );
        assert_eq!(frames.next().await.unwrap().unwrap(), Frame::End);
        assert!(frames.decoder().is_done());
        assert_eq!(&frames.read_buffer()[..], b"GET / HTTP/1.1\r\n");
    }

    #[tokio::test]
    async fn framed_decodes_bytes_read_with_the_head_without_waiting() {
        // The peer sent head and body at once and now waits for an answer:
        // the reader has nothing more to give.
        let (idle_peer, reader) = tokio::io::duplex(64);
        let already_read = BytesMut::from(WIRE);
        let mut frames = ChunkedCodec::new().framed(reader, already_read);
        let mut body = Vec::new();
        let deadline = std::time::Duration::from_secs(5);
        loop {
            let frame = tokio::time::timeout(deadline, frames.next())
                .await
                .expect("decoding waited for input although the body was buffered")
                .unwrap()
                .unwrap();
            match frame {
                Frame::Data(d) => body.extend_from_slice(&d),
                Frame::Trailers(t) => assert_eq!(t["x-sum"], "42"),
                Frame::End => break,
                other => unreachable!("{other:?}"),
            }
        }
        assert_eq!(body, b"hello, world!!!");
        assert!(frames.read_buffer().is_empty());
        drop(idle_peer);
    }

    #[tokio::test]
    async fn io_error_converts() {
        let err = CodecError::from(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
        assert!(err.as_chunked().is_none());
        assert!(!err.is_peer_fault());
    }

    #[tokio::test]
    async fn framed_write_encodes_bytes_and_items() {
        let mut sink = FramedWrite::new(Vec::new(), ChunkedCodec::new());
        sink.send(Bytes::from_static(b"hello")).await.unwrap();
        sink.send(Bytes::new()).await.unwrap();
        sink.send(ChunkedItem::Data(Bytes::from(vec![b'x'; 26])))
            .await
            .unwrap();
        let mut trailers = HeaderMap::new();
        trailers.insert("x-sum", "42".parse().unwrap());
        sink.send(ChunkedItem::Last(trailers)).await.unwrap();
        assert!(sink.encoder().is_finished());
        let late = sink.send(Bytes::from_static(b"late")).await.unwrap_err();
        assert_eq!(
            late.as_chunked(),
            Some(&rtw_chunked::Error::EncoderFinished)
        );
        assert!(!late.is_peer_fault());
        let expected = format!(
            "5\r\nhello\r\n1a\r\n{}\r\n0\r\nx-sum: 42\r\n\r\n",
            "x".repeat(26)
        );
        assert_eq!(sink.get_ref(), expected.as_bytes());
    }

    #[tokio::test]
    async fn prohibited_trailer_is_refused_before_writing() {
        let mut sink = FramedWrite::new(Vec::new(), ChunkedCodec::new());
        let mut trailers = HeaderMap::new();
        trailers.insert("content-length", "5".parse().unwrap());
        let err = sink.send(ChunkedItem::Last(trailers)).await.unwrap_err();
        assert!(matches!(
            err.as_chunked(),
            Some(rtw_chunked::Error::ProhibitedTrailer(_))
        ));
        assert!(sink.get_ref().is_empty());
    }

    #[tokio::test]
    async fn write_chunk_is_vectored_and_does_not_copy_the_payload() {
        let payload = Bytes::from(vec![b'p'; 300]);
        let chunk = rtw_chunked::Encoder::new()
            .encode_chunk(payload.clone())
            .unwrap();
        let mut out = Recorder {
            max_per_call: usize::MAX,
            ..Recorder::default()
        };
        write_chunk(&mut out, chunk).await.unwrap();
        assert_eq!(out.calls.len(), 1, "one writev for the whole chunk");
        let call = &out.calls[0];
        assert_eq!(call.len(), 3, "chunk line, payload, CRLF");
        assert_eq!(call[1], (payload.as_ptr(), payload.len()));
        assert_eq!(&out.bytes[..5], b"12c\r\n");
        assert_eq!(&out.bytes[5..305], &payload[..]);
        assert_eq!(&out.bytes[305..], b"\r\n");
    }

    #[tokio::test]
    async fn write_chunk_survives_partial_writes() {
        let payload = Bytes::from_static(b"0123456789abcdef0123");
        let mut out = Recorder {
            max_per_call: 3,
            ..Recorder::default()
        };
        let mut writer = ChunkedWriter::new(&mut out);
        writer.send(payload.clone()).await.unwrap();
        writer.send(Bytes::new()).await.unwrap();
        writer.finish(&HeaderMap::new()).await.unwrap();
        assert!(writer.is_finished());
        assert_eq!(
            writer.send(payload.clone()).await.unwrap_err().as_chunked(),
            Some(&rtw_chunked::Error::EncoderFinished)
        );
        assert_eq!(out.bytes, b"14\r\n0123456789abcdef0123\r\n0\r\n\r\n");
        // Every payload slice handed to the writer points into `payload`.
        let range = payload.as_ptr_range();
        let payload_slices = out
            .calls
            .iter()
            .flatten()
            .filter(|(p, _)| range.contains(p))
            .count();
        assert!(payload_slices >= 20 / 3, "{payload_slices}");
    }

    #[tokio::test]
    async fn round_trip_through_a_duplex_pipe() {
        let (client, server) = tokio::io::duplex(7);
        let payload: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let sent = payload.clone();
        let writer = tokio::spawn(async move {
            let mut body = ChunkedWriter::new(client);
            for piece in sent.chunks(999) {
                body.send(Bytes::copy_from_slice(piece)).await?;
            }
            let mut trailers = HeaderMap::new();
            trailers.insert("x-count", "11".parse().unwrap());
            body.finish(&trailers).await
        });
        let (body, trailers, result) = collect(server).await;
        result.unwrap();
        writer.await.unwrap().unwrap();
        assert_eq!(body, payload);
        assert_eq!(trailers[0]["x-count"], "11");
    }
}
