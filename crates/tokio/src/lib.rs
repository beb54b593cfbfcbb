//! Thin tokio adapters for the rtw sans-IO protocol crates, one module per
//! protocol, each behind a feature of the same name.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
