//! The public STUN server of the simulated Internet: `rtw_stun`'s
//! [`BindingServer`] on a fixed address, counting what it answers.

use std::net::SocketAddr;

use bytes::Bytes;
use rtw_stun::{BindingServer, BindingServerConfig};

/// A Binding responder at `addr` (RFC 8489 §6.3.1).
#[derive(Debug)]
pub struct StunServer {
    addr: SocketAddr,
    server: BindingServer,
    answered: u64,
}

impl StunServer {
    /// A server listening on `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        let server = BindingServer::with_config(BindingServerConfig::default())
            .expect("the default configuration is valid");
        StunServer {
            addr,
            server,
            answered: 0,
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The answer to `request` from `source` (as the server sees it, i.e.
    /// after any NAT), if one is owed.
    pub fn answer(&mut self, source: SocketAddr, request: &[u8]) -> Option<Bytes> {
        let response = self.server.handle(request, source)?;
        self.answered += 1;
        Some(response.freeze())
    }

    /// How many requests it answered.
    pub fn answered(&self) -> u64 {
        self.answered
    }
}
