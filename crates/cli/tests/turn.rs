//! `rtw turn server` and `rtw turn client` against each other on
//! loopback, relaying stdin's lines to a UDP echo peer; the 403 for a
//! loopback peer without `--allow-loopback-peers`; bad command lines.

mod common;

use std::net::UdpSocket;

use common::{Running, rtw};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A UDP peer on its own thread that echoes every datagram; its address.
fn echo_peer() -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut buf = vec![0; 65_536];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..n], from);
        }
    });
    address
}

fn server(extra: &[&str]) -> Running {
    let args: Vec<&str> = [
        &[
            "turn",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--realm",
            "rtw.test",
            "--user",
            "alice:secret",
            "--user",
            "bob:hunter2",
        ][..],
        extra,
    ]
    .concat();
    Running::start(&args)
}

#[test]
fn the_client_relays_stdin_lines_to_an_echo_peer_over_udp_and_tcp() {
    let server = server(&["--allow-loopback-peers"]);
    let target = server.addr.to_string();
    let peer = echo_peer();
    for extra in [&[][..], &["--tcp"], &["--channel"], &["--tcp", "--channel"]] {
        let args: Vec<&str> = [
            &[
                "turn",
                "client",
                &target,
                "--user",
                "bob:hunter2",
                "--peer",
                &peer,
            ][..],
            extra,
        ]
        .concat();
        let out = rtw(&args, b"hello\nthrough the relay\n");
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{extra:?}: {stderr}");
        assert_eq!(text(&out.stdout), "hello\nthrough the relay\n", "{extra:?}");
        assert!(stderr.starts_with("relayed 127.0.0.1:"), "{stderr}");
    }
}

#[test]
fn a_loopback_peer_is_refused_with_403_unless_allowed() {
    let server = server(&[]);
    let target = server.addr.to_string();
    let peer = echo_peer();
    for extra in [&[][..], &["--channel"]] {
        let args: Vec<&str> = [
            &[
                "turn",
                "client",
                &target,
                "--user",
                "alice:secret",
                "--peer",
                &peer,
            ][..],
            extra,
        ]
        .concat();
        let out = rtw(&args, b"hello\n");
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(text(&out.stdout), "");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("403"), "{stderr}");
    }
    // A wrong password is a 401.
    let out = rtw(
        &[
            "turn",
            "client",
            &target,
            "--user",
            "alice:wrong",
            "--peer",
            &peer,
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
}

#[test]
fn bad_command_lines_exit_2() {
    for args in [
        &["turn", "server", "--realm", "r", "--user", "a:b"][..],
        &[
            "turn",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--realm",
            "r",
            "--relay-ports",
            "9-5",
        ],
        &[
            "turn",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--realm",
            "r",
            "--user",
            "nocolon",
        ],
        &[
            "turn",
            "server",
            "--listen",
            "127.0.0.1:0",
            "--realm",
            "r",
            "--tls-cert",
            "c.pem",
        ],
        &["turn", "client", "127.0.0.1:3478", "--user", "a:b"],
    ] {
        let out = rtw(args, b"");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // A wildcard listener needs the relay IP.
    let out = rtw(
        &[
            "turn",
            "server",
            "--listen",
            "0.0.0.0:0",
            "--realm",
            "r",
            "--user",
            "a:b",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--relay-ip"),
        "{}",
        text(&out.stderr)
    );
    // No way to authenticate: the server refuses to start.
    let out = rtw(
        &["turn", "server", "--listen", "127.0.0.1:0", "--realm", "r"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}
