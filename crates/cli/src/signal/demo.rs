//! The demo page `rtw signal serve` gives at `/`: join a room, see the
//! other peers, chat over RTCDataChannels and see each peer's camera, in a
//! mesh (one RTCPeerConnection per other peer). The peer that joins later
//! makes the offers, so no two peers offer to each other at once.
//!
//! Query parameters fill the form and join at once: `?room=R&peer=P`
//! (`&video=0` to join without a camera, `&say=TEXT` to greet each peer
//! over its data channel as soon as it opens). Every line the page shows
//! also goes to the console (`conformance/webrtc`'s row `demo` reads it).

/// The page: HTML with its script inline, no outside resources.
pub(super) const PAGE: &str = include_str!("demo.html");
