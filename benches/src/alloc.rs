//! Allocation counts beside criterion's times, so that a zero-copy claim is
//! measured rather than asserted:
//! `cargo bench -p rtw-benches --features count-allocations`.
//!
//! With that feature, each bench binary installs a counting allocator with
//! [`count_allocations!`](crate::count_allocations) (the global allocator
//! must be declared by the binary), and [`crate::Group`] calls [`report`]
//! or [`report_batched`] before timing each bench. These run the routine
//! once to warm it up (lazy statics, grown scratch buffers), once more
//! under count, and print one line:
//!
//! ```text
//! allocs  chunked_decode_64B/rtw: 16,386 allocations, 1,048,576 bytes per iteration
//! ```
//!
//! The count is of calls to `alloc` and `realloc`; bytes are those
//! requested by them. The counters are process-wide, so a routine that
//! spawns threads is counted with them. Benches that the command line's
//! filter leaves out (`cargo bench -- FILTER`, a regular expression as
//! criterion reads it, or an exact name with `--exact`) are not run.
//!
//! The counting allocator adds four atomic operations to each allocation
//! and its release (about 11 ns per pair, measured on the SDP parse), so
//! times from a counting run are slower than the plain run's, more so for
//! code that allocates much. Without the feature, [`report`] does nothing
//! and the macro installs nothing.

#[cfg(feature = "count-allocations")]
use std::alloc::System;

#[cfg(feature = "count-allocations")]
pub use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

/// With the `count-allocations` feature, install the counting allocator
/// as the global allocator of this bench binary ([`report`] panics in a
/// binary that lacks it); without, nothing.
#[cfg(feature = "count-allocations")]
#[macro_export]
macro_rules! count_allocations {
    () => {
        #[global_allocator]
        static GLOBAL: &$crate::alloc::StatsAlloc<::std::alloc::System> =
            &$crate::alloc::INSTRUMENTED_SYSTEM;
    };
}

/// With the `count-allocations` feature, install the counting allocator
/// as the global allocator of this bench binary; without, nothing.
#[cfg(not(feature = "count-allocations"))]
#[macro_export]
macro_rules! count_allocations {
    () => {};
}

/// Allocations made by one run of a routine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocations {
    /// Calls to `alloc` and `realloc`.
    pub count: usize,
    /// Bytes those calls asked for.
    pub bytes: usize,
}

#[cfg(feature = "count-allocations")]
fn region() -> Region<'static, System> {
    Region::new(&INSTRUMENTED_SYSTEM)
}

#[cfg(feature = "count-allocations")]
/// Panic unless the counting allocator is this binary's global allocator,
/// so that a bench never prints "0 allocations" because nothing counted.
fn assert_installed() {
    let region = region();
    std::hint::black_box(Box::new(0u64));
    assert!(
        region.change().allocations > 0,
        "the counting allocator is not installed: add rtw_benches::count_allocations!() to the bench"
    );
}

#[cfg(feature = "count-allocations")]
/// Count the allocations of the second of two runs of `routine`.
pub fn measure<R>(mut routine: impl FnMut() -> R) -> Allocations {
    assert_installed();
    drop(std::hint::black_box(routine()));
    let region = region();
    let out = std::hint::black_box(routine());
    let stats = region.change();
    drop(out);
    Allocations {
        count: stats.allocations + stats.reallocations,
        bytes: stats.bytes_allocated + stats.bytes_reallocated.max(0) as usize,
    }
}

#[cfg(feature = "count-allocations")]
/// Count the allocations of `routine` on an input made by `setup`, which is
/// not counted (the counterpart of criterion's `iter_batched`).
pub fn measure_batched<I, R>(
    mut setup: impl FnMut() -> I,
    mut routine: impl FnMut(I) -> R,
) -> Allocations {
    assert_installed();
    drop(std::hint::black_box(routine(setup())));
    let input = setup();
    let region = region();
    let out = std::hint::black_box(routine(input));
    let stats = region.change();
    drop(out);
    Allocations {
        count: stats.allocations + stats.reallocations,
        bytes: stats.bytes_allocated + stats.bytes_reallocated.max(0) as usize,
    }
}

/// Print the allocations per iteration of the bench `id` (as criterion
/// names it, `group/function`), if the command line selects it.
pub fn report<R>(id: &str, routine: impl FnMut() -> R) {
    #[cfg(feature = "count-allocations")]
    if selected(id) {
        print(id, measure(routine));
    }
    #[cfg(not(feature = "count-allocations"))]
    let _ = (id, routine);
}

/// [`report`] for a routine timed with `iter_batched`: `setup` is not
/// counted.
pub fn report_batched<I, R>(id: &str, setup: impl FnMut() -> I, routine: impl FnMut(I) -> R) {
    #[cfg(feature = "count-allocations")]
    if selected(id) {
        print(id, measure_batched(setup, routine));
    }
    #[cfg(not(feature = "count-allocations"))]
    let _ = (id, setup, routine);
}

#[cfg(feature = "count-allocations")]
/// Criterion's options that take a value, so that the value is not read
/// as the filter.
const VALUE_OPTIONS: &[&str] = &[
    "-b",
    "-c",
    "-s",
    "--baseline",
    "--baseline-lenient",
    "--color",
    "--confidence-level",
    "--format",
    "--load-baseline",
    "--measurement-time",
    "--noise-threshold",
    "--nresamples",
    "--output-format",
    "--plotting-backend",
    "--profile-time",
    "--sample-size",
    "--save-baseline",
    "--significance-level",
    "--warm-up-time",
];

#[cfg(feature = "count-allocations")]
/// Whether the filter on the command line, if any, selects `id`.
fn selected(id: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exact = args.iter().any(|a| a == "--exact");
    let mut filter = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if VALUE_OPTIONS.contains(&arg.as_str()) {
            rest.next();
        } else if !arg.starts_with('-') {
            filter = Some(arg);
            break;
        }
    }
    match filter {
        None => true,
        Some(f) if exact => f == id,
        Some(f) => {
            regex::Regex::new(f).map_or_else(|_| id.contains(f.as_str()), |r| r.is_match(id))
        }
    }
}

#[cfg(feature = "count-allocations")]
fn print(id: &str, a: Allocations) {
    println!(
        "allocs  {id}: {} allocations, {} bytes per iteration",
        grouped(a.count),
        grouped(a.bytes)
    );
}

#[cfg(feature = "count-allocations")]
/// `n` with thousands separators, as the notes quote figures.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(all(test, feature = "count-allocations"))]
mod tests {
    use super::grouped;

    #[test]
    fn thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(16_386), "16,386");
        assert_eq!(grouped(1_048_576), "1,048,576");
    }
}
