//! The helpers the rtw tests share, written once (`docs/ARCHITECTURE.md`
//! §2.11): bounded waits, required outside tools, child processes and
//! servers, headless Chromium, and RFC test vectors.
//!
//! ```
//! use std::time::Duration;
//! use rtw_testkit::poll_until;
//!
//! let start = std::time::Instant::now();
//! let waited = poll_until("a tenth of a second", Duration::from_secs(5), || {
//!     (start.elapsed() >= Duration::from_millis(100)).then_some(start.elapsed())
//! });
//! assert!(waited >= Duration::from_millis(100));
//! ```
//!
//! Every helper fails the test (panics) with a message that names what
//! went wrong; none skips. It depends on no rtw crate, so every rtw crate
//! can use it in its tests. Not published.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chromium;
pub mod pki;
pub mod process;
pub mod tool;
pub mod vectors;
pub mod wait;

pub use chromium::{Chromium, ReportPage};
pub use process::{Server, run, run_for};
pub use tool::{install_hint, require_tool};
pub use vectors::{hex, rfc5769, rfc6455};
pub use wait::{TIMEOUT, poll_until, within, within_for};
