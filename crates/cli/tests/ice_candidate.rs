//! `rtw ice candidate` on the candidates of the browser corpora and on
//! malformed lines.

mod common;

fn candidate(input: &[u8]) -> (bool, String, String) {
    let out = common::rtw(&["ice", "candidate"], input);
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn objects(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn browser_candidates_as_json() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdp/tests/corpus");
    let mut lines = String::new();
    for name in [
        "chromium-156/offer.sdp",
        "chromium-156/answer.sdp",
        "safari/offer.sdp",
    ] {
        let sdp = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        for l in sdp.lines().filter(|l| l.starts_with("a=candidate:")) {
            lines.push_str(l);
            lines.push_str("\r\n");
        }
    }
    let (ok, out, err) = candidate(lines.as_bytes());
    assert!(ok, "{err}");
    let v = objects(&out);
    assert_eq!(v.len(), lines.lines().count());
    assert!(v.len() >= 8);
    for (i, (o, l)) in v.iter().zip(lines.lines()).enumerate() {
        assert_eq!(o["line"], i + 1);
        assert_eq!(format!("a={}", o["candidate"].as_str().unwrap()), l);
        let check = &o["priority_check"];
        assert_eq!(check["matches"], true, "{l}");
        assert_eq!(check["type_preference_matches"], true, "{l}");
        assert_eq!(check["component_matches"], true, "{l}");
    }
    let host = &v[0];
    assert_eq!(host["type"], "host");
    assert_eq!(host["transport"], "udp");
    assert_eq!(host["address_kind"], "mdns");
    assert_eq!(host["component"], 1);
    assert_eq!(host["generation"], 0);
    assert_eq!(host["network_cost"], 999);
    assert_eq!(host["related_address"], serde_json::Value::Null);
    assert_eq!(
        host["extensions"][1],
        serde_json::json!({"name": "network-cost", "value": "999"})
    );
    let srflx = v.iter().find(|o| o["type"] == "srflx").unwrap();
    assert_eq!(srflx["address"], "203.0.113.58");
    assert_eq!(srflx["related_address"], "0.0.0.0");
    assert_eq!(srflx["related_port"], 0);
    assert_eq!(srflx["priority"], 1677729535u32);
    assert_eq!(srflx["priority_check"]["type_preference"], 100);
    assert_eq!(srflx["priority_check"]["local_preference"], 30);
    assert_eq!(srflx["priority_check"]["recomputed"], 1677729535u32);
}

#[test]
fn every_prefix_and_blank_lines() {
    let input = "\n\
        a=candidate:2 1 TCP 2105524479 7f3a2c1e-5b4d-4e6f-8a9b-0c1d2e3f4a5b.local 9 typ host tcptype active\n\
        \n   \n\
        candidate:1 1 udp 255 192.0.2.100 12100 typ relay raddr 198.51.100.100 rport 11100\n\
        7 1 UDP 2130706431 2001:db8::1 8998 typ host ufrag EsAw network-id 3\n";
    let (ok, out, err) = candidate(input.as_bytes());
    assert!(ok, "{err}");
    let v = objects(&out);
    assert_eq!(v.len(), 3);
    assert_eq!(
        (
            v[0]["line"].as_u64(),
            v[1]["line"].as_u64(),
            v[2]["line"].as_u64()
        ),
        (Some(2), Some(5), Some(6))
    );
    assert_eq!(
        (&v[0]["transport"], &v[0]["tcptype"]),
        (&"tcp".into(), &"active".into())
    );
    assert_eq!(v[1]["type"], "relay");
    // Relay with component 1 and priority 255: local preference 0.
    assert_eq!(v[1]["priority_check"]["local_preference"], 0);
    assert_eq!(v[1]["priority_check"]["matches"], true);
    assert_eq!(v[2]["address_kind"], "ipv6");
    assert_eq!(
        (&v[2]["ufrag"], &v[2]["network_id"]),
        (&"EsAw".into(), &3.into())
    );
    assert_eq!(
        v[2]["candidate"],
        "candidate:7 1 UDP 2130706431 2001:db8::1 8998 typ host ufrag EsAw network-id 3"
    );
}

#[test]
fn unusual_priorities_are_flagged() {
    // A host candidate with a srflx type preference, and one whose low
    // byte does not match its component.
    let input = "1 1 udp 1694498815 10.0.0.1 9 typ host\n1 2 udp 2130706431 10.0.0.1 9 typ host\n";
    let (ok, out, err) = candidate(input.as_bytes());
    assert!(ok, "{err}");
    let v = objects(&out);
    assert_eq!(v[0]["priority_check"]["type_preference"], 100);
    assert_eq!(v[0]["priority_check"]["recommended_type_preference"], 126);
    assert_eq!(v[0]["priority_check"]["type_preference_matches"], false);
    assert_eq!(v[0]["priority_check"]["matches"], false);
    assert_eq!(v[1]["priority_check"]["component"], 1);
    assert_eq!(v[1]["priority_check"]["component_matches"], false);
    assert_eq!(v[1]["priority_check"]["recomputed"], 2130706430u32);
    assert_eq!(v[1]["priority_check"]["matches"], false);
}

#[test]
fn malformed_lines_exit_1_with_their_numbers() {
    let input = "1 1 udp 1 10.0.0.1 9 typ host\n\
                 1 1 udp 1 10.0.0.1 9 host\n\
                 candidate:1 1 udp 1 10.0.0.1 9 typ srflx raddr 10.0.0.2\n\
                 1 1 udp 1 10.0.0.1 9 typ host\n";
    let (ok, out, err) = candidate(input.as_bytes());
    assert!(!ok);
    assert_eq!(objects(&out).len(), 2);
    let errors: Vec<&str> = err.lines().collect();
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        errors[0].contains("line 2: ") && errors[0].contains("typ"),
        "{err}"
    );
    assert!(
        errors[1].contains("line 3: ") && errors[1].contains("rport"),
        "{err}"
    );
    assert!(errors.iter().all(|e| e.contains("RFC 8839")), "{err}");

    let (ok, out, err) = candidate(b"1 1 udp 1 10.0.0.1 9 typ host\n\xff\n");
    assert!(!ok);
    assert_eq!(objects(&out).len(), 1);
    assert!(err.contains("line 2: not UTF-8"), "{err}");
}

#[test]
fn an_overlong_line_is_reported_and_the_next_lines_read() {
    let good = "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host";
    let input = format!("{good}\n{}\r\n{good}\r\n", "x".repeat(5000));
    let (ok, out, err) = candidate(input.as_bytes());
    assert!(!ok);
    let lines: Vec<u64> = objects(&out)
        .iter()
        .map(|o| o["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 3]);
    assert_eq!(
        err,
        "rtw ice candidate: line 2: longer than 1024 bytes, the limit of a candidate \
         (rtw_ice::Limits::max_candidate_len); skipped to its end\n"
    );
}
