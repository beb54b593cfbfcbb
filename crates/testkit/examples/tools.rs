//! Checks that the outside programs the rtw tests talk to are installed
//! (Chromium, curl, Python 3), as `rtw_testkit::require_tool` does in each
//! test, and prints each one's version; exits non-zero naming the install
//! command for the first one missing.
//!
//! ```sh
//! cargo run -p rtw-testkit --example tools
//! ```

use std::process::Command;

use rtw_testkit::require_tool;

fn main() {
    for tool in ["chromium", "curl", "python3"] {
        require_tool(tool);
        let out = Command::new(tool)
            .arg("--version")
            .output()
            .expect("it ran a moment ago");
        let version = String::from_utf8_lossy(&out.stdout);
        println!("{tool}: {}", version.lines().next().unwrap_or("").trim());
    }
}
