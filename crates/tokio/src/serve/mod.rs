//! `rtw serve`'s transports as a library: every push technique of the
//! real-time web as a view of one publish/subscribe hub ([`rtw_hub`]).
//!
//! [`SharedHub`] is the hub shared by every connection.
// Until the router's GET /mjpeg arm uses it.
#[allow(dead_code)]
mod mjpeg;
mod shared_hub;
// Until the router's GET /stomp arm uses it.
#[allow(dead_code)]
mod stomp;

pub use shared_hub::{Delivery, HubSubscriber, SharedHub};
