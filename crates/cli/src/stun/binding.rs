//! `rtw stun binding SERVER`: one Binding transaction with
//! [`rtw_tokio::stun::binding_with`]; the mapped address on stdout.

use std::net::SocketAddr;

use rtw_tokio::stun::TransactionConfig;

use super::{Failure, client_socket, resolve};

/// Ask `server` for our mapped address from `local` and print it.
pub(super) async fn run(
    server: &str,
    local: Option<SocketAddr>,
    config: TransactionConfig,
    verbose: bool,
) -> Result<(), Failure> {
    let server = resolve(server).await?;
    let socket = client_socket(server, local).await?;
    if verbose {
        eprintln!("local {} -> server {server}", socket.local_addr()?);
    }
    let mapped = rtw_tokio::stun::binding_with(&socket, server, config).await?;
    println!("{mapped}");
    Ok(())
}
