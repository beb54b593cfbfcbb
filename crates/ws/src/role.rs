//! Which end of the connection we are.

/// The role of an endpoint (RFC 6455 §1.3, §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The endpoint that sent the opening handshake; masks every frame it
    /// sends and fails on masked frames from the server.
    Client,
    /// The endpoint that accepted it; sends unmasked frames and fails on
    /// unmasked frames from the client.
    Server,
}
