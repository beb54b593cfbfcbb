//! Unit tests of [`Core`](super::Core): input handed over frame by frame,
//! the scratch buffer, the joining of small chunks, and the reads per poll.

use bytes::BytesMut;
use rtw_ws::frame::{OpCode, encode_frame};
use rtw_ws::{Event, Message, Role};

use tokio::io::{AsyncRead, AsyncWrite};

use super::read::scratch;
use super::write::{COALESCE_BELOW, coalesce};
use super::*;

fn frame(opcode: OpCode, payload: &[u8]) -> BytesMut {
    let mut out = BytesMut::new();
    encode_frame(&mut out, opcode, true, 0, Some([1, 2, 3, 4]), payload);
    out
}

fn events(core: &mut Core<()>) -> Vec<Event> {
    std::iter::from_fn(|| core.conn.poll_event()).collect()
}

#[test]
fn one_frame_per_call_even_when_many_arrived_together() {
    let mut wire = frame(OpCode::Text, b"first");
    wire.extend_from_slice(&frame(OpCode::Ping, b"p"));
    wire.extend_from_slice(&[0xF1, 0x80, 0, 0, 0, 0]); // reserved bits
    let mut core = Core::new((), Role::Server, Options::default(), wire).unwrap();
    assert!(core.feed());
    assert_eq!(events(&mut core), [Event::Message(Message::text("first"))]);
    assert_eq!(
        core.conn.state(),
        State::Open,
        "the bad frame is not read yet"
    );
    assert!(core.feed());
    assert_eq!(
        events(&mut core),
        [Event::Message(Message::Ping(Bytes::from_static(b"p")))]
    );
    assert!(core.feed());
    assert!(matches!(events(&mut core)[..], [Event::Failed(_)]));
    assert!(!core.feed());
}

#[test]
fn small_chunks_are_joined_and_large_ones_left_alone() {
    let big = Bytes::from(vec![9u8; COALESCE_BELOW]);
    let mut out: VecDeque<Bytes> = [
        Bytes::from_static(b"ab"),
        Bytes::from_static(b"cd"),
        big.clone(),
        Bytes::from_static(b"ef"),
    ]
    .into();
    coalesce(&mut out);
    assert_eq!(
        out,
        [
            Bytes::from_static(b"abcd"),
            big.clone(),
            Bytes::from_static(b"ef")
        ]
    );
    assert_eq!(
        out[1].as_ptr(),
        big.as_ptr(),
        "the large payload is not copied"
    );
    coalesce(&mut out);
    assert_eq!(out.len(), 3, "nothing small is left to join at the front");
}

#[test]
fn the_scratch_buffer_in_use_is_not_borrowed_twice() {
    let nested = scratch(|outer| {
        outer.extend_from_slice(b"x");
        let inner = scratch(|_| ());
        outer.clear();
        inner
    });
    assert_eq!(nested, Some(None));
}

/// A peer with no end of masked 1-byte fragments of one binary
/// message, always ready to be read; counts its reads.
struct Fragments {
    reads: usize,
}

impl AsyncRead for Fragments {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut wire = BytesMut::new();
        if self.reads == 0 {
            encode_frame(
                &mut wire,
                OpCode::Binary,
                false,
                0,
                Some([1, 2, 3, 4]),
                b"x",
            );
        }
        while wire.len() + 7 <= buf.remaining() {
            encode_frame(
                &mut wire,
                OpCode::Continuation,
                false,
                0,
                Some([1, 2, 3, 4]),
                b"x",
            );
        }
        buf.put_slice(&wire);
        self.reads += 1;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Fragments {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn input_without_events_gives_the_thread_back_after_each_read() {
    let io = Fragments { reads: 0 };
    let mut core = Core::new(io, Role::Server, Options::default(), BytesMut::new()).unwrap();
    let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    struct Count(Arc<std::sync::atomic::AtomicUsize>);
    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let waker = Waker::from(Arc::new(Count(woken.clone())));
    let cx = Context::from_waker(&waker);
    for round in 1..=3 {
        assert!(core.poll_next(&cx).is_pending(), "round {round}");
        assert_eq!(core.get_ref().reads, round, "one read per poll");
        assert!(
            woken.load(std::sync::atomic::Ordering::SeqCst) >= round,
            "woken to go on"
        );
    }
    assert_eq!(core.state(), State::Open);
}

#[test]
fn a_frame_split_across_reads_is_fed_as_it_arrives_and_the_buffer_released() {
    let wire = frame(OpCode::Binary, &[7; 300]);
    let mut core = Core::new((), Role::Server, Options::default(), BytesMut::new()).unwrap();
    for piece in wire.chunks(7) {
        core.input.extend_from_slice(piece);
        while core.feed() {}
    }
    assert_eq!(
        events(&mut core),
        [Event::Message(Message::binary(vec![7; 300]))]
    );
    assert!(core.input.is_empty());
    assert_eq!(
        core.input.capacity(),
        0,
        "an idle connection holds no buffer"
    );
}
