//! A Binding server task over UDP, answering with
//! [`rtw_stun::BindingServer`].

use std::io;
use std::net::SocketAddr;

use rtw_stun::{BindingServer, BindingServerConfig};
use tokio::net::{ToSocketAddrs, UdpSocket};
use tokio::task::JoinHandle;

use super::MAX_DATAGRAM;
use super::client::is_transient;

/// One datagram the [`Server`] received and what it answered, for
/// [`Server::run_with`].
#[derive(Debug, Clone, Copy)]
pub struct Exchange<'a> {
    /// Who sent it.
    pub from: SocketAddr,
    /// What came.
    pub datagram: &'a [u8],
    /// The response sent back, `None` when nothing was owed (not STUN, not
    /// a request, a wrong FINGERPRINT: see [`BindingServer::handle`]).
    pub reply: Option<&'a [u8]>,
}

/// A STUN server on one UDP socket (RFC 8489 §6.3): each Binding request
/// gets a success response with the sender's XOR-MAPPED-ADDRESS, bad
/// requests the error response they are owed, as
/// [`BindingServer::handle`] says.
#[derive(Debug)]
pub struct Server {
    socket: UdpSocket,
    responder: BindingServer,
}

impl Server {
    /// A server with the default [`BindingServerConfig`] (FINGERPRINT, no
    /// SOFTWARE) on a new socket bound to `addr`.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Ok(Server::new(UdpSocket::bind(addr).await?))
    }

    /// A server with the default [`BindingServerConfig`] on `socket`.
    pub fn new(socket: UdpSocket) -> Self {
        let responder = BindingServer::with_config(BindingServerConfig::default())
            .expect("the default config is valid");
        Server { socket, responder }
    }

    /// A server with `config` on `socket`; fails if `config` does
    /// ([`BindingServer::with_config`]: a SOFTWARE text that is too long).
    pub fn with_config(
        socket: UdpSocket,
        config: BindingServerConfig,
    ) -> Result<Self, rtw_stun::Error> {
        Ok(Server {
            socket,
            responder: BindingServer::with_config(config)?,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Answer datagrams until receiving fails for a reason other than one
    /// datagram's (an ICMP error for an earlier response is one
    /// datagram's). A response that cannot be sent is dropped, as the
    /// network could have dropped it; the client retransmits.
    pub async fn run(self) -> io::Result<()> {
        self.run_with(|_| {}).await
    }

    /// [`Server::run`], calling `observe` with each datagram and its
    /// response after the response went out.
    pub async fn run_with(self, mut observe: impl FnMut(Exchange<'_>)) -> io::Result<()> {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        loop {
            let (n, from) = match self.socket.recv_from(&mut buf).await {
                Ok(got) => got,
                Err(e) if is_transient(&e) => continue,
                Err(e) => return Err(e),
            };
            let datagram = &buf[..n];
            let reply = self.responder.handle(datagram, from);
            if let Some(reply) = &reply {
                let _ = self.socket.send_to(reply, from).await;
            }
            observe(Exchange {
                from,
                datagram,
                reply: reply.as_deref(),
            });
        }
    }

    /// Run the server as a tokio task; abort the handle to stop it.
    pub fn spawn(self) -> JoinHandle<io::Result<()>> {
        tokio::spawn(self.run())
    }
}
