//! `rtw sdp fmt`, `json` and `check` on the Chromium corpus and on
//! malformed input.

mod common;

fn fmt(input: &[u8]) -> (bool, Vec<u8>, String) {
    rtw("fmt", input)
}

fn rtw(command: &str, input: &[u8]) -> (bool, Vec<u8>, String) {
    let out = common::rtw(&["sdp", command], input);
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn chromium_corpus_is_written_back_byte_identically() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sdp/tests/corpus/chromium-156"
    );
    for name in ["offer.sdp", "answer.sdp", "simulcast_offer.sdp"] {
        let input = std::fs::read(format!("{dir}/{name}")).unwrap();
        let (ok, out, err) = fmt(&input);
        assert!(ok, "{name}: {err}");
        assert_eq!(out, input, "{name}");
    }
}

#[test]
fn malformed_input_exits_1_with_the_line() {
    let (ok, out, err) = fmt(b"v=0\r\no=- x 1 IN IP4 h\r\n");
    assert!(!ok);
    assert!(out.is_empty());
    assert!(err.contains("line 2"), "{err}");
}

fn offer() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sdp/tests/corpus/chromium-156/offer.sdp"
    );
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn json_shows_typed_attributes_with_their_lines() {
    let (ok, out, err) = rtw("json", offer().as_bytes());
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["origin"]["session_id"], "22628309044861065");
    let audio = &v["media"][0];
    assert_eq!(audio["mid"], "0");
    assert_eq!(audio["direction"], "sendrecv");
    let attrs = audio["attributes"].as_array().unwrap();
    let opus = attrs.iter().find(|a| a["name"] == "rtpmap").unwrap();
    assert_eq!(opus["typed"]["encoding_name"], "opus");
    assert_eq!(opus["typed"]["clock_rate"], 48000);
    let text = offer();
    let lines: Vec<&str> = text.lines().collect();
    let line = opus["line"].as_u64().unwrap() as usize;
    assert_eq!(lines[line - 1], "a=rtpmap:111 opus/48000/2");
    let group = &v["attributes"].as_array().unwrap()[0];
    assert_eq!(group["typed"]["mids"], serde_json::json!(["0", "1", "2"]));
}

#[test]
fn json_reports_a_malformed_known_attribute_in_place() {
    let text = offer().replace("a=setup:actpass", "a=setup:sometimes");
    let (ok, out, err) = rtw("json", text.as_bytes());
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let setup = v["media"][0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "setup")
        .unwrap()
        .clone();
    assert!(setup["error"].as_str().unwrap().contains("RFC 4145"));
}

#[test]
fn check_passes_the_corpus_and_names_lines_of_problems() {
    let (ok, out, err) = rtw("check", offer().as_bytes());
    assert!(ok, "{err}");
    assert_eq!(out, b"ok\n");
    let text = offer().replace("a=mid:1", "a=mid:0");
    let (ok, out, _) = rtw("check", text.as_bytes());
    assert!(!ok);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("line 5: a group may only name mids"), "{out}");
    assert!(out.contains("mid values must be unique"), "{out}");
    let (ok, _, err) = rtw("check", b"v=0\r\n");
    assert!(!ok);
    assert!(err.contains("missing `o=`"), "{err}");
}
