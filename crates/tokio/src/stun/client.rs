//! Client transactions over UDP (RFC 8489 §6.2.1, §6.3), driven by
//! [`rtw_stun::ClientTransaction`].

use std::net::SocketAddr;

use bytes::Bytes;
use rtw_stun::attributes::{ErrorCode, MappedAddress, XorMappedAddress};
use rtw_stun::{
    Class, ClientTransaction, Message, MessageBuilder, MessageType, Method, TransactionConfig,
    TransactionEvent, TransactionId, Transport,
};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::{Error, MAX_DATAGRAM, unspecified_for};

/// The response that ended a [`transaction`]: one STUN success or error
/// response with the request's transaction ID and method, whose
/// FINGERPRINT, if it has one, matched, and without unknown
/// comprehension-required attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    bytes: Bytes,
    code: Option<u16>,
}

impl Response {
    /// The message, to read its attributes or verify its integrity.
    pub fn message(&self) -> Message<'_> {
        Message::parse(&self.bytes).expect("a Response holds a message that parsed")
    }

    /// The message's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// `true` for a success response.
    pub fn is_success(&self) -> bool {
        self.code.is_none()
    }

    /// The ERROR-CODE of an error response (RFC 8489 §14.8), 300 to 699;
    /// `None` for a success response.
    pub fn error_code(&self) -> Option<u16> {
        self.code
    }

    /// The reason phrase of an error response's ERROR-CODE (RFC 8489
    /// §14.8); empty for a success response.
    pub fn reason(&self) -> &str {
        match self.message().get::<ErrorCode>() {
            Some(Ok(e)) => e.reason(),
            _ => "",
        }
    }

    /// An error response as [`Error::ErrorResponse`]; a success response
    /// as itself.
    pub fn into_result(self) -> Result<Response, Error> {
        match self.code {
            None => Ok(self),
            Some(code) => Err(Error::ErrorResponse {
                code,
                reason: self.reason().to_owned(),
            }),
        }
    }
}

/// A new transaction ID from a fresh [`OsRandom`](crate::OsRandom) (RFC
/// 8489 §5: "uniformly and randomly chosen", "cryptographically random").
/// To draw many, keep one `OsRandom` and call
/// [`TransactionId::random`] with it.
pub fn random_transaction_id() -> Result<TransactionId, Error> {
    Ok(TransactionId::random(&mut crate::OsRandom::new()?))
}

/// One Binding transaction with `server` from `socket`, with the default
/// [`TransactionConfig`]: the mapped address the server saw.
pub async fn binding(socket: &UdpSocket, server: SocketAddr) -> Result<SocketAddr, Error> {
    binding_with(socket, server, TransactionConfig::default()).await
}

/// [`binding_with`] on a new socket bound to the unspecified address of
/// `server`'s family; returns the mapped address and the socket's local
/// address.
pub async fn binding_to(
    server: SocketAddr,
    config: TransactionConfig,
) -> Result<(SocketAddr, SocketAddr), Error> {
    let socket = UdpSocket::bind(unspecified_for(server)).await?;
    let mapped = binding_with(&socket, server, config).await?;
    Ok((mapped, socket.local_addr()?))
}

/// One Binding transaction with `server` from `socket` (RFC 8489 §6.2.1):
/// the mapped address from the success response's XOR-MAPPED-ADDRESS, or
/// MAPPED-ADDRESS from a server that only knows RFC 3489. The request
/// carries FINGERPRINT.
///
/// Fails with [`Error::ErrorResponse`] on an error response,
/// [`Error::Timeout`] when none comes, [`Error::InvalidResponse`] when the
/// response has unknown comprehension-required attributes (§6.3.3) or a
/// malformed address, and [`Error::NoMappedAddress`] without one.
pub async fn binding_with(
    socket: &UdpSocket,
    server: SocketAddr,
    config: TransactionConfig,
) -> Result<SocketAddr, Error> {
    let tid = random_transaction_id()?;
    let mut request = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid);
    request.add_fingerprint().map_err(Error::InvalidRequest)?;
    let response = transaction(socket, server, request.finish(), config)
        .await?
        .into_result()?;
    let msg = response.message();
    if let Some(xor) = msg.get::<XorMappedAddress>() {
        return xor.map(|a| a.0).map_err(Error::InvalidResponse);
    }
    match msg.get::<MappedAddress>() {
        Some(plain) => plain.map(|a| a.0).map_err(Error::InvalidResponse),
        None => Err(Error::NoMappedAddress),
    }
}

/// Send `request` (one whole STUN request) to `server` and wait for its
/// response, retransmitting as `config` says (RFC 8489 §6.2.1), with a
/// [`ClientTransaction`] in tokio's time.
///
/// The response is the first datagram from `server` that
/// [`ClientTransaction::handle_response`] takes: a success or error
/// response with the request's transaction ID and method, and a right
/// FINGERPRINT if it has one. Anything else arriving on `socket` meanwhile
/// is dropped, so no other task should read the socket during the
/// transaction. Message integrity is the caller's to check.
///
/// Returns error responses as `Ok` (see [`Response::into_result`]), since
/// some ask for another request (401 with a NONCE, 438 Stale Nonce).
/// Fails with [`Error::Timeout`], with [`Error::InvalidResponse`] for a
/// response with unknown comprehension-required attributes or, if an
/// error response, without a valid ERROR-CODE (§6.3.3, §6.3.4), and with
/// [`Error::InvalidRequest`] if `request` is not a STUN request.
pub async fn transaction(
    socket: &UdpSocket,
    server: SocketAddr,
    request: impl Into<Bytes>,
    config: TransactionConfig,
) -> Result<Response, Error> {
    let started = Instant::now();
    let mut tx =
        ClientTransaction::new(started.into_std(), request, server, Transport::Udp, config)
            .map_err(Error::InvalidRequest)?;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        while let Some(t) = tx.poll_transmit() {
            socket.send_to(&t.contents, t.destination).await?;
        }
        if let Some(event) = tx.poll_event() {
            return match event {
                TransactionEvent::Success { response } => Ok(Response {
                    bytes: response,
                    code: None,
                }),
                TransactionEvent::ErrorResponse { code, response } => Ok(Response {
                    bytes: response,
                    code: Some(code),
                }),
                TransactionEvent::Timeout => Err(Error::Timeout {
                    requests: tx.sends(),
                    elapsed: started.elapsed(),
                }),
                TransactionEvent::Failed { error, .. } => Err(Error::InvalidResponse(error)),
                // TransactionEvent is non-exhaustive: an outcome this
                // version does not know ends the wait as an I/O error.
                other => Err(Error::Io(std::io::Error::other(format!(
                    "unexpected transaction outcome {other:?}"
                )))),
            };
        }
        let Some(deadline) = tx.poll_timeout() else {
            // Done without an event cannot happen; end rather than spin.
            return Err(Error::Timeout {
                requests: tx.sends(),
                elapsed: started.elapsed(),
            });
        };
        let deadline = Instant::from_std(deadline);
        match tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await {
            Err(_) => tx.handle_timeout(Instant::now().into_std().max(deadline.into_std())),
            Ok(Ok((n, from))) => {
                if from != server {
                    continue;
                }
                if let Ok(msg) = Message::parse(&buf[..n]) {
                    tx.handle_response(Instant::now().into_std(), &msg);
                }
            }
            // An ICMP error for an earlier request: keep waiting, a
            // retransmission may reach a server that comes up meanwhile.
            Ok(Err(e)) if is_transient(&e) => {}
            Ok(Err(e)) => return Err(e.into()),
        }
    }
}

/// Receive errors that concern one datagram, not the socket: an ICMP error
/// for an earlier send, reported by the next receive.
pub(super) fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::Interrupted
    )
}
