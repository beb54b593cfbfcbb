//! An SSE endpoint on loopback and an `EventSource` reading it, over
//! `std::net` with a real clock: the server writes events with
//! [`Message`], the client is driven by the sans-IO [`EventSource`]
//! ("9.2.3 Processing model"), reconnects once with `Last-Event-ID`, and
//! stops when the server answers 204 No Content.
//!
//! `cargo run -p rtw-sse --example stream` (exits in well under a second).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtw_sse::{
    Action, ConnectRequest, EventId, EventName, EventSource, Message, ReadyState, SourceEvent,
    write_comment,
};

/// Every socket operation gives up after this, so the example is bounded.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let (done, server) = mpsc::channel();
    thread::spawn(move || done.send(serve(listener)));

    let mut source = EventSource::default();
    let mut received = Vec::new();
    loop {
        while let Some(event) = source.poll_event() {
            println!("client: {event:?}");
            if let SourceEvent::Message(message) = event {
                received.push(message.into_data());
            }
        }
        if source.ready_state() == ReadyState::Closed {
            break;
        }
        if let Some(Action::Connect(request)) = source.poll_action() {
            fetch(&mut source, &request, addr)?;
            continue;
        }
        // Nothing to do until the reconnection wait ends.
        match source.poll_timeout() {
            Some(deadline) => {
                thread::sleep(deadline.saturating_duration_since(Instant::now()));
                source.handle_timeout(Instant::now());
            }
            None => unreachable!("an EventSource that is not closed always has a next step"),
        }
    }
    // The server has answered its three requests by now; never wait long.
    server
        .recv_timeout(IO_TIMEOUT)
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the server did not finish"))??;
    assert_eq!(received, ["first", "second\nline", "after reconnecting"]);
    println!("client: done, last event id {:?}", source.last_event_id());
    Ok(())
}

/// One connection attempt: send the GET, report the head, the body and
/// the end of the connection to the EventSource.
fn fetch(
    source: &mut EventSource,
    request: &ConnectRequest,
    addr: std::net::SocketAddr,
) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut head = String::from("GET /events HTTP/1.1\r\nHost: localhost\r\n");
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;

    let mut reader = BufReader::new(stream);
    let (status, content_type) = read_head(&mut reader)?;
    if source
        .handle_response(Instant::now(), status, content_type.as_deref())
        .is_err()
    {
        return Ok(()); // refused: the EventSource failed the connection
    }
    let mut buf = BytesMut::new();
    let mut chunk = [0; 1024];
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if source.handle_data(Instant::now(), &mut buf).is_err() {
            return Ok(()); // a limit was passed: the connection failed
        }
    }
    source.handle_disconnect(Instant::now());
    Ok(())
}

/// The status code and `Content-Type` of a response head.
fn read_head(reader: &mut impl BufRead) -> io::Result<(u16, Option<String>)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, line.clone()))?;
    let mut content_type = None;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let field = line.trim_end();
        if field.is_empty() {
            return Ok((status, content_type));
        }
        if let Some((name, value)) = field.split_once(':') {
            if name.eq_ignore_ascii_case("content-type") {
                content_type = Some(value.trim().to_owned());
            }
        }
    }
}

/// Three connections: a stream that ends, the resumed stream, then 204.
fn serve(listener: TcpListener) -> io::Result<()> {
    for attempt in 0..3 {
        let (mut stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        let last_event_id = read_request(&mut stream)?;
        println!("server: request {attempt}, Last-Event-ID {last_event_id:?}");
        if attempt == 2 {
            stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")?;
            continue;
        }
        stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
              Cache-Control: no-cache\r\nConnection: close\r\n\r\n",
        )?;
        let mut body = BytesMut::new();
        if attempt == 0 {
            write_comment("keep-alive", &mut body);
            // Reconnect after 20 ms instead of the default 3 s.
            Message::new("first").retry(20).write_to(&mut body);
            Message::new("second\nline")
                .with_event(EventName::from_static("message"))
                .with_id(EventId::from_static("2"))
                .write_to(&mut body);
        } else {
            assert_eq!(last_event_id.as_deref(), Some("2"));
            Message::new("after reconnecting")
                .with_id(EventId::from_static("3"))
                .write_to(&mut body);
        }
        stream.write_all(&body)?;
        // Closing the connection ends the body: the client reconnects.
    }
    Ok(())
}

/// Read a request head; return its `Last-Event-ID`.
fn read_request(stream: &mut TcpStream) -> io::Result<Option<String>> {
    let mut reader = BufReader::new(stream);
    let mut last_event_id = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let field = line.trim_end();
        if field.is_empty() {
            return Ok(last_event_id);
        }
        if let Some((name, value)) = field.split_once(':') {
            if name.eq_ignore_ascii_case("last-event-id") {
                last_event_id = Some(value.trim().to_owned());
            }
        }
    }
}
