//! Input far over a limit costs `rtw` no more memory than the limit: 200 MB
//! piped into `rtw sdp`, `rtw stun decode` and `rtw ice candidate`. The
//! subcommands that parse their whole input stop reading one byte past
//! their limit and exit 1 naming it; `rtw ice candidate` reads an overlong
//! line to its end without keeping it. Peak memory is read from
//! `/proc/PID/status` (`VmHWM`) while `rtw` runs.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What is offered on stdin.
const FLOOD: u64 = 200_000_000;

/// The peak resident memory allowed, in KiB. `rtw` itself needs a few MiB;
/// reading the flood whole would take 200 MB.
const MAX_PEAK_KIB: u64 = 64 * 1024;

/// How long `rtw` may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What a flooded run did.
struct Flooded {
    code: Option<i32>,
    stderr: String,
    /// Bytes `rtw` took from the pipe before it closed it or the flood
    /// ended (the pipe's buffer included).
    written: u64,
    /// The largest `VmHWM` seen, in KiB; `None` if `rtw` was gone before
    /// the first look.
    peak_kib: Option<u64>,
}

/// The `VmHWM` (peak resident set) of process `pid`, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Run `rtw ARGS` with [`FLOOD`] bytes of `byte` offered on stdin, written
/// as `rtw` reads them (never held whole here), watching its memory.
fn flood(args: &[&str], byte: u8) -> Flooded {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rtw"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning rtw");
    let mut stdin = child.stdin.take().unwrap();
    let writer = thread::spawn(move || {
        let block = vec![byte; 64 * 1024];
        let mut written = 0;
        while written < FLOOD {
            let left = usize::try_from(FLOOD - written).unwrap_or(usize::MAX);
            match stdin.write(&block[..block.len().min(left)]) {
                Ok(n) => written += n as u64,
                // rtw closed its stdin: it read all it wanted.
                Err(_) => break,
            }
        }
        written
    });
    let mut stderr = child.stderr.take().unwrap();
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let start = Instant::now();
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = Some(peak.map_or(kib, |p| p.max(kib)));
        }
        if let Some(status) = child.try_wait().expect("waiting for rtw") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rtw {args:?} still runs after {TIMEOUT:?}, peak {peak:?} KiB");
        }
        thread::sleep(Duration::from_millis(2));
    };
    Flooded {
        code: status.code(),
        stderr: reader.join().unwrap(),
        written: writer.join().unwrap(),
        peak_kib: peak,
    }
}

/// `rtw ARGS` stopped reading soon after `limit` bytes, exited 1 and said
/// on stderr that stdin holds more than `limit` bytes; its memory stayed
/// low.
fn assert_stops_at(args: &[&str], limit: usize) {
    let run = flood(args, b'a');
    assert_eq!(run.code, Some(1), "rtw {args:?}: {}", run.stderr);
    assert_peak_below_max(args, run.peak_kib);
    // The limit, what the pipe buffers, and one block of the writer.
    let slack = 4 << 20;
    assert!(
        run.written < (limit + slack) as u64,
        "rtw {args:?} read {} bytes for a limit of {limit}",
        run.written
    );
    let said = format!("stdin holds more than {limit} bytes, the limit of ");
    assert!(run.stderr.contains(&said), "rtw {args:?}: {}", run.stderr);
}

fn assert_peak_below_max(args: &[&str], peak_kib: Option<u64>) {
    if cfg!(target_os = "linux") {
        if let Some(peak) = peak_kib {
            assert!(
                peak < MAX_PEAK_KIB,
                "rtw {args:?} peaked at {peak} KiB resident"
            );
        }
    }
}

#[test]
fn sdp_reads_at_most_its_size_limit_plus_one_byte() {
    let limit = 1 << 20; // rtw_sdp::Limits::default().max_size
    for command in ["fmt", "json", "check"] {
        assert_stops_at(&["sdp", command], limit);
    }
}

#[test]
fn stun_decode_reads_at_most_its_input_limit_plus_one_byte() {
    assert_stops_at(&["stun", "decode"], 256 * 1024);
}

#[test]
fn ice_candidate_never_holds_an_overlong_line() {
    let args = ["ice", "candidate"];
    let run = flood(&args, b'a');
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    // The whole line is read, so the peak is seen.
    assert_eq!(run.written, FLOOD);
    assert!(run.peak_kib.is_some() || !cfg!(target_os = "linux"));
    assert_peak_below_max(&args, run.peak_kib);
    assert_eq!(
        run.stderr,
        "rtw ice candidate: line 1: longer than 1024 bytes, the limit of a candidate \
         (rtw_ice::Limits::max_candidate_len); skipped to its end\n"
    );
}
