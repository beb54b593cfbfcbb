//! Client transactions in virtual time (RFC 8489 §6.2.1, §6.2.2, §6.3.3,
//! §6.3.4): the exact retransmission instants, matching by transaction ID,
//! error responses, and a client against a Binding server over a lossy
//! in-memory network.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtw_stun::attributes::{ErrorCode, Software, XorMappedAddress};
use rtw_stun::{
    AttributeType, BindingServer, BindingServerConfig, Class, ClientTransaction, Error, Message,
    MessageBuilder, MessageType, Method, TransactionConfig, TransactionEvent, TransactionId,
    Transactions, Transport,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn server() -> SocketAddr {
    "192.0.2.1:3478".parse().unwrap()
}

/// A Binding transaction over UDP to [`server`] with the default
/// timers (RFC 8489 §6.2.1), started at `t0`.
fn udp_transaction(t0: Instant, id: TransactionId) -> ClientTransaction {
    ClientTransaction::new(
        t0,
        request(id),
        server(),
        Transport::Udp,
        TransactionConfig::default(),
    )
    .unwrap()
}

fn tid(n: u8) -> TransactionId {
    TransactionId([n; 12])
}

fn request(id: TransactionId) -> BytesMut {
    MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), id).finish()
}

fn response(id: TransactionId, class: Class) -> BytesMut {
    MessageBuilder::new(MessageType::new(Method::BINDING, class), id).finish()
}

fn error_response(id: TransactionId, code: u16, reason: &str) -> BytesMut {
    let mut b = MessageBuilder::new(MessageType::new(Method::BINDING, Class::ErrorResponse), id);
    b.add(&ErrorCode::new(code, reason).unwrap()).unwrap();
    b.finish()
}

/// Run `tx` with nobody answering: the instants (ms after `t0`) at which
/// requests go out, and when and how it ended.
fn run_unanswered(
    tx: &mut ClientTransaction,
    t0: Instant,
) -> (Vec<u128>, u128, Option<TransactionEvent>) {
    let mut sent = Vec::new();
    let mut now = t0;
    loop {
        while let Some(t) = tx.poll_transmit() {
            assert_eq!(
                &t.contents,
                tx.request(),
                "retransmissions are the same bytes"
            );
            assert_eq!(t.destination, server());
            sent.push((now - t0).as_millis());
        }
        assert_eq!(tx.poll_event(), None, "no event before the end");
        let Some(next) = tx.poll_timeout() else { break };
        assert!(next > now, "time moves forward");
        // Just before the deadline nothing happens.
        tx.handle_timeout(next - Duration::from_nanos(1));
        assert_eq!(tx.poll_transmit(), None);
        assert_eq!(tx.poll_timeout(), Some(next));
        now = next;
        tx.handle_timeout(now);
        if tx.is_done() {
            break;
        }
    }
    assert_eq!(tx.poll_transmit(), None);
    assert_eq!(tx.poll_timeout(), None);
    (sent, (now - t0).as_millis(), tx.poll_event())
}

#[test]
fn udp_retransmits_at_the_rfc_8489_instants_and_times_out_at_39500_ms() {
    for transport in [Transport::Udp, Transport::Dtls] {
        let t0 = Instant::now();
        let mut tx = ClientTransaction::new(
            t0,
            request(tid(1)),
            server(),
            transport,
            TransactionConfig::default(),
        )
        .unwrap();
        let (sent, end, event) = run_unanswered(&mut tx, t0);
        assert_eq!(sent, [0, 500, 1500, 3500, 7500, 15500, 31500]);
        assert_eq!(end, 39_500);
        assert_eq!(event, Some(TransactionEvent::Timeout));
        assert_eq!(tx.sends(), 7);
        assert_eq!(tx.rtt(), None);
    }
}

#[test]
fn rto_rc_and_rm_are_configurable() {
    let t0 = Instant::now();
    let config = TransactionConfig::default().rto(ms(100)).rc(3).rm(4);
    let mut tx =
        ClientTransaction::new(t0, request(tid(1)), server(), Transport::Udp, config).unwrap();
    let (sent, end, event) = run_unanswered(&mut tx, t0);
    assert_eq!(sent, [0, 100, 300]);
    assert_eq!(end, 300 + 400);
    assert_eq!(event, Some(TransactionEvent::Timeout));

    // Rc = 0 still sends the request once.
    let config = config.rc(0);
    let mut tx =
        ClientTransaction::new(t0, request(tid(1)), server(), Transport::Udp, config).unwrap();
    let (sent, end, _) = run_unanswered(&mut tx, t0);
    assert_eq!((sent, end), (vec![0], 400));
}

#[test]
fn tcp_and_tls_send_once_and_time_out_after_ti() {
    for transport in [Transport::Tcp, Transport::Tls] {
        let t0 = Instant::now();
        let mut tx = ClientTransaction::new(
            t0,
            request(tid(2)),
            server(),
            transport,
            TransactionConfig::default(),
        )
        .unwrap();
        let (sent, end, event) = run_unanswered(&mut tx, t0);
        assert_eq!(sent, [0]);
        assert_eq!(end, 39_500);
        assert_eq!(event, Some(TransactionEvent::Timeout));
    }
    let t0 = Instant::now();
    let config = TransactionConfig::default().ti(ms(5000));
    let mut tx =
        ClientTransaction::new(t0, request(tid(2)), server(), Transport::Tcp, config).unwrap();
    assert_eq!(run_unanswered(&mut tx, t0).1, 5000);
}

#[test]
fn a_late_timer_counts_the_next_interval_from_the_actual_send() {
    let t0 = Instant::now();
    let mut tx = udp_transaction(t0, tid(1));
    let _ = tx.poll_transmit();
    // The caller wakes up 200 ms late: one retransmission, not a burst.
    tx.handle_timeout(t0 + ms(700));
    assert!(tx.poll_transmit().is_some());
    assert_eq!(tx.poll_transmit(), None);
    assert_eq!(tx.poll_timeout(), Some(t0 + ms(1700)));
    assert_eq!(tx.sends(), 2);
}

#[test]
fn only_a_response_with_the_transaction_id_and_method_matches() {
    let t0 = Instant::now();
    let mut tx = udp_transaction(t0, tid(5));
    let _ = tx.poll_transmit();

    let wrong_tid = response(tid(6), Class::SuccessResponse);
    let a_request = request(tid(5));
    let an_indication = response(tid(5), Class::Indication);
    let wrong_method = MessageBuilder::new(
        MessageType::new(Method::ALLOCATE, Class::SuccessResponse),
        tid(5),
    )
    .finish();
    let mut bad_fingerprint = {
        let mut b = MessageBuilder::new(
            MessageType::new(Method::BINDING, Class::SuccessResponse),
            tid(5),
        );
        b.add_fingerprint().unwrap();
        b.finish()
    };
    let last = bad_fingerprint.len() - 1;
    bad_fingerprint[last] ^= 1;
    for other in [
        &wrong_tid,
        &a_request,
        &an_indication,
        &wrong_method,
        &bad_fingerprint,
    ] {
        let msg = Message::parse(other).unwrap();
        assert!(!tx.handle_response(t0 + ms(10), &msg));
        assert_eq!(tx.poll_event(), None);
        assert!(!tx.is_done());
    }
    // Retransmission goes on as if nothing had arrived.
    tx.handle_timeout(t0 + ms(500));
    assert!(tx.poll_transmit().is_some());

    let mut right = MessageBuilder::new(
        MessageType::new(Method::BINDING, Class::SuccessResponse),
        tid(5),
    );
    right.add_fingerprint().unwrap();
    let right = right.finish();
    let msg = Message::parse(&right).unwrap();
    assert!(tx.handle_response(t0 + ms(600), &msg));
    assert_eq!(
        tx.poll_event(),
        Some(TransactionEvent::Success {
            response: Bytes::copy_from_slice(&right)
        })
    );
    assert_eq!(tx.poll_event(), None, "the event comes once");
    assert_eq!(tx.poll_timeout(), None);
    assert_eq!(tx.rtt(), None, "Karn: no RTT from a retransmitted request");
    // Nothing more after the end: a duplicate response, the old timers.
    assert!(!tx.handle_response(t0 + ms(700), &msg));
    tx.handle_timeout(t0 + ms(40_000));
    assert_eq!(tx.poll_transmit(), None);
    assert_eq!(tx.poll_event(), None);
}

#[test]
fn the_rtt_of_a_request_sent_once() {
    let t0 = Instant::now();
    let mut tx = udp_transaction(t0, tid(5));
    let _ = tx.poll_transmit();
    let r = response(tid(5), Class::SuccessResponse);
    assert!(tx.handle_response(t0 + ms(123), &Message::parse(&r).unwrap()));
    assert_eq!(tx.rtt(), Some(ms(123)));
}

#[test]
fn error_responses_surface_their_code() {
    for (code, reason) in [(400, "Bad Request"), (438, "Stale Nonce"), (599, "")] {
        let t0 = Instant::now();
        let mut tx = ClientTransaction::new(
            t0,
            request(tid(7)),
            server(),
            Transport::Tcp,
            TransactionConfig::default(),
        )
        .unwrap();
        let r = error_response(tid(7), code, reason);
        assert!(tx.handle_response(t0 + ms(30), &Message::parse(&r).unwrap()));
        match tx.poll_event() {
            Some(TransactionEvent::ErrorResponse {
                code: got,
                response,
            }) => {
                assert_eq!(got, code);
                let msg = Message::parse(&response).unwrap();
                let ec = msg.get::<ErrorCode>().unwrap().unwrap();
                assert_eq!(ec.reason(), reason);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn responses_that_break_the_rules_fail_the_transaction() {
    // RFC 8489 §6.3.4: an error response without ERROR-CODE.
    let t0 = Instant::now();
    let new = || udp_transaction(t0, tid(8));
    let mut tx = new();
    let r = response(tid(8), Class::ErrorResponse);
    assert!(tx.handle_response(t0, &Message::parse(&r).unwrap()));
    assert!(matches!(
        tx.poll_event(),
        Some(TransactionEvent::Failed {
            error: Error::InvalidAttribute {
                typ: AttributeType::ERROR_CODE,
                ..
            },
            ..
        })
    ));

    // An ERROR-CODE with class 2.
    let mut tx = new();
    let mut b = MessageBuilder::new(
        MessageType::new(Method::BINDING, Class::ErrorResponse),
        tid(8),
    );
    b.add_raw(AttributeType::ERROR_CODE, &[0, 0, 2, 0]).unwrap();
    let r = b.finish();
    assert!(tx.handle_response(t0, &Message::parse(&r).unwrap()));
    assert!(matches!(
        tx.poll_event(),
        Some(TransactionEvent::Failed { .. })
    ));

    // RFC 8489 §6.3.3: a success response with an unknown
    // comprehension-required attribute.
    let mut tx = new();
    let mut b = MessageBuilder::new(
        MessageType::new(Method::BINDING, Class::SuccessResponse),
        tid(8),
    );
    b.add_raw(AttributeType(0x7F01), b"?").unwrap();
    let r = b.finish();
    assert!(tx.handle_response(t0, &Message::parse(&r).unwrap()));
    assert_eq!(
        tx.poll_event(),
        Some(TransactionEvent::Failed {
            error: Error::UnknownAttributes(vec![AttributeType(0x7F01)]),
            response: Bytes::copy_from_slice(&r),
        })
    );
    assert_eq!(tx.poll_timeout(), None);

    // An unknown comprehension-optional attribute is fine.
    let mut tx = new();
    let mut b = MessageBuilder::new(
        MessageType::new(Method::BINDING, Class::SuccessResponse),
        tid(8),
    );
    b.add_raw(AttributeType(0xFF01), b"?").unwrap();
    let r = b.finish();
    assert!(tx.handle_response(t0, &Message::parse(&r).unwrap()));
    assert!(matches!(
        tx.poll_event(),
        Some(TransactionEvent::Success { .. })
    ));
}

#[test]
fn only_requests_start_transactions() {
    let t0 = Instant::now();
    let config = TransactionConfig::default();
    assert_eq!(
        ClientTransaction::new(
            t0,
            response(tid(1), Class::Indication),
            server(),
            Transport::Udp,
            config
        )
        .unwrap_err(),
        Error::NotARequest(Class::Indication)
    );
    assert!(
        ClientTransaction::new(t0, &b"not stun"[..], server(), Transport::Udp, config).is_err()
    );
    let tx = ClientTransaction::new(t0, request(tid(9)), server(), Transport::Udp, config).unwrap();
    assert_eq!(
        (tx.transaction_id(), tx.method(), tx.transport()),
        (tid(9), Method::BINDING, Transport::Udp)
    );
}

#[test]
fn many_transactions_are_kept_apart() {
    let t0 = Instant::now();
    let a: SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let b: SocketAddr = "[2001:db8::1]:3478".parse().unwrap();
    let mut txs: Transactions = Transactions::with_config(TransactionConfig::default());
    assert_eq!(txs.poll_timeout(), None);
    txs.start(t0, request(tid(1)), a, Transport::Udp).unwrap();
    txs.start(t0 + ms(100), request(tid(2)), b, Transport::Tcp)
        .unwrap();
    assert_eq!(
        txs.start(t0, request(tid(1)), b, Transport::Udp),
        Err(Error::DuplicateTransaction(tid(1)))
    );
    assert_eq!(txs.len(), 2);

    let first = txs.poll_transmit().unwrap();
    let id = |t: &rtw_stun::Transmit| TransactionId::of_message(&t.contents).unwrap();
    assert_eq!(
        (first.destination, id(&first), first.source),
        (a, tid(1), None)
    );
    let second = txs.poll_transmit().unwrap();
    assert_eq!((second.destination, id(&second)), (b, tid(2)));
    assert_eq!(txs.poll_transmit(), None);
    assert_eq!(txs.poll_timeout(), Some(t0 + ms(500)));

    // A response nobody waits for.
    let stray = response(tid(3), Class::SuccessResponse);
    assert!(!txs.handle_response(t0 + ms(50), &Message::parse(&stray).unwrap()));

    // The UDP one retransmits; the TCP one does not.
    txs.handle_timeout(t0 + ms(500));
    let again = txs.poll_transmit().unwrap();
    assert_eq!(id(&again), tid(1));
    assert_eq!(txs.poll_transmit(), None);
    assert_eq!(txs.poll_timeout(), Some(t0 + ms(1500)));

    // tid 2 gets an error response.
    let r = error_response(tid(2), 420, "Unknown Attribute");
    assert!(txs.handle_response(t0 + ms(600), &Message::parse(&r).unwrap()));
    let done = txs.poll_event().unwrap();
    assert_eq!((done.transaction_id, done.destination), (tid(2), b));
    assert!(matches!(
        done.event,
        TransactionEvent::ErrorResponse { code: 420, .. }
    ));
    assert_eq!(done.rtt, Some(ms(500)));
    assert!(!txs.contains(tid(2)));

    // tid 1 is cancelled: no event, no more timers.
    assert!(txs.cancel(tid(1)));
    assert!(!txs.cancel(tid(1)));
    assert!(txs.is_empty());
    assert_eq!(txs.poll_timeout(), None);
    txs.handle_timeout(t0 + ms(60_000));
    assert_eq!(txs.poll_event(), None);
    assert_eq!(txs.poll_transmit(), None);
}

#[test]
fn a_response_drops_a_retransmission_still_queued() {
    let t0 = Instant::now();
    let mut txs = Transactions::with_config(TransactionConfig::default());
    txs.start(t0, request(tid(1)), server(), Transport::Udp)
        .unwrap();
    let _ = txs.poll_transmit();
    txs.handle_timeout(t0 + ms(500));
    // The response arrives before the caller drained the retransmission.
    let r = response(tid(1), Class::SuccessResponse);
    assert!(txs.handle_response(t0 + ms(501), &Message::parse(&r).unwrap()));
    assert_eq!(txs.poll_transmit(), None);
    let done = txs.poll_event().unwrap();
    assert_eq!(done.destination, server());
    assert_eq!(done.rtt, None);
}

/// A client and a Binding server over an in-memory network that delivers
/// after `delay` and drops the datagrams `drop` says to.
struct Pair {
    now: Instant,
    delay: Duration,
    client: Transactions,
    client_addr: SocketAddr,
    server: BindingServer,
    server_addr: SocketAddr,
    /// (arrival, to server?, bytes).
    in_flight: Vec<(Instant, bool, Vec<u8>)>,
    sent_to_server: usize,
    drop: fn(usize) -> bool,
    log: Vec<(u128, &'static str)>,
    t0: Instant,
}

impl Pair {
    fn new(drop: fn(usize) -> bool, delay: Duration) -> Self {
        let t0 = Instant::now();
        Pair {
            now: t0,
            delay,
            client: Transactions::with_config(TransactionConfig::default()),
            client_addr: "203.0.113.9:50000".parse().unwrap(),
            server: BindingServer::with_config(BindingServerConfig::default().software("rtw test"))
                .unwrap(),
            server_addr: "192.0.2.1:3478".parse().unwrap(),
            in_flight: Vec::new(),
            sent_to_server: 0,
            drop,
            log: Vec::new(),
            t0,
        }
    }

    /// Move everything due now; `false` when nothing is left to happen.
    fn step(&mut self) -> bool {
        while let Some(t) = self.client.poll_transmit() {
            assert_eq!(t.destination, self.server_addr);
            let n = self.sent_to_server;
            self.sent_to_server += 1;
            let dropped = (self.drop)(n);
            self.log.push((
                (self.now - self.t0).as_millis(),
                if dropped { "request lost" } else { "request" },
            ));
            if !dropped {
                self.in_flight
                    .push((self.now + self.delay, true, t.contents.to_vec()));
            }
        }
        let next_packet = self.in_flight.iter().map(|p| p.0).min();
        let next = match (next_packet, self.client.poll_timeout()) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => return false,
            },
        };
        self.now = next;
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|p| p.0 <= next);
        self.in_flight = later;
        for (_, to_server, bytes) in due {
            if to_server {
                if let Some(resp) = self.server.handle(&bytes, self.client_addr) {
                    self.in_flight
                        .push((self.now + self.delay, false, resp.to_vec()));
                }
            } else {
                let msg = Message::parse(&bytes).unwrap();
                assert!(self.client.handle_response(self.now, &msg));
                self.log
                    .push(((self.now - self.t0).as_millis(), "response"));
            }
        }
        self.client.handle_timeout(self.now);
        true
    }
}

#[test]
fn a_client_learns_its_address_through_a_lossy_network() {
    // The first two requests are lost: the third, sent at 1500 ms, is
    // answered 20 ms later each way.
    let mut pair = Pair::new(|n| n < 2, ms(20));
    let t0 = pair.t0;
    pair.client
        .start(t0, request(tid(0x33)), pair.server_addr, Transport::Udp)
        .unwrap();
    while pair.step() {}
    assert_eq!(
        pair.log,
        [
            (0, "request lost"),
            (500, "request lost"),
            (1500, "request"),
            (1540, "response"),
        ]
    );
    let done = pair.client.poll_event().unwrap();
    let TransactionEvent::Success { response } = done.event else {
        panic!("{:?}", done.event)
    };
    let msg = Message::parse(&response).unwrap();
    assert_eq!(msg.transaction_id(), tid(0x33));
    assert!(msg.verify_fingerprint().unwrap());
    assert_eq!(
        msg.get::<XorMappedAddress>().unwrap().unwrap().0,
        pair.client_addr
    );
    assert_eq!(msg.get::<Software>().unwrap().unwrap().as_str(), "rtw test");
    assert_eq!(done.rtt, None, "retransmitted, so no RTT sample");
    assert!(pair.client.is_empty());
}

#[test]
fn a_slow_server_answers_every_retransmission_and_the_first_answer_wins() {
    // 600 ms each way: the first response arrives at 1200 ms, after the
    // retransmission at 500 ms; the later response finds no transaction.
    let mut pair = Pair::new(|_| false, ms(600));
    let t0 = pair.t0;
    pair.client
        .start(t0, request(tid(0x44)), pair.server_addr, Transport::Udp)
        .unwrap();
    // Step until the transaction ends, then let the late answer come in.
    while pair.client.poll_event().is_none() {
        assert!(pair.step());
    }
    assert_eq!(
        pair.log,
        [(0, "request"), (500, "request"), (1200, "response")]
    );
    let late = pair.in_flight.pop().unwrap();
    let msg = Message::parse(&late.2).unwrap();
    assert!(!pair.client.handle_response(late.0, &msg));
}

#[test]
fn nobody_answers_and_all_is_lost() {
    let mut pair = Pair::new(|_| true, ms(20));
    let t0 = pair.t0;
    pair.client
        .start(t0, request(tid(0x55)), pair.server_addr, Transport::Udp)
        .unwrap();
    while pair.step() {}
    let times: Vec<u128> = pair.log.iter().map(|l| l.0).collect();
    assert_eq!(times, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!((pair.now - t0).as_millis(), 39_500);
    assert_eq!(
        pair.client.poll_event().unwrap().event,
        TransactionEvent::Timeout
    );
}
