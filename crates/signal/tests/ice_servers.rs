//! The `iceServers` of `joined`: as configured, with TURN REST credentials
//! made per peer from the wall clock, which rtw-turn's server accepts.

mod common;

use std::time::Duration;

use common::Harness;
use rtw_signal::{Config, IceCredentials, IceServer};
use serde_json::json;

fn config() -> Config {
    Config::default().ice_servers(vec![
        IceServer::new(["stun:127.0.0.1:3478"]),
        IceServer::new([
            "turn:127.0.0.1:3479?transport=udp",
            "turn:127.0.0.1:3479?transport=tcp",
        ])
        .credentials(IceCredentials::TurnRest {
            secret: "rest-secret".into(),
            ttl: Duration::from_secs(600),
        }),
        IceServer::new(["turns:turn.example.org:5349"]).credentials(IceCredentials::Static {
            username: "user".into(),
            credential: "pass".into(),
        }),
    ])
}

#[test]
fn joined_carries_the_configured_servers() {
    let mut h = Harness::new(config());
    h.server.handle_wall_clock(1_700_000_000);
    let (_a, joined) = h.join("r", "alice");
    let servers = joined["iceServers"].as_array().unwrap();
    assert_eq!(servers.len(), 3);
    assert_eq!(servers[0], json!({"urls":["stun:127.0.0.1:3478"]}));
    assert_eq!(
        servers[1]["urls"],
        json!([
            "turn:127.0.0.1:3479?transport=udp",
            "turn:127.0.0.1:3479?transport=tcp"
        ])
    );
    assert_eq!(servers[1]["username"], "1700000600:alice");
    assert_eq!(
        servers[2],
        json!({"urls":["turns:turn.example.org:5349"],"username":"user","credential":"pass"})
    );
}

#[test]
fn turn_rest_credentials_are_what_rtw_turn_accepts() {
    let mut h = Harness::new(config());
    h.server.handle_wall_clock(1_800_000_000);
    let (_a, joined) = h.join("r", "bob");
    let turn = &joined["iceServers"][1];
    let username = turn["username"].as_str().unwrap();
    assert_eq!(username, "1800000600:bob");
    let credential = turn["credential"].as_str().unwrap();
    assert_eq!(
        credential,
        rtw_turn::server::rest_password(b"rest-secret", username)
    );
    assert_eq!(
        credential,
        rtw_signal::turn_rest_credential(b"rest-secret", username)
    );

    // A later join (or resume) gets credentials from the later clock.
    h.server.handle_wall_clock(1_800_000_100);
    let (_c, joined) = h.join("r", "carol");
    assert_eq!(joined["iceServers"][1]["username"], "1800000700:carol");
}
