//! `rtw sdp`: session descriptions (RFC 8866): `fmt`, `json`, `check`.
//!
//! Each reads one description on stdin, at most the size limit of
//! [`rtw_sdp::Limits`] (1 MiB) plus one byte: longer input is refused,
//! with exit status 1, without reading the rest.

mod json;

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;
use rtw_sdp::{Limits, SessionDescription};

use crate::input;

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
    /// Read an SDP on stdin and print it as JSON: every line's fields, and
    /// for each attribute its line number, name and value, its typed
    /// fields where rtw-sdp types it, or the error that kept it from
    /// parsing. Exit 1 on malformed SDP.
    Json,
    /// Read an SDP offer or answer on stdin and check the JSEP rules of RFC
    /// 8829 (unique mids, BUNDLE groups naming existing mids, ICE
    /// credentials, DTLS fingerprint and setup, formats, well-formed typed
    /// attributes). Print `ok` and exit 0, or print each problem with its
    /// line number and exit 1.
    Check,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let name = match args.command {
        Command::Fmt => "fmt",
        Command::Json => "json",
        Command::Check => "check",
    };
    // At most the size limit plus one byte is read (RFC 8866 sets no
    // bound; rtw_sdp's default limit is far above any browser's offer).
    let max_size = Limits::default().max_size;
    let of = "an SDP (rtw_sdp::Limits::max_size)";
    let text = match input::read_all(std::io::stdin().lock(), max_size, of) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("rtw sdp {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(text) = String::from_utf8(text) else {
        eprintln!("rtw sdp {name}: reading stdin: not UTF-8 text");
        return ExitCode::FAILURE;
    };
    let sd = match SessionDescription::parse(&text) {
        Ok(sd) => sd,
        Err(e) => {
            eprintln!("rtw sdp {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (output, code) = match args.command {
        Command::Fmt => (sd.to_string(), ExitCode::SUCCESS),
        Command::Json => {
            let mut out = json::session(&sd).to_string();
            out.push('\n');
            (out, ExitCode::SUCCESS)
        }
        Command::Check => check(&sd),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(output.as_bytes()).and_then(|()| out.flush()) {
        eprintln!("rtw sdp {name}: writing stdout: {e}");
        return ExitCode::FAILURE;
    }
    code
}

fn check(sd: &SessionDescription) -> (String, ExitCode) {
    let problems = sd.check_jsep();
    if problems.is_empty() {
        return ("ok\n".to_owned(), ExitCode::SUCCESS);
    }
    let mut out = String::new();
    for p in &problems {
        out.push_str(&p.to_string());
        out.push('\n');
    }
    (out, ExitCode::FAILURE)
}
