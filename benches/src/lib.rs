//! Shared inputs for the rtw benches; the benches themselves are in `benches/`.
#![forbid(unsafe_code)]
