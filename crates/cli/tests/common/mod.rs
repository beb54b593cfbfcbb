//! The `rtw` binary for the shared test helpers of `rtw-testkit`: servers
//! started from their `listening on` line and runs bounded in time.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::ops::{Deref, DerefMut};
use std::process::Output;

pub use rtw_testkit::{TIMEOUT, poll_until, require_tool, run};

/// The binary under test.
pub const RTW: &str = env!("CARGO_BIN_EXE_rtw");

/// A running `rtw` server, killed on drop (an [`rtw_testkit::Server`]).
pub struct Running(rtw_testkit::Server);

impl Running {
    /// Start `rtw ARGS` (a server given `127.0.0.1:0`) and read the
    /// address it prints first; panics if none comes within [`TIMEOUT`].
    pub fn start(args: &[&str]) -> Running {
        Running(rtw_testkit::Server::start(RTW, args))
    }

    /// Start `rtw COMMAND... 127.0.0.1:0 ARGS...`.
    pub fn serve(command: &[&str], args: &[&str]) -> Running {
        let all: Vec<&str> = [command, &["127.0.0.1:0"], args].concat();
        Running::start(&all)
    }
}

impl Deref for Running {
    type Target = rtw_testkit::Server;

    fn deref(&self) -> &rtw_testkit::Server {
        &self.0
    }
}

impl DerefMut for Running {
    fn deref_mut(&mut self) -> &mut rtw_testkit::Server {
        &mut self.0
    }
}

/// Run `rtw ARGS` with `stdin`, collecting its output, within [`TIMEOUT`].
pub fn rtw(args: &[&str], stdin: &[u8]) -> Output {
    run(RTW, args, stdin)
}
