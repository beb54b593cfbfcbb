//! What the `rtw_tokio::serve` tests share: a `ServeService` on a real
//! hyper HTTP/1.1 server (with upgrades) on 127.0.0.1.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use rtw_hub::Config as HubConfig;
use rtw_tokio::serve::{ServeConfig, ServeService, SharedHub};
use tokio::net::TcpListener;

/// Serves `service` on 127.0.0.1:0 until the test's runtime ends; its
/// address.
pub async fn serve(service: ServeService) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let connection = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service.clone())
                .with_upgrades();
            tokio::spawn(connection);
        }
    });
    addr
}

/// A server with `config` over a new hub with `hub`; its address and hub.
pub async fn server(config: ServeConfig, hub: HubConfig) -> (SocketAddr, SharedHub) {
    let hub = SharedHub::new(hub);
    (serve(ServeService::new(config, hub.clone())).await, hub)
}
