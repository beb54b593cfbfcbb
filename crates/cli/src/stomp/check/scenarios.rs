//! The scenarios of `rtw stomp check`, each written from the STOMP 1.2
//! section it names: `Ok` with what was seen, `Err` with why not.

use std::time::Duration;

use rtw_tokio::stomp::{AckMode, ClientEvent, Command, Frame, FrameOptions, HeartBeat, Version};

use super::session::{Checker, Step, bodies, describe};

/// Every check, in the order they run.
pub(super) const NAMES: [&str; 12] = [
    "connect",
    "receipt",
    "topic",
    "ack auto",
    "ack client",
    "ack client-individual",
    "nack",
    "commit",
    "abort",
    "heart-beat",
    "error",
    "disconnect",
];

/// Run the check `name` (one of [`NAMES`]).
pub(super) async fn run(checker: &Checker, name: &str) -> Step<String> {
    match name {
        "connect" => connect(checker).await,
        "receipt" => receipt(checker).await,
        "topic" => topic(checker).await,
        "ack auto" => ack_auto(checker).await,
        "ack client" => ack_client(checker).await,
        "ack client-individual" => ack_client_individual(checker).await,
        "nack" => nack(checker).await,
        "commit" => commit(checker).await,
        "abort" => abort(checker).await,
        "heart-beat" => heart_beat(checker).await,
        "error" => error(checker).await,
        "disconnect" => disconnect(checker).await,
        other => Err(format!("no check {other:?}")),
    }
}

/// "Protocol Negotiation": offered 1.0, 1.1 and 1.2, the broker picks 1.2.
async fn connect(checker: &Checker) -> Step<String> {
    let session = checker.open().await?;
    let (version, server) = (session.version, session.server.clone());
    session.close().await;
    if version != Version::V1_2 {
        return Err(format!("CONNECTED names version {version}, not 1.2"));
    }
    Ok(format!(
        "CONNECTED version 1.2, server {:?}",
        server.as_deref().unwrap_or("(not named)")
    ))
}

/// "Header receipt": the RECEIPT names the SEND's receipt id.
async fn receipt(checker: &Checker) -> Step<String> {
    let mut session = checker.open().await?;
    let destination = checker.destination("queue", "receipt");
    let options = FrameOptions::default().receipt(true);
    let id = session.call(|s| s.send(&destination, "receipt", options))?;
    let id = id.ok_or("no receipt id handed out")?;
    session.receipt(id).await?;
    // Consume the message so that nothing is left behind.
    session.call(|s| s.subscribe(&destination, AckMode::Auto))?;
    session.messages(&["receipt".to_owned()]).await?;
    session.close().await;
    Ok(format!("RECEIPT receipt-id:{id} for the SEND"))
}

/// "SUBSCRIBE", "MESSAGE": two subscribers of one topic get all of it.
async fn topic(checker: &Checker) -> Step<String> {
    let destination = checker.destination("topic", "topic");
    let mut subscribers = Vec::new();
    for _ in 0..2 {
        let mut session = checker.open().await?;
        let options = FrameOptions::default().receipt(true);
        let (_, id) = session.call(|s| s.subscribe_with(&destination, AckMode::Auto, options))?;
        session.receipt(id.ok_or("no receipt id")?).await?;
        subscribers.push(session);
    }
    let want = bodies("topic", 5);
    checker.publish(&destination, &want).await?;
    for (i, session) in subscribers.iter_mut().enumerate() {
        session
            .messages(&want)
            .await
            .map_err(|e| format!("subscriber {}: {e}", i + 1))?;
    }
    for session in subscribers {
        session.close().await;
    }
    Ok("2 subscribers each got the 5 messages in order".into())
}

/// "SUBSCRIBE ack Header" auto: delivered once, nothing left after.
async fn ack_auto(checker: &Checker) -> Step<String> {
    let destination = checker.destination("queue", "auto");
    let want = bodies("auto", 5);
    checker.publish(&destination, &want).await?;
    let mut session = checker.open().await?;
    session.call(|s| s.subscribe(&destination, AckMode::Auto))?;
    session.messages(&want).await?;
    session.close().await;
    nothing_left(checker, &destination).await?;
    Ok("5 messages in order; none left for the next consumer".into())
}

/// "ACK" in client mode: acknowledging the 2nd of 4 covers the 1st; the
/// 3rd and 4th come again to the next consumer.
async fn ack_client(checker: &Checker) -> Step<String> {
    let destination = checker.destination("queue", "client");
    let want = bodies("client", 4);
    checker.publish(&destination, &want).await?;
    let mut session = checker.open().await?;
    session.call(|s| s.subscribe(&destination, AckMode::Client))?;
    let got = session.messages(&want).await?;
    let options = FrameOptions::default().receipt(true);
    let id = session.call(|s| s.ack_with(&got[1], options))?;
    session.receipt(id.ok_or("no receipt id")?).await?;
    session.close().await;
    let mut next = checker.open().await?;
    next.call(|s| s.subscribe(&destination, AckMode::ClientIndividual))?;
    let again = next
        .messages(&want[2..])
        .await
        .map_err(|e| format!("the next consumer, expecting the 3rd and 4th again: {e}"))?;
    for message in &again {
        next.call(|s| s.ack(message))?;
    }
    next.silence(checker.quiet, "the 1st was acknowledged with the 2nd")
        .await?;
    next.close().await;
    nothing_left(checker, &destination).await?;
    Ok("ACK of the 2nd of 4 covered the 1st; the 3rd and 4th came again".into())
}

/// "ACK" in client-individual mode: acknowledging the 1st and 3rd leaves
/// the 2nd, which comes again.
async fn ack_client_individual(checker: &Checker) -> Step<String> {
    let destination = checker.destination("queue", "individual");
    let want = bodies("individual", 3);
    checker.publish(&destination, &want).await?;
    let mut session = checker.open().await?;
    session.call(|s| s.subscribe(&destination, AckMode::ClientIndividual))?;
    let got = session.messages(&want).await?;
    session.call(|s| s.ack(&got[0]))?;
    let options = FrameOptions::default().receipt(true);
    let id = session.call(|s| s.ack_with(&got[2], options))?;
    session.receipt(id.ok_or("no receipt id")?).await?;
    session.close().await;
    let mut next = checker.open().await?;
    next.call(|s| s.subscribe(&destination, AckMode::ClientIndividual))?;
    let again = next
        .messages(&want[1..2])
        .await
        .map_err(|e| format!("the next consumer, expecting the 2nd again: {e}"))?;
    next.call(|s| s.ack(&again[0]))?;
    next.silence(checker.quiet, "the 1st and 3rd were acknowledged")
        .await?;
    next.close().await;
    nothing_left(checker, &destination).await?;
    Ok("ACK of the 1st and 3rd of 3; only the 2nd came again".into())
}

/// "NACK": the refused message is delivered again (on this connection,
/// the queue's only consumer), then acknowledged.
async fn nack(checker: &Checker) -> Step<String> {
    let destination = checker.destination("queue", "nack");
    let want = bodies("nack", 1);
    checker.publish(&destination, &want).await?;
    let mut session = checker.open().await?;
    session.call(|s| s.subscribe(&destination, AckMode::ClientIndividual))?;
    let first = session.messages(&want).await?;
    session.call(|s| s.nack(&first[0]))?;
    let again = session
        .messages(&want)
        .await
        .map_err(|e| format!("after NACK, expecting it again: {e}"))?;
    let options = FrameOptions::default().receipt(true);
    let id = session.call(|s| s.ack_with(&again[0], options))?;
    session.receipt(id.ok_or("no receipt id")?).await?;
    session.close().await;
    nothing_left(checker, &destination).await?;
    Ok("NACKed message delivered again, then ACKed; none left".into())
}

/// "BEGIN", "COMMIT": SENDs in a transaction come only at COMMIT. (A
/// broker may hold a transactional frame's RECEIPT until COMMIT, as
/// RabbitMQ does; a second BEGIN with a receipt, after the SENDs, shows
/// they were read.)
async fn commit(checker: &Checker) -> Step<String> {
    let destination = checker.destination("queue", "commit");
    let want = bodies("commit", 2);
    let mut consumer = checker.open().await?;
    consumer.call(|s| s.subscribe(&destination, AckMode::Auto))?;
    let mut producer = checker.open().await?;
    let tx = producer.call(|s| s.begin())?;
    for body in &want {
        let options = FrameOptions::default().transaction(Some(tx));
        producer.call(|s| s.send(&destination, body.clone(), options))?;
    }
    let (marker, id) = producer.call(|s| s.begin_with(FrameOptions::default().receipt(true)))?;
    producer.receipt(id.ok_or("no receipt id")?).await?;
    consumer
        .silence(checker.quiet, "2 SENDs in a transaction not committed")
        .await?;
    let id = producer.call(|s| s.commit_with(tx, FrameOptions::default().receipt(true)))?;
    producer.receipt(id.ok_or("no receipt id")?).await?;
    consumer
        .messages(&want)
        .await
        .map_err(|e| format!("after COMMIT: {e}"))?;
    producer.call(|s| s.abort(marker))?;
    producer.close().await;
    consumer.close().await;
    Ok("nothing before COMMIT, both messages in order after it".into())
}

/// "ABORT": the aborted SEND never comes; the one after it does.
async fn abort(checker: &Checker) -> Step<String> {
    let destination = checker.destination("queue", "abort");
    let mut consumer = checker.open().await?;
    consumer.call(|s| s.subscribe(&destination, AckMode::Auto))?;
    let mut producer = checker.open().await?;
    let tx = producer.call(|s| s.begin())?;
    let options = FrameOptions::default().transaction(Some(tx));
    producer.call(|s| s.send(&destination, "abort aborted", options))?;
    let id = producer.call(|s| s.abort_with(tx, FrameOptions::default().receipt(true)))?;
    producer.receipt(id.ok_or("no receipt id")?).await?;
    let after = vec!["abort after".to_owned()];
    let options = FrameOptions::default().receipt(true);
    let id = producer.call(|s| s.send(&destination, after[0].clone(), options))?;
    producer.receipt(id.ok_or("no receipt id")?).await?;
    consumer
        .messages(&after)
        .await
        .map_err(|e| format!("expecting only the SEND after ABORT: {e}"))?;
    consumer
        .silence(checker.quiet, "the transaction was aborted")
        .await?;
    producer.close().await;
    consumer.close().await;
    Ok("the aborted SEND never came; the next one did".into())
}

/// The longest heart-beat interval this check waits through.
const MAX_HEART_BEAT: Duration = Duration::from_secs(10);

/// "Heart-beating": both sides ask for heart-beats; the session stays
/// idle for 2.5 times the longer negotiated interval, which the client
/// (twice the interval without a byte is a dead broker) and the broker
/// (the same rule for us) both notice if heart-beats do not flow; then
/// a SEND still gets its RECEIPT.
async fn heart_beat(checker: &Checker) -> Step<String> {
    let asked = HeartBeat {
        can_send: checker.heart_beat,
        want_receive: checker.heart_beat,
    };
    let mut session = checker.open_with(asked).await?;
    let heart_beat = session.heart_beat;
    let (Some(send), Some(receive)) = (heart_beat.send, heart_beat.receive) else {
        return Err(format!(
            "asked for heart-beats both ways every {} ms; negotiated: ours {:?}, the broker's {:?}",
            checker.heart_beat.as_millis(),
            heart_beat.send,
            heart_beat.receive
        ));
    };
    let longest = send.max(receive);
    if longest > MAX_HEART_BEAT {
        return Err(format!(
            "negotiated intervals {} ms / {} ms: longer than this check waits",
            send.as_millis(),
            receive.as_millis()
        ));
    }
    let idle = longest * 5 / 2;
    session
        .silence(idle, "the session was idle")
        .await
        .map_err(|e| format!("{e} (after heart-beats of {} ms)", longest.as_millis()))?;
    let destination = checker.destination("queue", "heart-beat");
    let options = FrameOptions::default().receipt(true);
    let id = session.call(|s| s.send(&destination, "heart-beat", options))?;
    session.receipt(id.ok_or("no receipt id")?).await?;
    session.call(|s| s.subscribe(&destination, AckMode::Auto))?;
    session.messages(&["heart-beat".to_owned()]).await?;
    session.close().await;
    Ok(format!(
        "heart-beats every {} ms out, {} ms in; alive after {} ms idle",
        send.as_millis(),
        receive.as_millis(),
        idle.as_millis()
    ))
}

/// "ERROR": SEND requires `destination`; the broker answers the frame
/// without one with an ERROR (naming the receipt asked for, where it
/// does) and closes the connection.
async fn error(checker: &Checker) -> Step<String> {
    let mut session = checker.open().await?;
    let bad = Frame::new(Command::Send)
        .with_header("receipt", "rtw-check-bad-frame")
        .with_body("no destination");
    session.call(|s| s.send_frame(bad))?;
    let frame = loop {
        match session.event().await? {
            ClientEvent::Error(frame) => break frame,
            ClientEvent::Receipt(_) => {}
            other => return Err(format!("expected ERROR: {}", describe(&other))),
        }
    };
    match session.event().await? {
        ClientEvent::Disconnected => {}
        other => {
            return Err(format!(
                "after ERROR, expected the end: {}",
                describe(&other)
            ));
        }
    }
    let message = frame.header("message").unwrap_or("");
    if message.is_empty() {
        return Err("the ERROR frame has no message header".into());
    }
    let receipt = match frame.header("receipt-id") {
        Some("rtw-check-bad-frame") => "with receipt-id",
        Some(_) => return Err("the ERROR's receipt-id names another frame".into()),
        None => "without receipt-id",
    };
    Ok(format!("ERROR {receipt}, message {message:?}, then closed"))
}

/// "DISCONNECT": its RECEIPT comes, then the broker closes.
async fn disconnect(checker: &Checker) -> Step<String> {
    let mut session = checker.open().await?;
    session.disconnect().await?;
    Ok("RECEIPT for DISCONNECT, then closed".into())
}

/// A consumer of `destination` gets nothing within the quiet time.
async fn nothing_left(checker: &Checker, destination: &str) -> Step<()> {
    let mut session = checker.open().await?;
    session.call(|s| s.subscribe(destination, AckMode::Auto))?;
    session
        .silence(checker.quiet, "every message was acknowledged")
        .await
        .map_err(|e| format!("a later consumer: {e}"))?;
    session.close().await;
    Ok(())
}
