//! Outside programs a test talks to (Chromium, curl, Python): a missing
//! one fails the test loudly, naming how to install it. Nothing skips.

use std::process::Command;

/// The Debian package that provides `tool`, as `scripts/need-apt` takes
/// it (`turnserver` comes with `coturn`; most tools are their own package).
fn debian_package(tool: &str) -> &str {
    match tool {
        "turnserver" => "coturn",
        "python" => "python3",
        other => other,
    }
}

/// How to install `tool` on this project's machines: the command to run
/// from the repository root.
pub fn install_hint(tool: &str) -> String {
    format!(
        "install it with `bash scripts/need-apt {}` (the README's test command, \
         `bash scripts/test`, installs every tool the tests need)",
        debian_package(tool)
    )
}

/// Panic unless `tool --version` runs and succeeds: a missing peer fails
/// the test, with the command that installs it in the message.
pub fn require_tool(tool: &str) {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`{tool} --version` failed ({}); this test needs {tool}: {}",
            out.status,
            install_hint(tool)
        ),
        Err(e) => panic!(
            "this test needs {tool}, which could not be run ({e}): {}",
            install_hint(tool)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_names_the_debian_package() {
        assert!(install_hint("chromium").contains("`bash scripts/need-apt chromium`"));
        assert!(install_hint("turnserver").contains("`bash scripts/need-apt coturn`"));
    }

    #[test]
    #[should_panic(expected = "bash scripts/need-apt rtw-no-such-tool")]
    fn a_missing_tool_fails_naming_the_install_command() {
        require_tool("rtw-no-such-tool");
    }

    #[test]
    fn a_present_tool_passes() {
        // cargo runs this test and says where it is.
        require_tool(&std::env::var("CARGO").expect("cargo sets CARGO"));
    }
}
