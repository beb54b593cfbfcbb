//! The STUN and TURN servers of the `iceServers` a signaling server hands
//! out in `joined` (the W3C `RTCIceServer` shape), as addresses rtw's
//! agent can gather from (RFC 8445 §5.1.1.2): `stun:` URLs (RFC 7064) and
//! `turn:` URLs over UDP (RFC 7065) with their username and credential.
//! Host names, `stuns:`/`turns:` and TURN over TCP are skipped: the agent
//! gathers over UDP and resolves no names.

use std::net::SocketAddr;

use serde_json::Value;

/// The default port of `stun:` and `turn:` URLs (RFC 7064 §3.1, RFC 7065
/// §3.1).
const DEFAULT_PORT: u16 = 3478;

/// The most servers taken from one `iceServers` list.
const MAX_SERVERS: usize = 8;

/// A server to gather from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum IceServer {
    /// A STUN server: server-reflexive candidates.
    Stun(SocketAddr),
    /// A TURN server over UDP: relayed candidates, with long-term
    /// credentials.
    Turn {
        addr: SocketAddr,
        username: String,
        credential: String,
    },
}

/// The address of a `stun:` or `turn:` URL's `host[:port]` part, with
/// its query (`?transport=udp`) removed; `None` for a host name or a
/// transport other than UDP.
fn address(rest: &str) -> Option<SocketAddr> {
    let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !query.is_empty() && query != "transport=udp" {
        return None;
    }
    if let Ok(addr) = hostport.parse() {
        return Some(addr);
    }
    let ip = hostport
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(hostport);
    Some(SocketAddr::new(ip.parse().ok()?, DEFAULT_PORT))
}

/// The servers of an `iceServers` list that rtw's agent can use, at most
/// [`MAX_SERVERS`].
pub(super) fn ice_servers(list: &Value) -> Vec<IceServer> {
    let mut servers = Vec::new();
    for server in list.as_array().into_iter().flatten() {
        let urls: Vec<&str> = match server.get("urls") {
            Some(Value::String(url)) => vec![url.as_str()],
            Some(Value::Array(urls)) => urls.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        let text = |key: &str| server.get(key).and_then(Value::as_str).map(str::to_owned);
        for url in urls {
            let found = if let Some(rest) = url.strip_prefix("stun:") {
                address(rest).map(IceServer::Stun)
            } else if let Some(rest) = url.strip_prefix("turn:") {
                match (address(rest), text("username"), text("credential")) {
                    (Some(addr), Some(username), Some(credential)) => Some(IceServer::Turn {
                        addr,
                        username,
                        credential,
                    }),
                    _ => None,
                }
            } else {
                None
            };
            if let Some(found) = found {
                if servers.len() == MAX_SERVERS {
                    return servers;
                }
                if !servers.contains(&found) {
                    servers.push(found);
                }
            }
        }
    }
    servers
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn stun_and_udp_turn_urls_with_addresses_are_taken() {
        let list = json!([
            {"urls": ["stun:127.0.0.1:3478"]},
            {"urls": "stun:[::1]"},
            {"urls": ["turn:127.0.0.1:3479?transport=udp", "turn:127.0.0.1:3479?transport=tcp",
                      "turns:127.0.0.1:5349"], "username": "1:p", "credential": "c"},
            {"urls": ["turn:127.0.0.2"]},
            {"urls": ["stun:stun.example.org:3478", "stun:127.0.0.1:3478"]},
            {"urls": 7},
            "nonsense"
        ]);
        assert_eq!(
            ice_servers(&list),
            [
                IceServer::Stun("127.0.0.1:3478".parse().unwrap()),
                IceServer::Stun("[::1]:3478".parse().unwrap()),
                IceServer::Turn {
                    addr: "127.0.0.1:3479".parse().unwrap(),
                    username: "1:p".into(),
                    credential: "c".into(),
                },
            ]
        );
        assert_eq!(ice_servers(&json!(null)), []);
    }

    #[test]
    fn a_long_list_is_cut() {
        let list: Vec<Value> = (0..100)
            .map(|i| json!({"urls": format!("stun:127.0.0.1:{}", 1000 + i)}))
            .collect();
        assert_eq!(ice_servers(&Value::Array(list)).len(), MAX_SERVERS);
    }
}
