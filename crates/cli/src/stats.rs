//! `--stats-interval SECS` of the rtw servers (`rtw turn serve`, `rtw
//! stomp broker`): their counters on stderr, one line every SECS seconds.

use std::time::Duration;

use tokio::sync::watch;

/// Spawns a task that prints `line` of the latest counters on stderr
/// every `secs` seconds (at least 1), for as long as the runtime runs.
pub(crate) fn print_every<T>(secs: u64, mut stats: watch::Receiver<T>, line: fn(&T) -> String)
where
    T: Copy + Send + Sync + 'static,
{
    let every = Duration::from_secs(secs.max(1));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let s = *stats.borrow_and_update();
            eprintln!("{}", line(&s));
        }
    });
}
