//! An application that mounts `rtw serve`'s transports under `/rt` beside
//! a handler of its own (`/hello`), on hyper, with the hub handed in; then
//! a client publishes and polls through it on loopback, and the program
//! exits. With an address (`... -- 127.0.0.1:8080`) it keeps serving, for
//! a browser or curl:
//!
//! ```sh
//! cargo run -p rtw-tokio --example serve_embed
//! cargo run -p rtw-tokio --example serve_embed -- 127.0.0.1:8080 &
//! curl -N http://127.0.0.1:8080/rt/topics/demo/events &
//! curl -d hello -H 'Content-Type: text/plain' http://127.0.0.1:8080/rt/topics/demo
//! ```
//!
//! `ServeService` is a hyper `Service` for any request body; the
//! application routes to it by path and keeps its own routes. In axum the
//! same service goes in a `nest_service` (see the module docs of
//! `rtw_tokio::serve`, "Embedding").

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rtw_tokio::serve::hub::Config as HubConfig;
use rtw_tokio::serve::{ServeBody, ServeConfig, ServeService, SharedHub};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The application's router: its own `/hello`, the transports under `/rt`.
async fn app(
    rt: ServeService,
    request: Request<Incoming>,
) -> Result<Response<ServeBody>, Infallible> {
    let path = request.uri().path();
    if path == "/rt" || path.starts_with("/rt/") {
        return rt.call(request).await;
    }
    let text = match path {
        "/hello" => {
            // The application may publish too: the hub is shared.
            match rt
                .hub()
                .publish("visits", Bytes::from("someone said hello"))
            {
                Ok(id) => format!("hello from the application (message {id} of topic visits)\n"),
                Err(e) => format!("hello from the application ({e})\n"),
            }
        }
        _ => "the application's own 404\n".to_owned(),
    };
    Ok(Response::new(Full::new(Bytes::from(text)).boxed_unsync()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keep_serving = std::env::args().nth(1);
    let listener = TcpListener::bind(keep_serving.as_deref().unwrap_or("127.0.0.1:0")).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");

    let hub = SharedHub::new(HubConfig::default());
    let rt = ServeService::new(ServeConfig::default().prefix("/rt"), hub);
    let server = async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let rt = rt.clone();
            let service = service_fn(move |request| app(rt.clone(), request));
            let connection = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::spawn(connection);
        }
    };
    if keep_serving.is_some() {
        server.await;
        return Ok(());
    }
    tokio::spawn(server);

    print!("{}", get(addr, "GET /hello", "").await?);
    print!("{}", get(addr, "POST /rt/topics/demo", "one").await?);
    print!("{}", get(addr, "POST /rt/topics/demo", "two").await?);
    print!(
        "{}",
        get(addr, "GET /rt/topics/demo/poll?since=0", "").await?
    );
    println!("{}", get(addr, "GET /rt/topics/visits/poll", "").await?);
    Ok(())
}

/// One HTTP/1.1 exchange (`Connection: close`); the response body.
async fn get(addr: std::net::SocketAddr, line: &str, body: &str) -> std::io::Result<String> {
    let mut tcp = TcpStream::connect(addr).await?;
    let request = format!(
        "{line} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tcp.read_to_string(&mut response).await?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok(format!("{line} -> {}\n", body.trim_end()))
}
