//! `rtw multipart`: multipart bodies (RFC 2046 §5.1) on stdin, with
//! [`rtw_multipart`].
//!
//! - `rtw multipart split DIR [--boundary B]`: the parts of the body on
//!   stdin (an M-JPEG `multipart/x-mixed-replace` stream, a streamed
//!   `multipart/mixed`) written to DIR, one file each: `part-00001.jpg`,
//!   `part-00002.jpg`, ..., the extension from the part's `Content-Type`
//!   (`.bin` when unknown or absent). One line per part on stdout: file
//!   name, content type (`-` when none), size in bytes. The boundary is
//!   `B`, or the first line of the input that starts with `--` when it is
//!   not given. The decoder is lenient ([`rtw_multipart::Config::lenient`]),
//!   as real cameras need: a stream that ends between parts is complete.
//!   Input that breaks the framing, or ends inside a part, exits with 1
//!   and the reason on stderr; the parts before it are written.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bytes::BytesMut;
use clap::Subcommand;
use rtw_multipart::{Boundary, Config, Decoder, Item, Part};

/// How much is read from stdin at once.
const READ_SIZE: usize = 64 * 1024;

/// `rtw multipart`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write each part of the multipart body on stdin to a file in DIR
    /// (part-00001.jpg, ...), printing one line per part: file, content
    /// type, size.
    Split {
        /// The directory to write to; created if missing.
        dir: PathBuf,
        /// The boundary (RFC 2046 §5.1.1), as in the Content-Type's
        /// `boundary=` parameter; found from the first `--` line of the
        /// input when not given.
        #[arg(long, value_name = "B", value_parser = parse_boundary)]
        boundary: Option<Boundary>,
    },
}

fn parse_boundary(value: &str) -> Result<Boundary, String> {
    Boundary::new(value).map_err(|e| e.to_string())
}

/// Run `rtw multipart ...`.
pub(crate) fn run(args: Args) -> ExitCode {
    let Command::Split { dir, boundary } = args.command;
    match split(io::stdin().lock(), &mut io::stdout().lock(), &dir, boundary) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("rtw multipart split: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// Why `split` failed.
#[derive(Debug)]
enum Failure {
    /// The input breaks the multipart framing.
    Multipart(rtw_multipart::Error),
    /// No `--boundary` line within the preamble limit, or before the end.
    NoBoundary,
    /// Reading or writing failed; the string says what.
    Io(String, io::Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Multipart(e) => e.fmt(f),
            Failure::NoBoundary => f.write_str(
                "no line starting with \"--\" to take the boundary from; give it with --boundary",
            ),
            Failure::Io(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

/// Read into `buf` ([`crate::input::read_some`]); 0 means end of input.
fn read_some(input: &mut impl Read, buf: &mut [u8]) -> Result<usize, Failure> {
    crate::input::read_some(input, buf).map_err(|e| Failure::Io("reading stdin".into(), e))
}

fn split(
    mut input: impl Read,
    out: &mut impl Write,
    dir: &Path,
    boundary: Option<Boundary>,
) -> Result<(), Failure> {
    fs::create_dir_all(dir).map_err(|e| Failure::Io(format!("creating {}", dir.display()), e))?;
    let config = Config::lenient();
    let mut src = BytesMut::with_capacity(READ_SIZE);
    let mut buf = vec![0; READ_SIZE];
    let mut eof = false;
    let boundary = match boundary {
        Some(b) => b,
        None => loop {
            if let Some(b) = Boundary::sniff(&src).map_err(Failure::Multipart)? {
                break b;
            }
            if eof || src.len() > config.limits.max_preamble_size {
                return Err(Failure::NoBoundary);
            }
            let n = read_some(&mut input, &mut buf)?;
            src.extend_from_slice(&buf[..n]);
            eof = n == 0;
        },
    };
    let mut decoder = Decoder::with_config(boundary, config);
    let mut written = 0u32;
    loop {
        loop {
            let item = if eof {
                decoder.decode_eof(&mut src)
            } else {
                decoder.decode(&mut src)
            };
            match item.map_err(Failure::Multipart)? {
                Some(Item::Part(part)) => {
                    written += 1;
                    write_part(out, dir, written, &part)?;
                }
                Some(Item::End) => {}
                // Item is #[non_exhaustive].
                Some(_) => {}
                None => break,
            }
        }
        if eof {
            return Ok(());
        }
        let n = read_some(&mut input, &mut buf)?;
        src.extend_from_slice(&buf[..n]);
        eof = n == 0;
    }
}

fn write_part(out: &mut impl Write, dir: &Path, n: u32, part: &Part) -> Result<(), Failure> {
    let content_type = part.content_type();
    let name = format!("part-{n:05}.{}", extension(content_type));
    let path = dir.join(&name);
    fs::write(&path, &part.body)
        .map_err(|e| Failure::Io(format!("writing {}", path.display()), e))?;
    writeln!(
        out,
        "{name} {} {}",
        content_type.unwrap_or("-"),
        part.body.len()
    )
    .and_then(|()| out.flush())
    .map_err(|e| Failure::Io("writing stdout".into(), e))
}

/// The file extension for a media type (its parameters ignored).
fn extension(content_type: Option<&str>) -> &'static str {
    let essence = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("image/jpeg" | "image/jpg" | "image/pjpeg") => "jpg",
        Some("image/png") => "png",
        Some("image/gif") => "gif",
        Some("image/webp") => "webp",
        Some("image/bmp") => "bmp",
        Some("text/plain") => "txt",
        Some("text/html") => "html",
        Some("application/json") => "json",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn extensions() {
        assert_eq!(extension(Some("image/jpeg")), "jpg");
        assert_eq!(extension(Some("Image/JPEG; q=1")), "jpg");
        assert_eq!(extension(Some("text/plain; charset=utf-8")), "txt");
        assert_eq!(extension(Some("video/x-unknown")), "bin");
        assert_eq!(extension(None), "bin");
    }
}
