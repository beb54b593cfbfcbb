//! `rtw sdp`: session descriptions (RFC 8866).

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::Subcommand;
use rtw_sdp::SessionDescription;

/// `rtw sdp` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read an SDP on stdin and write it back on stdout, every line in its
    /// RFC 8866 form with CRLF: byte-identical for well-formed CRLF input.
    /// Exit 1 with the line number and the broken rule on malformed input.
    Fmt,
}

pub(crate) fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Fmt => fmt(),
    }
}

fn fmt() -> ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("rtw sdp fmt: reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    match SessionDescription::parse(&text) {
        Ok(sd) => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out
                .write_all(sd.to_string().as_bytes())
                .and_then(|()| out.flush())
            {
                eprintln!("rtw sdp fmt: writing stdout: {e}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rtw sdp fmt: {e}");
            ExitCode::FAILURE
        }
    }
}
