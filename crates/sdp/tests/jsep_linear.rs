//! `check_jsep` takes time linear in the number of media sections: a
//! BUNDLEd offer with four times the sections takes about four times as
//! long to check, not sixteen or sixty-four times (an earlier checker
//! looked every BUNDLE group and mid up again for each section: 4,900
//! sections took nine minutes).

#[path = "common/bundled.rs"]
mod bundled;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use rtw_sdp::SessionDescription;

/// Runs of each size; the fastest counts, so a busy machine's pauses do
/// not.
const RUNS: usize = 7;

/// The largest accepted ratio of the times of 4,000 and 1,000 sections:
/// linear is 4, quadratic 16, cubic 64. The margin above 4 absorbs a
/// loaded machine (a ratio of 6 was seen with five builds running), and
/// still fails a quadratic checker.
const MAX_RATIO: f64 = 10.0;

fn check_time(sd: &SessionDescription) -> Duration {
    let start = Instant::now();
    let problems = sd.check_jsep();
    let elapsed = start.elapsed();
    assert!(
        problems.is_empty(),
        "{:?}",
        &problems[..problems.len().min(3)]
    );
    elapsed
}

fn parse(sections: usize) -> SessionDescription {
    let sd = SessionDescription::parse(&bundled::bundled_offer(sections)).unwrap();
    assert_eq!(sd.media.len(), sections);
    sd
}

#[test]
fn check_jsep_is_linear_in_bundled_sections() {
    let small = parse(1_000);
    // Repeats stop after a second: a slow checker fails as soon as it can.
    let start = Instant::now();
    let t_small = (0..RUNS)
        .map_while(|_| (start.elapsed() < Duration::from_secs(1)).then(|| check_time(&small)))
        .min()
        .unwrap();
    // A slow checker is given up on once one run of the large offer has
    // taken well over the accepted ratio, rather than waited for.
    let give_up = t_small.mul_f64(2.0 * MAX_RATIO) + Duration::from_secs(1);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let large = parse(4_000);
        let _ = tx.send(None);
        for _ in 0..RUNS {
            if tx.send(Some(check_time(&large))).is_err() {
                return;
            }
        }
    });
    rx.recv().expect("the large offer parses");
    let mut t_large = Duration::MAX;
    for _ in 0..RUNS {
        match rx.recv_timeout(give_up) {
            Ok(t) => t_large = t_large.min(t.expect("a time")),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "checking 4,000 sections took over {give_up:?}, \
                 against {t_small:?} for 1,000"
            ),
            Err(e) => panic!("{e}"),
        }
    }
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
    assert!(
        ratio < MAX_RATIO,
        "1,000 sections: {t_small:?}, 4,000 sections: {t_large:?}: ratio {ratio:.1}, \
         linear would be 4"
    );
    eprintln!("1,000 sections: {t_small:?}, 4,000: {t_large:?}, ratio {ratio:.2}");
}
