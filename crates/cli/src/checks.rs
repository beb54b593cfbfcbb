//! What the commands that check a peer (`rtw stomp check`, `rtw socketio
//! check`) and the other one-shot async commands share: a current-thread
//! runtime with the command's name on its errors, and the `ok`/`FAIL`
//! lines of a list of checks.

use std::error::Error;
use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

/// Why a command failed, printed after its name.
pub(crate) type Failure = Box<dyn Error + Send + Sync>;

/// Runs `command` on a current-thread runtime: exit 0 when it succeeds,
/// else `rtw NAME: WHY` on stderr and exit 1.
pub(crate) fn block_on(name: &str, command: impl Future<Output = Result<(), Failure>>) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Failure::from)
        .and_then(|runtime| runtime.block_on(command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rtw {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `check` for each of `names` in turn, each within `bound`, and
/// prints one line each, `ok    NAME: what was seen` or `FAIL  NAME: why`,
/// then `rtw COMMAND TARGET: N passed, N failed` on stderr. An error when
/// one failed.
pub(crate) async fn run_checks<'a, F, Fut>(
    command: &str,
    target: &str,
    names: impl IntoIterator<Item = &'a str>,
    bound: Duration,
    mut check: F,
) -> Result<(), Failure>
where
    F: FnMut(&'a str) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let (mut passed, mut failed) = (0, 0);
    for name in names {
        let result = match tokio::time::timeout(bound, check(name)).await {
            Ok(result) => result,
            Err(_) => Err(format!("not done within {} s", bound.as_secs())),
        };
        match result {
            Ok(detail) => {
                passed += 1;
                println!("ok    {name}: {detail}");
            }
            Err(why) => {
                failed += 1;
                println!("FAIL  {name}: {why}");
            }
        }
    }
    eprintln!("rtw {command} {target}: {passed} passed, {failed} failed");
    if failed > 0 {
        return Err(format!("{failed} check(s) failed").into());
    }
    Ok(())
}
