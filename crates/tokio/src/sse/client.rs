//! A [`Connector`] for `http://` URLs over hyper's HTTP/1.1 client.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Uri};
use http_body::Body;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rtw_sse::{ConnectRequest, EventSourceConfig};
use tokio::net::TcpStream;

use super::connector::{Connection, Connector};
use super::source::EventSource;

/// What [`HyperConnector`] fails with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HyperError {
    /// The URL is not an `http://` URL with a host. (`https://` needs TLS,
    /// which this connector does not do: give [`EventSource`] a
    /// [`Connector`] of your own for it.)
    #[error("{0}")]
    Url(String),
    /// A header given to [`HyperConnector::header`] is not a valid field.
    #[error("invalid header field: {0}")]
    Header(String),
    /// Connecting the TCP stream failed.
    #[error("connecting: {0}")]
    Io(#[from] io::Error),
    /// The HTTP exchange failed (the connection closed early, a malformed
    /// response, a body cut short).
    #[error(transparent)]
    Http(#[from] hyper::Error),
}

/// Opens each connection of an [`EventSource`] to one `http://` URL: a new
/// TCP connection and an HTTP/1.1 GET with hyper's client, with the
/// headers the EventSource asks for and any given with
/// [`HyperConnector::header`].
///
/// Redirects are not followed: a 3xx response is a status other than 200,
/// which fails the EventSource.
#[derive(Debug, Clone)]
pub struct HyperConnector {
    host: String,
    port: u16,
    authority: HeaderValue,
    target: Uri,
    headers: HeaderMap,
}

impl HyperConnector {
    /// A connector for `url`, which must be `http://HOST[:PORT][/PATH][?QUERY]`.
    pub fn new(url: &str) -> Result<Self, HyperError> {
        let uri: Uri = url
            .parse()
            .map_err(|e| HyperError::Url(format!("{url:?} is not a URL: {e}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(HyperError::Url(format!(
                    "{url:?}: https needs TLS, which HyperConnector does not do; \
                     give EventSource a Connector of your own"
                )));
            }
            _ => return Err(HyperError::Url(format!("{url:?} is not an http:// URL"))),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| HyperError::Url(format!("{url:?} has no host")))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let target = uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|e| HyperError::Url(format!("{url:?}: {e}")))?;
        Ok(HyperConnector {
            host,
            port: authority.port_u16().unwrap_or(80),
            authority: HeaderValue::from_str(authority.as_str())
                .map_err(|e| HyperError::Url(format!("{url:?}: {e}")))?,
            target,
            headers: HeaderMap::new(),
        })
    }

    /// Send `name: value` with every request too (credentials, say).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, HyperError> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HyperError::Header(format!("{name:?} is not a field name")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| HyperError::Header(format!("{value:?} is not a field value")))?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// The request for `connect`.
    fn request(&self, connect: &ConnectRequest) -> Result<Request<Empty<Bytes>>, HyperError> {
        let mut request = Request::get(self.target.clone())
            .body(Empty::new())
            .map_err(|e| HyperError::Url(e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(HOST, self.authority.clone());
        for (name, value) in connect.headers() {
            let value = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|_| HyperError::Header(format!("{name}: {value:?}")))?;
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HyperError::Header(format!("{name:?} is not a field name")))?;
            headers.insert(name, value);
        }
        for (name, value) in &self.headers {
            headers.append(name, value.clone());
        }
        Ok(request)
    }
}

impl Connector for HyperConnector {
    type Body = HyperBody;
    type Error = HyperError;

    fn connect(
        &mut self,
        connect: ConnectRequest,
    ) -> impl Future<Output = Result<Connection<HyperBody>, HyperError>> + Send {
        let request = self.request(&connect);
        let (host, port) = (self.host.clone(), self.port);
        async move {
            let request = request?;
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            tcp.set_nodelay(true)?;
            let (mut sender, conn) = http1::handshake(TokioIo::new(tcp)).await?;
            // The connection task runs inside the body, so nothing is
            // spawned and dropping the body closes the connection.
            let mut conn = Some(conn);
            let mut response = Box::pin(sender.send_request(request));
            let response = std::future::poll_fn(|cx| {
                if let Some(c) = &mut conn {
                    match Pin::new(c).poll(cx) {
                        Poll::Ready(Ok(())) => conn = None,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => {}
                    }
                }
                response.as_mut().poll(cx)
            })
            .await?;
            drop(sender);
            let content_type = join_values(response.headers().get_all(CONTENT_TYPE));
            Ok(Connection {
                status: response.status().as_u16(),
                content_type,
                body: HyperBody {
                    body: response.into_body(),
                    conn,
                },
            })
        }
    }
}

/// Field lines of one name joined with `, ` (Fetch's "get"), `None` when
/// there are none.
fn join_values(values: http::header::GetAll<'_, HeaderValue>) -> Option<String> {
    let mut joined: Option<String> = None;
    for value in values {
        let value = String::from_utf8_lossy(value.as_bytes());
        match &mut joined {
            None => joined = Some(value.into_owned()),
            Some(s) => {
                s.push_str(", ");
                s.push_str(&value);
            }
        }
    }
    joined
}

/// The response body of a [`HyperConnector`] connection, which also drives
/// the connection.
pub struct HyperBody {
    body: Incoming,
    conn: Option<http1::Connection<TokioIo<TcpStream>, Empty<Bytes>>>,
}

impl std::fmt::Debug for HyperBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperBody").finish_non_exhaustive()
    }
}

impl Stream for HyperBody {
    type Item = Result<Bytes, HyperError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(conn) = &mut this.conn {
            match Pin::new(conn).poll(cx) {
                Poll::Ready(Ok(())) => this.conn = None,
                Poll::Ready(Err(e)) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(e.into())));
                }
                Poll::Pending => {}
            }
        }
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        return Poll::Ready(Some(Ok(data)));
                    }
                    // Trailers and empty chunks carry no events.
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// An [`EventSource`] for `url` (`http://` only) over a [`HyperConnector`],
/// with the standard's behaviour; it connects at the first
/// [`EventSource::next`].
pub fn connect(url: &str) -> Result<EventSource<HyperConnector>, HyperError> {
    Ok(EventSource::new(HyperConnector::new(url)?))
}

/// [`connect`] with `config`.
pub fn connect_with(
    url: &str,
    config: EventSourceConfig,
) -> Result<EventSource<HyperConnector>, HyperError> {
    Ok(EventSource::with_config(HyperConnector::new(url)?, config))
}
