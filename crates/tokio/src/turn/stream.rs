//! One TCP or TLS client connection (RFC 8656 §3.1): its bytes go to the
//! server's task unframed, what the server sends it is written in order,
//! and an RFC 6062 data connection is spliced to its peer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rtw_turn::server::{ConnectionId, FiveTuple};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::core::Input;

/// Bytes asked of one read.
const READ_CHUNK: usize = 16 * 1024;

/// Queued writes gathered into one write, at most.
const WRITE_GATHER: usize = 64 * 1024;

/// How long a closing connection may take to send what it has.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// What the server's task tells a connection.
#[derive(Debug)]
pub(super) enum Command {
    /// Write these bytes.
    Write(Bytes),
    /// From now on copy bytes between the connection and this peer
    /// connection (RFC 6062 §5.4).
    Splice {
        connection: ConnectionId,
        peer: TcpStream,
        /// What the client sent after its ConnectionBind, for the peer.
        buffered: Bytes,
    },
}

/// A splice to do: the peer connection, its stream, and the client's
/// bytes already read for the peer.
type Splice = (ConnectionId, TcpStream, Bytes);

/// The server task's side of a connection.
#[derive(Debug)]
pub(super) struct Handle {
    /// Which connection of this 5-tuple (a later one may reuse it).
    pub(super) serial: u64,
    pub(super) commands: mpsc::UnboundedSender<Command>,
    /// Bytes sent as [`Command::Write`] and not yet written.
    pub(super) queued: Arc<AtomicUsize>,
    /// Whether the connection holds an allocation (no idle timeout then).
    pub(super) allocated: Arc<AtomicBool>,
    /// Notified when the server's task drops the connection, so that a
    /// write in progress is abandoned at once.
    pub(super) abort: Arc<Notify>,
}

impl Handle {
    /// Close the connection: its task ends as soon as it sees this, even in
    /// the middle of a write.
    pub(super) fn close(self) {
        self.abort.notify_one();
    }
}

/// The timeouts of a connection, and how its frames are told apart.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    pub(super) idle: Duration,
    pub(super) frame: Duration,
    pub(super) write: Duration,
    /// ChannelData may use the channel numbers of RFC 5766
    /// (`ServerConfig::rfc5766_channels`).
    pub(super) rfc5766_channels: bool,
}

/// Where a stream of STUN messages and ChannelData frames is: between
/// two frames, or inside one. Only used to time out half-sent frames; the
/// sans-IO server does the real framing.
#[derive(Debug, Default)]
struct Framing {
    head: [u8; 4],
    head_len: usize,
    /// Bytes of the current frame still to come, once its length is known.
    remaining: usize,
    /// The stream is not STUN framing: the server will close it.
    broken: bool,
    /// Frames seen whole so far.
    completed: u64,
    /// Channel numbers 0x4000-0x7FFF are framing too (RFC 5766).
    rfc5766: bool,
}

impl Framing {
    fn advance(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && !self.broken {
            if self.remaining > 0 {
                let n = self.remaining.min(bytes.len());
                self.remaining -= n;
                bytes = &bytes[n..];
                if self.remaining == 0 {
                    self.completed += 1;
                }
                continue;
            }
            let n = (4 - self.head_len).min(bytes.len());
            self.head[self.head_len..self.head_len + n].copy_from_slice(&bytes[..n]);
            self.head_len += n;
            bytes = &bytes[n..];
            let head = &self.head[..self.head_len];
            let len = if self.rfc5766 {
                rtw_stun::frame_len_rfc5766(head)
            } else {
                rtw_stun::frame_len(head)
            };
            match len {
                Ok(None) => {}
                Ok(Some(len)) => {
                    self.remaining = len - 4;
                    self.head_len = 0;
                    if self.remaining == 0 {
                        self.completed += 1;
                    }
                }
                Err(_) => self.broken = true,
            }
        }
    }

    fn mid_frame(&self) -> bool {
        !self.broken && (self.head_len > 0 || self.remaining > 0)
    }
}

/// Register a connection with the server's task and serve it until it
/// closes, times out, or the server's task drops it; then tell the
/// server's task it closed. `permit` (the listener's slot) is held until
/// then.
pub(super) async fn serve<S>(
    stream: S,
    five_tuple: FiveTuple,
    serial: u64,
    inputs: mpsc::Sender<Input>,
    timeouts: Timeouts,
    permit: crate::listener::Permit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _permit = permit;
    let (commands, receiver) = mpsc::unbounded_channel();
    let handle = Handle {
        serial,
        commands,
        queued: Arc::default(),
        allocated: Arc::default(),
        abort: Arc::default(),
    };
    let (queued, allocated) = (Arc::clone(&handle.queued), Arc::clone(&handle.allocated));
    let abort = Arc::clone(&handle.abort);
    if inputs
        .send(Input::StreamOpened { five_tuple, handle })
        .await
        .is_err()
    {
        return;
    }
    let connection = Connection {
        five_tuple,
        inputs: inputs.clone(),
        receiver,
        queued,
        allocated,
        abort,
        timeouts,
    };
    connection.run(stream).await;
    let _ = inputs
        .send(Input::StreamClosed { five_tuple, serial })
        .await;
}

struct Connection {
    five_tuple: FiveTuple,
    inputs: mpsc::Sender<Input>,
    receiver: mpsc::UnboundedReceiver<Command>,
    queued: Arc<AtomicUsize>,
    allocated: Arc<AtomicBool>,
    abort: Arc<Notify>,
    timeouts: Timeouts,
}

impl Connection {
    async fn run<S>(mut self, mut stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut framing = Framing {
            rfc5766: self.timeouts.rfc5766_channels,
            ..Framing::default()
        };
        let mut read_buf = BytesMut::new();
        let mut write_buf = BytesMut::new();
        let mut last_read = Instant::now();
        let mut frame_started = last_read;
        loop {
            let deadline = if framing.mid_frame() {
                Some(frame_started + self.timeouts.frame)
            } else if self.allocated.load(Ordering::Relaxed) {
                None
            } else {
                Some(last_read + self.timeouts.idle)
            };
            read_buf.reserve(READ_CHUNK);
            tokio::select! {
                read = stream.read_buf(&mut read_buf) => {
                    match read {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    last_read = Instant::now();
                    let bytes = read_buf.split().freeze();
                    // The frame in progress began in these bytes if the
                    // stream was between frames, or a frame ended in them:
                    // a busy stream whose reads never end on a boundary is
                    // not a half-sent frame.
                    let (was_mid, completed) = (framing.mid_frame(), framing.completed);
                    framing.advance(&bytes);
                    if !was_mid || framing.completed != completed {
                        frame_started = last_read;
                    }
                    let input = Input::StreamBytes { five_tuple: self.five_tuple, bytes };
                    if self.inputs.send(input).await.is_err() {
                        break;
                    }
                }
                command = self.receiver.recv() => match command {
                    None => break,
                    Some(Command::Write(bytes)) => {
                        let splice = self.gather(&mut write_buf, bytes);
                        if !self.write(&mut stream, &mut write_buf).await {
                            break;
                        }
                        if let Some(splice) = splice {
                            self.splice(stream, splice).await;
                            return;
                        }
                    }
                    Some(Command::Splice { connection, peer, buffered }) => {
                        self.splice(stream, (connection, peer, buffered)).await;
                        return;
                    }
                },
                () = sleep_until(deadline) => {
                    // An allocation made since the wait began lifts the
                    // idle timeout; a half-sent frame does not.
                    if framing.mid_frame() || !self.allocated.load(Ordering::Relaxed) {
                        break;
                    }
                }
            }
        }
        let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, stream.shutdown()).await;
    }

    /// Move `first` and whatever else is queued, up to [`WRITE_GATHER`]
    /// bytes, into `buf`. A splice queued behind the writes is returned,
    /// to do once they are written.
    fn gather(&mut self, buf: &mut BytesMut, first: Bytes) -> Option<Splice> {
        buf.extend_from_slice(&first);
        while buf.len() < WRITE_GATHER {
            match self.receiver.try_recv() {
                Ok(Command::Write(bytes)) => buf.extend_from_slice(&bytes),
                Ok(Command::Splice {
                    connection,
                    peer,
                    buffered,
                }) => return Some((connection, peer, buffered)),
                Err(_) => break,
            }
        }
        None
    }

    /// Write `buf` whole within the write timeout; `false` if it failed.
    async fn write<S: AsyncWrite + Unpin>(&self, stream: &mut S, buf: &mut BytesMut) -> bool {
        let len = buf.len();
        let written = tokio::select! {
            written = tokio::time::timeout(self.timeouts.write, async {
                stream.write_all(buf).await?;
                stream.flush().await
            }) => matches!(written, Ok(Ok(()))),
            () = self.abort.notified() => false,
        };
        buf.clear();
        self.queued.fetch_sub(len, Ordering::AcqRel);
        written
    }

    /// Copy bytes both ways between the client and the peer until either
    /// side closes (RFC 6062 §5.4), then tell the server's task the peer
    /// connection ended.
    async fn splice<S>(self, mut stream: S, (connection, mut peer, buffered): Splice)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        // Until either side closes, or the server's task ends the pair
        // (its allocation was deleted).
        tokio::select! {
            _ = async {
                peer.write_all(&buffered).await?;
                tokio::io::copy_bidirectional(&mut stream, &mut peer).await
            } => {}
            () = self.abort.notified() => {}
        }
        let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, stream.shutdown()).await;
        let _ = self
            .inputs
            .send(Input::PeerConnectionClosed { connection })
            .await;
    }
}

/// Sleep until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::Framing;

    #[test]
    fn framing_follows_stun_and_channel_data_in_any_split() {
        // A STUN header with 8 bytes of attributes, then ChannelData of 5
        // bytes padded to 8.
        let mut stream = vec![0x00, 0x01, 0x00, 0x08];
        stream.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
        stream.extend_from_slice(&[7; 12]);
        stream.extend_from_slice(&[0; 8]);
        stream.extend_from_slice(&[0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0]);
        let ends = [28, stream.len()];
        for split in 1..stream.len() {
            let mut framing = Framing::default();
            let mut at = 0;
            for chunk in stream.chunks(split) {
                framing.advance(chunk);
                at += chunk.len();
                assert_eq!(
                    framing.mid_frame(),
                    !ends.contains(&at),
                    "split {split} at {at}"
                );
                let whole = ends.iter().filter(|&&end| end <= at).count();
                assert_eq!(framing.completed, whole as u64, "split {split} at {at}");
            }
        }
        // An empty ChannelData message is whole with its header.
        let mut empty = Framing::default();
        empty.advance(&[0x40, 0x00, 0x00, 0x00]);
        assert_eq!((empty.mid_frame(), empty.completed), (false, 1));
        // A TLS record where STUN was expected: no frame to wait for.
        let mut broken = Framing::default();
        broken.advance(b"\x16\x03\x01\x02\x00");
        assert!(!broken.mid_frame());
        // "GE" is a ChannelData header (channel 0x4745): a frame begins.
        let mut http = Framing::default();
        http.advance(b"GET / HTTP/1.1\r\n");
        assert!(http.mid_frame());
    }
}
