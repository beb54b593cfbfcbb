//! `rtw_tokio::tls` and `wss://` in `rtw_tokio::ws::connect_any`, against
//! a wss echo server made of rtw's own pieces (`tls::accept`, then
//! `ws::accept`), with a test CA and leaf certificates made here (rcgen).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtw_testkit::pki::TestPki;
use rtw_tokio::tls::{self, TlsAcceptor, Trust};
use rtw_tokio::ws::{ClientOptions, Message, WsError, accept, connect_any};
use tokio::net::TcpListener;
use tokio::time::timeout;

const STEP: Duration = Duration::from_secs(10);

/// The test CA, `leaf` (127.0.0.1 and localhost) and `other` (another
/// name) signed by it, and `stranger`, a self-signed leaf for localhost
/// that no CA vouches for.
fn pki() -> TestPki {
    let pki = TestPki::new();
    pki.leaf("other", &["other.example"]);
    pki.self_signed("stranger", &["localhost"]);
    pki
}

/// A client configuration trusting the test CA only.
fn trust_ca(pki: &TestPki) -> Arc<tls::ClientConfig> {
    tls::client_config(&Trust::ca_only(pki.path("ca.pem"))).unwrap()
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
    let pki = pki();
    let port = wss_echo(&pki.path("leaf.pem"), &pki.path("leaf.key")).await;
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("wss://{host}:{port}/echo");
        let options = ClientOptions::new().tls(trust_ca(&pki));
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

/// The error of a client that trusts the test CA only, connecting to
/// `wss://localhost` served with the certificate `leaf` (`other`,
/// `stranger`).
async fn refused_by_a_client_trusting_the_ca(leaf: &str) -> WsError {
    let pki = pki();
    let (cert, key) = (
        pki.path(&format!("{leaf}.pem")),
        pki.path(&format!("{leaf}.key")),
    );
    let port = wss_echo(&cert, &key).await;
    let url = format!("wss://localhost:{port}/");
    let options = ClientOptions::new().tls(trust_ca(&pki));
    timeout(STEP, connect_any(&url, options))
        .await
        .unwrap()
        .unwrap_err()
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused_saying_so() {
    let refused = refused_by_a_client_trusting_the_ca("other").await;
    assert!(matches!(refused, WsError::Tls { .. }), "{refused:?}");
    let message = refused.to_string();
    assert!(message.contains("localhost"), "{message}");
    assert!(message.contains("invalid peer certificate"), "{message}");
    assert!(message.contains("not valid for name"), "{message}");
    assert!(message.contains("other.example"), "{message}");
}

#[tokio::test]
async fn a_certificate_of_an_unknown_issuer_is_refused_saying_so() {
    let refused = refused_by_a_client_trusting_the_ca("stranger").await;
    let message = refused.to_string();
    assert!(message.contains("invalid peer certificate"), "{message}");
    assert!(message.contains("UnknownIssuer"), "{message}");
}

#[test]
fn configuration_errors_name_the_file_and_the_reason() {
    let pki = pki();
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
    let pki = pki();
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
    let pki = pki();
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
