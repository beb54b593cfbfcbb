//! `rtw stun allocate SERVER --user U --password P`: a TURN allocation
//! (RFC 8656 §7) with long-term credentials (RFC 8489 §9.2), each step over
//! [`rtw_tokio::stun::transaction`].
//!
//! 1. Allocate with REQUESTED-TRANSPORT (UDP) and no credentials: the server
//!    answers 401 with REALM and NONCE (RFC 8489 §9.2.3).
//! 2. Allocate again with USERNAME, REALM, NONCE, MESSAGE-INTEGRITY (the
//!    MD5 long-term key) and FINGERPRINT (§9.2.4); a 438 Stale Nonce is
//!    retried once with the new NONCE (§9.2.5). The success response's
//!    MESSAGE-INTEGRITY is checked, and its XOR-RELAYED-ADDRESS,
//!    XOR-MAPPED-ADDRESS and LIFETIME printed.
//! 3. Unless `--keep`, a Refresh with LIFETIME 0 deletes the allocation
//!    (RFC 8656 §8), with the same credentials.
//!
//! The key is always MD5's (RFC 8489 §18.5.1.1), the only one RFC 8656
//! servers such as coturn use; a server announcing PASSWORD-ALGORITHMS in
//! its nonce (RFC 8489 §9.2.4) is not negotiated with yet. That, and
//! keeping an allocation alive, belong to the TURN client state machine.
//!
//! One line per step on stdout:
//!
//! ```text
//! Allocate: 401 "Unauthorized", REALM "rtw.test", NONCE "..."
//! Allocate: success, MESSAGE-INTEGRITY ok
//! XOR-RELAYED-ADDRESS 127.0.0.1:49152
//! XOR-MAPPED-ADDRESS 127.0.0.1:40000
//! LIFETIME 600
//! Refresh LIFETIME 0: success, allocation released
//! ```

use std::net::SocketAddr;

use bytes::BytesMut;
use rtw_stun::attributes::{
    ErrorCode, Lifetime, Nonce, Realm, RequestedTransport, Username, XorMappedAddress,
    XorRelayedAddress,
};
use rtw_stun::key::{PasswordAlgorithm, long_term_key, opaque_string};
use rtw_stun::{Attribute, Class, MessageBuilder, MessageType, Method};
use rtw_tokio::stun::{Response, TransactionConfig, random_transaction_id, transaction};
use tokio::net::UdpSocket;

use super::describe::hex;
use super::{Failure, client_socket, resolve};

/// What `rtw stun allocate` was asked.
#[derive(Debug)]
pub(super) struct Options<'a> {
    pub(super) server: &'a str,
    pub(super) user: &'a str,
    pub(super) password: &'a str,
    pub(super) realm: Option<&'a str>,
    pub(super) local: Option<SocketAddr>,
    pub(super) keep: bool,
    pub(super) config: TransactionConfig,
    pub(super) verbose: bool,
}

/// The long-term credentials in use: what the server announced and the
/// key made from them.
struct Session {
    socket: UdpSocket,
    server: SocketAddr,
    config: TransactionConfig,
    verbose: bool,
    /// The username after OpaqueString (RFC 8489 §9.2.2).
    user: String,
    realm: String,
    nonce: String,
    key: Vec<u8>,
}

/// The attribute `A` of `response`, which it must have.
fn required<'a, A: Attribute<'a>>(response: &'a Response, why: &str) -> Result<A, Failure> {
    match response.message().get::<A>() {
        Some(Ok(a)) => Ok(a),
        Some(Err(e)) => Err(e.into()),
        None => Err(format!("the response has no {} ({why})", A::TYPE).into()),
    }
}

/// The ERROR-CODE of `response` as `CODE "reason"`.
fn code_text(response: &Response) -> String {
    match response.message().get::<ErrorCode>() {
        Some(Ok(e)) => format!("{} {:?}", e.code(), e.reason()),
        _ => format!("{}", response.error_code().unwrap_or(0)),
    }
}

/// Run `rtw stun allocate`.
pub(super) async fn run(options: Options<'_>) -> Result<(), Failure> {
    let server = resolve(options.server).await?;
    let socket = client_socket(server, options.local).await?;

    // 1. No credentials: expect 401 with REALM and NONCE (RFC 8489 §9.2.3).
    let first = request(Method::ALLOCATE, None, |b| {
        b.add(&RequestedTransport::UDP)?;
        Ok(())
    })?;
    let response = exchange(&socket, server, options.config, options.verbose, first).await?;
    if response.is_success() {
        return Err("the server allocated without asking for credentials".into());
    }
    if response.error_code() != Some(401) {
        return Err(format!("Allocate: expected 401, got {}", code_text(&response)).into());
    }
    let realm = required::<Realm>(&response, "RFC 8489 §9.2.3")?
        .as_str()
        .to_owned();
    let nonce = required::<Nonce>(&response, "RFC 8489 §9.2.3")?
        .as_str()
        .to_owned();
    println!(
        "Allocate: {}, REALM {realm:?}, NONCE {nonce:?}",
        code_text(&response)
    );
    if let Some(expected) = options.realm
        && expected != realm
    {
        return Err(format!("the server's realm is {realm:?}, not {expected:?}").into());
    }
    // RFC 8489 §9.2.2: the username, too, goes through OpaqueString.
    let user = opaque_string(options.user)?;
    let key = long_term_key(&user, &realm, options.password, PasswordAlgorithm::Md5)?;
    let mut session = Session {
        socket,
        server,
        config: options.config,
        verbose: options.verbose,
        user,
        realm,
        nonce,
        key,
    };

    // 2. With credentials (RFC 8489 §9.2.4).
    let response = session
        .authenticated(Method::ALLOCATE, "Allocate", |b| {
            b.add(&RequestedTransport::UDP)?;
            Ok(())
        })
        .await?;
    let relayed = required::<XorRelayedAddress>(&response, "RFC 8656 §7.3")?;
    let mapped = required::<XorMappedAddress>(&response, "RFC 8656 §7.3")?;
    let lifetime = required::<Lifetime>(&response, "RFC 8656 §7.3")?;
    println!("XOR-RELAYED-ADDRESS {}", relayed.0);
    println!("XOR-MAPPED-ADDRESS {}", mapped.0);
    println!("LIFETIME {}", lifetime.0);

    // 3. Release it (RFC 8656 §8: a Refresh with LIFETIME 0).
    if !options.keep {
        session
            .authenticated(Method::REFRESH, "Refresh LIFETIME 0", |b| {
                b.add(&Lifetime(0))?;
                Ok(())
            })
            .await?;
        println!("allocation released");
    }
    Ok(())
}

/// One transaction; with `verbose`, the request and the response in hex
/// on stderr (`> HEX`, `< HEX`), ready for `rtw stun decode`.
async fn exchange(
    socket: &UdpSocket,
    server: SocketAddr,
    config: TransactionConfig,
    verbose: bool,
    request: BytesMut,
) -> Result<Response, Failure> {
    if verbose {
        eprintln!("> {}", hex(&request));
    }
    let response = transaction(socket, server, request, config).await?;
    if verbose {
        eprintln!("< {}", hex(response.bytes()));
    }
    Ok(response)
}

/// A request of `method` with a fresh transaction ID: the attributes
/// `add` writes, then MESSAGE-INTEGRITY with `key` if given, then
/// FINGERPRINT.
fn request(
    method: Method,
    key: Option<&[u8]>,
    add: impl FnOnce(&mut MessageBuilder) -> Result<(), rtw_stun::Error>,
) -> Result<BytesMut, Failure> {
    let tid = random_transaction_id()?;
    let mut b = MessageBuilder::new(MessageType::new(method, Class::Request), tid);
    add(&mut b)?;
    if let Some(key) = key {
        b.add_message_integrity(key)?;
    }
    b.add_fingerprint()?;
    Ok(b.finish())
}

impl Session {
    /// A request of `method` with `attributes` and the credentials, retried
    /// once after 438 Stale Nonce with the new NONCE (RFC 8489 §9.2.5).
    /// The success response, its MESSAGE-INTEGRITY checked; `step` names
    /// the request in what is printed.
    async fn authenticated(
        &mut self,
        method: Method,
        step: &str,
        add: impl Fn(&mut MessageBuilder) -> Result<(), rtw_stun::Error>,
    ) -> Result<Response, Failure> {
        for attempt in 0..2 {
            let req = request(method, Some(&self.key), |b| {
                add(b)?;
                b.add(&Username::new(&self.user)?)?;
                b.add(&Realm::new(&self.realm)?)?;
                b.add(&Nonce::new(&self.nonce)?)?;
                Ok(())
            })?;
            let response =
                exchange(&self.socket, self.server, self.config, self.verbose, req).await?;
            let msg = response.message();
            if response.is_success() {
                // RFC 8489 §9.2.5: a response with MESSAGE-INTEGRITY that
                // does not verify is not from the server we share the key
                // with.
                let integrity = match msg.verify_integrity(&self.key) {
                    Ok(_) => "MESSAGE-INTEGRITY ok",
                    Err(rtw_stun::Error::MissingIntegrity) => "no MESSAGE-INTEGRITY",
                    Err(e) => return Err(format!("{step}: success response: {e}").into()),
                };
                println!("{step}: success, {integrity}");
                return Ok(response);
            }
            if response.error_code() == Some(ErrorCode::STALE_NONCE.code()) && attempt == 0 {
                self.nonce = required::<Nonce>(&response, "RFC 8489 §9.2.5")?
                    .as_str()
                    .to_owned();
                println!(
                    "{step}: {}, new NONCE {:?}",
                    code_text(&response),
                    self.nonce
                );
                continue;
            }
            let hint = match response.error_code() {
                Some(401) => " (the server refused the credentials)",
                _ => "",
            };
            return Err(format!("{step}: {}{hint}", code_text(&response)).into());
        }
        Err(format!("{step}: the nonce went stale twice").into())
    }
}
