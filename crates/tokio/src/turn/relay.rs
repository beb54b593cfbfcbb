//! Relayed addresses: sockets bound on a relay IP in the configured port
//! range (RFC 8656 §7.2), and the tasks that read them.

use std::cell::RefCell;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use rtw_core::Random;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use super::core::Input;
use super::is_transient;
use crate::OsRandom;

/// Largest datagram received on a relayed address: the largest UDP
/// payload.
const MAX_DATAGRAM: usize = 65_535;

/// Datagrams a relay task reads in a row before it lets other tasks run.
const READ_BURST: usize = 32;

thread_local! {
    /// The receive buffer of every relay task on this thread: a task holds
    /// it only between a readiness and the copy of what it read, never
    /// across an await, so an idle relayed address holds no buffer.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; MAX_DATAGRAM]);
}

/// Picks free ports in the relay range.
pub(super) struct Ports {
    low: u16,
    high: u16,
    random: OsRandom,
}

/// A relayed UDP address, and the reserved next port when asked.
pub(super) type UdpPair = (std::net::UdpSocket, Option<std::net::UdpSocket>);

impl Ports {
    pub(super) fn new(low: u16, high: u16) -> io::Result<Self> {
        Ok(Ports {
            low: low.min(high),
            high: high.max(low),
            random: OsRandom::new()?,
        })
    }

    /// The ports of the range, from a random one on, wrapping around.
    fn candidates(&mut self) -> impl Iterator<Item = u16> + use<> {
        let n = u32::from(self.high - self.low) + 1;
        let start = u32::from_le_bytes(self.random.array()) % n;
        let low = u32::from(self.low);
        (0..n).map(move |k| u16::try_from(low + (start + k) % n).expect("within the range"))
    }

    /// A UDP socket on `ip` at a free port: an even one if `even`, with the
    /// next port bound too (the reservation of EVEN-PORT's R bit) if
    /// `reserve_next`. Ports `in_use` by other relays are skipped.
    pub(super) fn bind_udp(
        &mut self,
        ip: IpAddr,
        even: bool,
        reserve_next: bool,
        in_use: impl Fn(SocketAddr) -> bool,
    ) -> Option<UdpPair> {
        for port in self.candidates() {
            if even && port % 2 == 1 {
                continue;
            }
            let addr = SocketAddr::new(ip, port);
            if in_use(addr) {
                continue;
            }
            let next = if reserve_next {
                match port.checked_add(1).filter(|&p| p <= self.high) {
                    Some(p) if !in_use(SocketAddr::new(ip, p)) => Some(SocketAddr::new(ip, p)),
                    _ => continue,
                }
            } else {
                None
            };
            let Ok(socket) = std::net::UdpSocket::bind(addr) else {
                continue;
            };
            let reserved = match next {
                Some(next) => match std::net::UdpSocket::bind(next) {
                    Ok(reserved) => Some(reserved),
                    Err(_) => continue,
                },
                None => None,
            };
            return Some((socket, reserved));
        }
        None
    }

    /// A TCP listener on `ip` at a free port (RFC 6062 §5.1), with
    /// `SO_REUSEADDR` and `SO_REUSEPORT` so that connections to peers can
    /// be opened from the same address (§5.2).
    pub(super) fn bind_tcp(
        &mut self,
        ip: IpAddr,
        in_use: impl Fn(SocketAddr) -> bool,
    ) -> Option<std::net::TcpListener> {
        for port in self.candidates() {
            let addr = SocketAddr::new(ip, port);
            if in_use(addr) {
                continue;
            }
            if let Ok(listener) = tcp_listener(addr) {
                return Some(listener);
            }
        }
        None
    }
}

/// Send the datagrams of `socket` with the DF bit set and no local
/// fragmentation (DONT-FRAGMENT, RFC 8656 §14.8): `IP_MTU_DISCOVER` (or
/// `IPV6_MTU_DISCOVER`) set to "do" on Linux. Elsewhere it does nothing:
/// RFC 8656 lets a server that cannot honour the attribute relay anyway.
pub(super) fn set_dont_fragment(socket: &std::net::UdpSocket) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::net::sockopt;
        match socket.local_addr()? {
            SocketAddr::V4(_) => {
                sockopt::set_ip_mtu_discover(socket, sockopt::Ipv4PathMtuDiscovery::DO)?;
            }
            SocketAddr::V6(_) => {
                sockopt::set_ipv6_mtu_discover(socket, sockopt::Ipv6PathMtuDiscovery::DO)?;
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = socket;
    Ok(())
}

/// A listening TCP socket on `addr` that connections can share the
/// address of.
fn tcp_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(128)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// A TCP connection from `relayed` to `peer` (RFC 6062 §5.2), sharing the
/// relayed address with its listener.
pub(super) async fn connect_from(
    relayed: SocketAddr,
    peer: SocketAddr,
) -> io::Result<tokio::net::TcpStream> {
    let socket = match relayed {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    socket.set_reuseport(true)?;
    socket.bind(relayed)?;
    let stream = socket.connect(peer).await?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Read datagrams that peers send to `relayed` and pass them to the
/// server's task, until that task is gone or the socket fails.
pub(super) async fn read_udp(
    socket: Arc<UdpSocket>,
    relayed: SocketAddr,
    inputs: mpsc::Sender<Input>,
) {
    loop {
        if socket.readable().await.is_err() {
            return;
        }
        for _ in 0..READ_BURST {
            let received = SCRATCH.with_borrow_mut(|buf| {
                socket
                    .try_recv_from(buf)
                    .map(|(n, peer)| (peer, Bytes::copy_from_slice(&buf[..n])))
            });
            match received {
                Ok((peer, bytes)) => {
                    let input = Input::Peer {
                        relayed,
                        peer,
                        bytes,
                    };
                    if inputs.send(input).await.is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if is_transient(&e) => {}
                Err(_) => return,
            }
        }
    }
}

/// Accept peers' connections to the TCP relayed address `relayed` (RFC
/// 6062 §5.3) and pass them to the server's task.
pub(super) async fn accept_tcp(
    listener: TcpListener,
    relayed: SocketAddr,
    inputs: mpsc::Sender<Input>,
) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                let input = Input::PeerConnection {
                    relayed,
                    peer,
                    stream,
                };
                if inputs.send(input).await.is_err() {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::Interrupted
                ) => {}
            // Out of descriptors, say: wait rather than spin.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_taken_from_the_range_even_ones_with_the_next_reserved() {
        let mut ports = Ports::new(50_000, 59_999).unwrap();
        let ip = IpAddr::from(std::net::Ipv4Addr::LOCALHOST);
        for _ in 0..20 {
            let (socket, next) = ports.bind_udp(ip, true, true, |_| false).unwrap();
            let port = socket.local_addr().unwrap().port();
            assert!((50_000..=59_998).contains(&port) && port % 2 == 0, "{port}");
            assert_eq!(next.unwrap().local_addr().unwrap().port(), port + 1);
        }
        // Ports in use are skipped: a range of one used port has none.
        let mut one = Ports::new(50_100, 50_100).unwrap();
        assert!(one.bind_udp(ip, false, false, |_| true).is_none());
        assert!(one.bind_tcp(ip, |_| true).is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn dont_fragment_sets_path_mtu_discovery_to_do() {
        use rustix::net::sockopt;
        let v4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        set_dont_fragment(&v4).unwrap();
        assert_eq!(
            sockopt::ip_mtu_discover(&v4).unwrap(),
            sockopt::Ipv4PathMtuDiscovery::DO
        );
        if let Ok(v6) = std::net::UdpSocket::bind("[::1]:0") {
            set_dont_fragment(&v6).unwrap();
            assert_eq!(
                sockopt::ipv6_mtu_discover(&v6).unwrap(),
                sockopt::Ipv6PathMtuDiscovery::DO
            );
        }
    }
}
