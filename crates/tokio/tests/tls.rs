//! `rtw_tokio::tls` and `wss://` in `rtw_tokio::ws::connect_any`, against
//! a wss echo server made of rtw's own pieces (`tls::accept`, then
//! `ws::accept`), with a test CA and leaf certificates made here (rcgen).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rtw_tokio::tls::{self, TlsAcceptor, Trust};
use rtw_tokio::ws::{ClientOptions, Message, WsError, accept, connect_any};
use tokio::net::TcpListener;
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

/// A directory of PEM files, removed on drop.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// A test CA (`ca.pem`), a leaf for 127.0.0.1 and localhost signed by
    /// it (`leaf.pem`, `leaf.key`), a leaf for another name signed by it
    /// (`other.pem`, `other.key`), and a self-signed leaf for localhost
    /// that no CA vouches for (`stranger.pem`, `stranger.key`).
    fn new() -> Pki {
        let dir = std::env::temp_dir().join(format!(
            "rtw-tls-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "rtw test CA");
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        for (name, sans) in [
            ("leaf", vec!["127.0.0.1".to_owned(), "localhost".to_owned()]),
            ("other", vec!["other.example".to_owned()]),
        ] {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(sans)
                .unwrap()
                .signed_by(&key, &issuer)
                .unwrap();
            std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).unwrap();
            std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).unwrap();
        }
        let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        std::fs::write(dir.join("stranger.pem"), stranger.cert.pem()).unwrap();
        std::fs::write(
            dir.join("stranger.key"),
            stranger.signing_key.serialize_pem(),
        )
        .unwrap();
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn trust_ca(&self) -> Arc<tls::ClientConfig> {
        tls::client_config(&Trust::ca_only(self.path("ca.pem"))).unwrap()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A wss echo server with the certificate `cert` and key `key`: returns
/// its port.
async fn wss_echo(cert: &Path, key: &Path) -> u16 {
    let config = tls::server_config_from_pem(cert, key, tls::ALPN_HTTP1).unwrap();
    let acceptor = TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(io) = tls::accept(&acceptor, tcp, Some(STEP)).await else {
                    return;
                };
                let Ok((mut ws, _)) = accept(io).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    if let Message::Text(_) | Message::Binary(_) = message
                        && ws.send(message).await.is_err()
                    {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn wss_echoes_with_the_test_ca_by_ip_and_by_name() {
    let pki = Pki::new();
    let port = wss_echo(&pki.path("leaf.pem"), &pki.path("leaf.key")).await;
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("wss://{host}:{port}/echo");
        let options = ClientOptions::new().tls(pki.trust_ca());
        let (mut ws, _) = timeout(STEP, connect_any(&url, options))
            .await
            .unwrap()
            .unwrap();
        assert!(ws.get_ref().is_tls());
        assert_eq!(ws.get_ref().alpn_protocol(), None, "the client offers none");
        ws.send(Message::text(format!("hello {host}")))
            .await
            .unwrap();
        let reply = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(reply, Message::text(format!("hello {host}")));
        let big = Message::binary(vec![7u8; 200_000]);
        ws.send(big.clone()).await.unwrap();
        let reply = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(reply, big);
        timeout(STEP, ws.close()).await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn ws_urls_still_connect_in_the_clear() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let (mut ws, _) = accept(tcp).await.unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(_) = message {
                ws.send(message).await.unwrap();
            }
        }
    });
    let (mut ws, _) = connect_any(&format!("ws://{addr}/"), ClientOptions::new())
        .await
        .unwrap();
    assert!(!ws.get_ref().is_tls());
    ws.send(Message::text("plain")).await.unwrap();
    let reply = timeout(STEP, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(reply, Message::text("plain"));
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_saying_so() {
    let pki = Pki::new();
    let port = wss_echo(&pki.path("other.pem"), &pki.path("other.key")).await;
    let url = format!("wss://localhost:{port}/");
    let options = ClientOptions::new().tls(pki.trust_ca());
    let refused = timeout(STEP, connect_any(&url, options))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(refused, WsError::Tls { .. }), "{refused:?}");
    let message = refused.to_string();
    assert!(message.contains("localhost"), "{message}");
    assert!(message.contains("invalid peer certificate"), "{message}");
    assert!(message.contains("not valid for name"), "{message}");
    assert!(message.contains("other.example"), "{message}");
}

#[tokio::test]
async fn a_certificate_of_an_unknown_issuer_is_refused_saying_so() {
    let pki = Pki::new();
    let port = wss_echo(&pki.path("stranger.pem"), &pki.path("stranger.key")).await;
    let url = format!("wss://localhost:{port}/");
    let options = ClientOptions::new().tls(pki.trust_ca());
    let refused = timeout(STEP, connect_any(&url, options))
        .await
        .unwrap()
        .unwrap_err();
    let message = refused.to_string();
    assert!(message.contains("invalid peer certificate"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");
}

#[test]
fn configuration_errors_name_the_file_and_the_reason() {
    let pki = Pki::new();
    let missing =
        tls::server_config_from_pem(&pki.path("leaf.pem"), &pki.path("nope.key"), &[]).unwrap_err();
    assert!(missing.to_string().contains("nope.key"), "{missing}");
    // A key file given as the certificate: no CERTIFICATE in it.
    let swapped =
        tls::server_config_from_pem(&pki.path("leaf.key"), &pki.path("leaf.key"), &[]).unwrap_err();
    let message = swapped.to_string();
    assert!(message.contains("leaf.key"), "{message}");
    assert!(message.contains("no CERTIFICATE"), "{message}");
    // The key of another certificate.
    let mismatched =
        tls::server_config_from_pem(&pki.path("leaf.pem"), &pki.path("other.key"), &[])
            .unwrap_err();
    let message = mismatched.to_string();
    assert!(message.contains("other.key"), "{message}");
    assert!(message.contains("does not go with"), "{message}");
    let no_ca = tls::client_config(&Trust::ca_only(pki.path("missing-ca.pem"))).unwrap_err();
    assert!(no_ca.to_string().contains("missing-ca.pem"), "{no_ca}");
    // Both ALPN lists: the HTTP one names http/1.1.
    let http = tls::server_config_from_pem(
        &pki.path("leaf.pem"),
        &pki.path("leaf.key"),
        tls::ALPN_HTTP1,
    )
    .unwrap();
    assert_eq!(http.alpn_protocols, vec![b"http/1.1".to_vec()]);
}

#[tokio::test]
async fn the_server_handshake_times_out() {
    let pki = Pki::new();
    let config =
        tls::server_config_from_pem(&pki.path("leaf.pem"), &pki.path("leaf.key"), &[]).unwrap();
    let acceptor = TlsAcceptor::from(config);
    let (_client, server) = tokio::io::duplex(1024);
    let result = tls::accept(&acceptor, server, Some(Duration::from_millis(100))).await;
    let Err(error) = result else {
        panic!("a silent client must time out");
    };
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
}

#[tokio::test]
async fn the_platform_roots_are_used_by_default() {
    // A wss:// URL without a configuration trusts the platform's roots,
    // which do not hold the test CA: refused as an unknown issuer (or, on
    // a machine without a store, a clear setup error).
    let pki = Pki::new();
    let port = wss_echo(&pki.path("leaf.pem"), &pki.path("leaf.key")).await;
    let refused = timeout(
        STEP,
        connect_any(&format!("wss://localhost:{port}/"), ClientOptions::new()),
    )
    .await
    .unwrap()
    .unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains("UnknownIssuer") || message.contains("platform's root certificates"),
        "{message}"
    );
}
