//! A write deadline for a connection whose peer stops reading: the
//! kernel's send buffer and hyper's fill up, writes stay pending, and
//! without this the connection (and its slot under the caps) would be held
//! for as long as the peer keeps its window shut.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// `io`, whose writes fail with [`io::ErrorKind::TimedOut`] once they have
/// made no progress for `limit`: the connection is then closed. Time
/// counts only while a write waits; any byte written resets it.
#[derive(Debug)]
pub(crate) struct WriteDeadline<S> {
    io: S,
    limit: Duration,
    /// Armed when a write first had to wait.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteDeadline<S> {
    pub(crate) fn new(io: S, limit: Duration) -> Self {
        WriteDeadline {
            io,
            limit,
            stalled: None,
        }
    }

    /// What a write (or flush) gave: progress disarms the deadline, a wait
    /// arms it, and a wait past it is an error.
    fn check<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the peer read nothing for {limit:?}"),
            )));
        }
        Poll::Pending
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.check(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.check(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.check(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn a_peer_that_stops_reading_times_the_writer_out() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut io = WriteDeadline::new(ours, Duration::from_millis(300));
        // While the peer reads, writing goes on past the pipe's size.
        let reader = tokio::spawn(async move {
            let mut buf = vec![0; 4096];
            let mut total = 0;
            while total < 8192 {
                total += theirs.read(&mut buf).await.unwrap();
            }
            theirs // now it stops reading, and keeps the pipe open
        });
        io.write_all(&[1; 8192]).await.unwrap();
        let _theirs = reader.await.unwrap();
        let t0 = tokio::time::Instant::now();
        let e = tokio::time::timeout(Duration::from_secs(20), io.write_all(&[2; 8192]))
            .await
            .expect("timed out by the deadline, not by the test")
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        assert!(
            t0.elapsed() >= Duration::from_millis(300),
            "{:?}",
            t0.elapsed()
        );
    }

    #[tokio::test]
    async fn a_slow_reader_that_keeps_up_is_not_timed_out() {
        let (ours, mut theirs) = tokio::io::duplex(1024);
        let mut io = WriteDeadline::new(ours, Duration::from_secs(3));
        let reader = tokio::spawn(async move {
            let mut buf = [0; 512];
            let mut total = 0;
            while total < 8192 {
                // 512 bytes every 100 ms: slower than the writer, but
                // progress well within the deadline.
                tokio::time::sleep(Duration::from_millis(100)).await;
                total += theirs.read(&mut buf).await.unwrap();
            }
        });
        io.write_all(&[3; 8192]).await.unwrap();
        reader.await.unwrap();
    }
}
