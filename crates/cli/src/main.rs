//! The `rtw` command.
fn main() {}
