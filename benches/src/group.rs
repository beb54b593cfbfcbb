//! [`Group`]: a criterion benchmark group that prints each bench's
//! allocations per iteration (see [`crate::alloc`]) before timing it.

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput};

use crate::alloc;

/// A criterion benchmark group whose benches also report their
/// allocations, under the same `group/function` id criterion prints.
pub struct Group<'a> {
    name: String,
    inner: BenchmarkGroup<'a, WallTime>,
}

impl<'a> Group<'a> {
    /// Open the group `name` (criterion's `benchmark_group`).
    pub fn new(c: &'a mut Criterion, name: impl Into<String>) -> Self {
        let name = name.into();
        let inner = c.benchmark_group(name.clone());
        Group { name, inner }
    }

    /// Set the throughput of the benches that follow.
    pub fn throughput(&mut self, throughput: Throughput) -> &mut Self {
        self.inner.throughput(throughput);
        self
    }

    /// Report the allocations of one run of `routine`, then time it
    /// (criterion's `bench_function` with `Bencher::iter`).
    pub fn bench<R>(&mut self, function: &str, mut routine: impl FnMut() -> R) -> &mut Self {
        alloc::report(&format!("{}/{function}", self.name), &mut routine);
        self.inner
            .bench_function(function, |b| b.iter(&mut routine));
        self
    }

    /// [`Group::bench`] for a routine that consumes an input made by
    /// `setup`, neither counted nor timed (`Bencher::iter_batched`).
    pub fn bench_batched<I, R>(
        &mut self,
        function: &str,
        mut setup: impl FnMut() -> I,
        mut routine: impl FnMut(I) -> R,
        size: BatchSize,
    ) -> &mut Self {
        alloc::report_batched(
            &format!("{}/{function}", self.name),
            &mut setup,
            &mut routine,
        );
        self.inner
            .bench_function(function, |b| b.iter_batched(&mut setup, &mut routine, size));
        self
    }

    /// Close the group (criterion's `finish`).
    pub fn finish(self) {
        self.inner.finish();
    }
}
