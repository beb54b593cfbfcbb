//! [`ServeService`]: the router, as a hyper [`Service`].

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::service::Service;

use super::config::{ServeConfig, Transport};
use super::cors::{self, Origin};
use super::metrics::{self, Label, ServeMetrics};
use super::query::Query;
use super::reply::{self, ServeBody};
use super::{SharedHub, assets, iframe, mjpeg, poll, publish, sse, stomp, stream, ws};

/// `rtw serve`'s transports as one hyper [`Service`] over a [`SharedHub`]:
/// the routes and what each does are in the [module docs](super).
///
/// It takes requests with any body `B: http_body::Body<Data = Bytes>`
/// (hyper's `Incoming`, axum's `Body`), so an application mounts it under
/// its own routes (see [`ServeConfig::prefix`] and
/// `examples/serve_embed.rs`). Serve it on a connection
/// `.with_upgrades()` so that WebSocket routes work. Cheap to clone: every
/// clone shares the hub, the configuration and the counters of held long
/// polls and open streams.
#[derive(Clone)]
pub struct ServeService {
    inner: Arc<Inner>,
}

/// What every request of one service shares.
pub(crate) struct Inner {
    pub(crate) config: ServeConfig,
    pub(crate) hub: SharedHub,
    pub(crate) longpolls: Arc<Gauge>,
    pub(crate) streams: Arc<Gauge>,
    pub(crate) ws_options: crate::ws::Options,
    /// The Socket.IO server, made at the first `/socket.io/` request.
    pub(crate) socketio: super::socketio::Slot,
    /// The counters of `GET /metrics`.
    pub(crate) metrics: Arc<ServeMetrics>,
    /// The HTTP publishes in progress, for the drain.
    pub(crate) publishing: Arc<super::gate::PublishGate>,
}

impl std::fmt::Debug for ServeService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeService")
            .field("config", &self.inner.config)
            .field("longpolls", &self.inner.longpolls.count())
            .field("streams", &self.inner.streams.count())
            .finish_non_exhaustive()
    }
}

/// A count of things held at once, with a cap.
#[derive(Debug)]
pub(crate) struct Gauge {
    count: AtomicUsize,
    max: usize,
}

/// One unit of a [`Gauge`], given back on drop.
#[derive(Debug)]
pub(crate) struct Permit(Arc<Gauge>);

impl Gauge {
    fn new(max: usize) -> Arc<Gauge> {
        Arc::new(Gauge {
            count: AtomicUsize::new(0),
            max,
        })
    }

    /// A permit, or `None` at the cap.
    pub(crate) fn acquire(self: &Arc<Self>) -> Option<Permit> {
        self.count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(self.clone()))
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ServeService {
    /// A service over `hub` configured by `config`.
    pub fn new(config: ServeConfig, hub: SharedHub) -> ServeService {
        let max_ws = u64::try_from(config.limits.max_body.saturating_mul(2)).unwrap_or(u64::MAX);
        let mut ws_options = config.ws_options.clone();
        let limits = &mut ws_options.config.limits;
        limits.max_message_size = limits.max_message_size.min(max_ws);
        ServeService {
            inner: Arc::new(Inner {
                longpolls: Gauge::new(config.limits.max_longpolls),
                streams: Gauge::new(config.limits.max_streams),
                ws_options,
                socketio: super::socketio::Slot::new(),
                metrics: Arc::default(),
                publishing: Arc::default(),
                config,
                hub,
            }),
        }
    }

    /// The hub it serves.
    pub fn hub(&self) -> &SharedHub {
        &self.inner.hub
    }

    /// Its configuration.
    pub fn config(&self) -> &ServeConfig {
        &self.inner.config
    }

    /// Long polls held now.
    pub fn held_longpolls(&self) -> usize {
        self.inner.longpolls.count()
    }

    /// Streaming connections open now (HTTP and iframe streams, SSE,
    /// WebSocket, M-JPEG).
    pub fn open_streams(&self) -> usize {
        self.inner.streams.count()
    }

    /// Its counters (what `GET /metrics` shows).
    pub fn metrics(&self) -> &ServeMetrics {
        &self.inner.metrics
    }

    /// The text `GET /metrics` answers: the Prometheus text exposition
    /// format 0.0.4 (`Content-Type` [`metrics::CONTENT_TYPE`]).
    pub fn metrics_text(&self) -> String {
        metrics_text(&self.inner)
    }

    /// The answer to `request` (what [`Service::call`] gives).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ServeBody>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
    {
        route(&self.inner, request).await
    }
}

impl<B> Service<Request<B>> for ServeService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<ServeBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ServeBody>, Infallible>> + Send>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { Ok(route(&inner, request).await) })
    }
}

/// The same service for tower (and so axum): always ready, since nothing
/// is held per request until it is routed; `call` is hyper's.
///
/// In axum: `Router::new().route("/hello", get(hello)).nest_service("/rt",
/// service)`, with [`ServeConfig::prefix`] left empty since
/// `nest_service` strips `/rt` itself.
impl<B> tower_service::Service<Request<B>> for ServeService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<ServeBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ServeBody>, Infallible>> + Send>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        Service::call(&*self, request)
    }
}

/// What a path names.
enum Route<'a> {
    Publish(&'a str),
    Topic(&'a str, &'a str),
    Stomp,
    SocketIo,
    Mjpeg,
    Metrics,
    Index,
    RtwJs,
    Other,
}

impl Route<'_> {
    /// The transport a route serves, if it is one ([`ServeConfig::refused`]).
    fn transport(&self) -> Option<Transport> {
        match self {
            Route::Topic(_, "poll") => Some(Transport::Poll),
            Route::Topic(_, "longpoll") => Some(Transport::Longpoll),
            Route::Topic(_, "stream") => Some(Transport::Stream),
            Route::Topic(_, "iframe") => Some(Transport::Iframe),
            Route::Topic(_, "events") => Some(Transport::Sse),
            Route::Topic(_, "ws") => Some(Transport::Ws),
            Route::Stomp => Some(Transport::Stomp),
            Route::SocketIo => Some(Transport::SocketIo),
            _ => None,
        }
    }

    /// The label its counters have in `GET /metrics`.
    fn label(&self) -> Option<Label> {
        match self {
            Route::Publish(_) => Some(Label::Http),
            Route::Mjpeg => Some(Label::Mjpeg),
            _ => self.transport().map(Label::Transport),
        }
    }
}

/// The path with the prefix taken off, or `None` outside it.
fn strip<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    if prefix.is_empty() {
        return Some(path);
    }
    match path.strip_prefix(prefix)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

fn parse(path: &str) -> Route<'_> {
    match path {
        "/stomp" => return Route::Stomp,
        "/mjpeg" => return Route::Mjpeg,
        "/metrics" => return Route::Metrics,
        "/" | "/index.html" => return Route::Index,
        "/rtw.js" => return Route::RtwJs,
        "/socket.io" => return Route::SocketIo,
        p if p.starts_with("/socket.io/") => return Route::SocketIo,
        _ => {}
    }
    let Some(rest) = path.strip_prefix("/topics/") else {
        return Route::Other;
    };
    match rest.split_once('/') {
        None => Route::Publish(rest),
        Some((topic, kind)) if !kind.contains('/') => Route::Topic(topic, kind),
        Some(_) => Route::Other,
    }
}

const TOPIC_KINDS: [&str; 6] = ["poll", "longpoll", "stream", "iframe", "events", "ws"];

async fn route<B>(inner: &Arc<Inner>, request: Request<B>) -> Response<ServeBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    let allowed = &inner.config.allowed_origins;
    let Some(path) = strip(&inner.config.prefix, request.uri().path()) else {
        return not_found();
    };
    let path = path.to_owned();
    let route = parse(&path);
    let allow = match route {
        Route::Publish(_) => "POST, OPTIONS",
        Route::Topic(_, kind) if TOPIC_KINDS.contains(&kind) => "GET, OPTIONS",
        Route::Stomp | Route::Mjpeg | Route::Metrics | Route::Index | Route::RtwJs => {
            "GET, OPTIONS"
        }
        Route::SocketIo => "GET, POST, OPTIONS",
        _ => return not_found(),
    };
    if request.method() == Method::OPTIONS {
        return cors::preflight(allowed, request.headers(), allow);
    }
    let origin = cors::check(allowed, request.headers());
    let label = route.label();
    // Open while the request is answered; a streaming body and an upgraded
    // connection take their own.
    let _open = label.map(|label| inner.metrics.open(label));
    let response = answer(inner, request, route, allow, &origin).await;
    let Some(label) = label else {
        return response;
    };
    inner.metrics.answered(label, response.status().as_u16());
    match label {
        Label::Transport(Transport::Stream | Transport::Iframe | Transport::Sse) | Label::Mjpeg
            if response.status() == StatusCode::OK =>
        {
            metered(inner, label, response)
        }
        _ => response,
    }
}

/// A streaming answer whose body keeps the transport's connection open in
/// the counters while it is sent, counts the bytes it sends, and counts
/// it cut when it is dropped before its end ([`metrics::Metered`]).
fn metered(inner: &Arc<Inner>, label: Label, response: Response<ServeBody>) -> Response<ServeBody> {
    use http_body_util::BodyExt;

    let metrics = inner.metrics.clone();
    response.map(move |body| metrics::Metered::new(body, &metrics, label).boxed_unsync())
}

async fn answer<B>(
    inner: &Arc<Inner>,
    mut request: Request<B>,
    route: Route<'_>,
    allow: &'static str,
    origin: &Origin,
) -> Response<ServeBody>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
{
    let allowed = &inner.config.allowed_origins;
    let origin = origin.clone();
    if let Some(transport) = route.transport()
        && inner.config.refused.contains(&transport)
    {
        return finish(allowed, &origin, refused(transport));
    }
    let query = match Query::parse(request.uri().query()) {
        Ok(query) => query,
        Err(line) => return finish(allowed, &origin, reply::text(StatusCode::BAD_REQUEST, line)),
    };
    let response = match route {
        Route::SocketIo if request.method() == Method::POST && !origin.allowed() => forbidden(),
        Route::SocketIo => super::socketio::handle(inner, request).await,
        Route::Publish(topic) => {
            if request.method() != Method::POST {
                reply::method_not_allowed(allow)
            } else if !origin.allowed() {
                forbidden()
            } else {
                let (parts, body) = request.into_parts();
                publish::publish(inner, topic, &parts.headers, body).await
            }
        }
        Route::Topic(_, _)
        | Route::Stomp
        | Route::Mjpeg
        | Route::Metrics
        | Route::Index
        | Route::RtwJs
            if request.method() != Method::GET =>
        {
            reply::method_not_allowed(allow)
        }
        Route::Index if request.uri().path() == inner.config.prefix => {
            // `/rt` → `/rt/`, so that the page's relative URLs resolve
            // under the prefix.
            redirect(&format!("{}/", inner.config.prefix))
        }
        Route::Index => asset(assets::INDEX_HTML, "text/html; charset=utf-8"),
        Route::RtwJs => asset(assets::RTW_JS, "text/javascript; charset=utf-8"),
        Route::Metrics => {
            let text = metrics_text(inner);
            let mut response = Response::new(reply::full(text));
            let headers = response.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static(metrics::CONTENT_TYPE),
            );
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Route::Stomp if !origin.allowed() => forbidden(),
        // Not counted in `max_streams`: the session is spawned by
        // `stomp::accept`, which takes no permit.
        Route::Stomp => stomp::accept(
            &mut request,
            inner.hub.clone(),
            inner.ws_options.clone(),
            rtw_stomp::Limits::default(),
            inner.metrics.clone(),
            (inner.config.drain.clone(), inner.publishing.clone()),
        )
        .map(reply::full),
        Route::Mjpeg => mjpeg_stream(inner, &query),
        Route::Topic(topic, kind) => match kind {
            "poll" => poll::short(inner, topic, &query),
            "longpoll" => poll::long(inner, topic, &query).await,
            "stream" => stream::stream(inner, topic, &query),
            "iframe" => iframe::iframe(inner, topic, &query, request.headers()),
            "events" => sse::events(inner, topic, &query, request.headers()),
            "ws" if !origin.allowed() => forbidden(),
            "ws" => ws::topic(inner, topic, &query, &mut request),
            _ => unreachable!("kinds listed in TOPIC_KINDS"),
        },
        Route::Other => not_found(),
    };
    finish(allowed, &origin, response)
}

/// `GET /mjpeg?fps=F`: the generated M-JPEG stream (`multipart/x-mixed-replace`,
/// RFC 2046 §5.1), `fps` 5 by default (1 to 30), one stream permit.
fn mjpeg_stream(inner: &Inner, query: &Query) -> Response<ServeBody> {
    let Some(permit) = inner.streams.acquire() else {
        return reply::busy("too many streams open; retry");
    };
    let metrics = inner.metrics.clone();
    let frames = mjpeg::frames(query.fps.unwrap_or(5));
    let frames = stream::until_drained(frames, &inner.config.drain).map(move |part| {
        let _ = &permit;
        metrics.delivered(Label::Mjpeg, 1, 0);
        part
    });
    let mut response = Response::new(stream::body(frames));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&format!(
            "multipart/x-mixed-replace; boundary={}",
            mjpeg::BOUNDARY
        ))
        .expect("a valid boundary"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The `/metrics` page: the service's counters, then the hub backend's
/// (`rtw_serve_hub_*`) when it has one.
fn metrics_text(inner: &Inner) -> String {
    let mut text = inner
        .metrics
        .render(inner.longpolls.count(), inner.streams.count());
    if let Some(status) = inner.hub.backend_status() {
        status.render(&mut text);
    }
    text
}

/// A built-in file, revalidated on each use (`no-cache`).
fn asset(text: &'static str, content_type: &'static str) -> Response<ServeBody> {
    let mut response = Response::new(reply::full(text));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// 308 Permanent Redirect to `location` (RFC 9110 §15.4.9).
fn redirect(location: &str) -> Response<ServeBody> {
    let mut response = reply::text(StatusCode::PERMANENT_REDIRECT, location);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

fn finish(
    allowed: &[String],
    origin: &Origin,
    mut response: Response<ServeBody>,
) -> Response<ServeBody> {
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        cors::apply(allowed, origin, &mut response);
    }
    response
}

fn not_found() -> Response<ServeBody> {
    reply::text(
        StatusCode::NOT_FOUND,
        "not found: GET / is the demo; POST /topics/{topic}, GET /topics/{topic}/{poll,longpoll,stream,iframe,events,ws}, /stomp, /socket.io/, /mjpeg, /rtw.js",
    )
}

fn forbidden() -> Response<ServeBody> {
    reply::text(
        StatusCode::FORBIDDEN,
        "origin not allowed (rtw serve --allow-origin)",
    )
}

/// 403 for a transport in [`ServeConfig::refused`].
fn refused(transport: Transport) -> Response<ServeBody> {
    reply::text(
        StatusCode::FORBIDDEN,
        format_args!(
            "transport {transport} refused by this server (rtw serve --refuse {transport})"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_paths() {
        assert_eq!(strip("", "/a"), Some("/a"));
        assert_eq!(strip("/rt", "/rt/topics/x"), Some("/topics/x"));
        assert_eq!(strip("/rt", "/rt"), Some("/"));
        assert_eq!(strip("/rt", "/rtx/topics"), None);
        assert!(matches!(parse("/topics/x"), Route::Publish("x")));
        assert!(matches!(parse("/topics/x/poll"), Route::Topic("x", "poll")));
        assert!(matches!(parse("/topics/x/poll/y"), Route::Other));
        assert!(matches!(parse("/"), Route::Index));
        assert!(matches!(parse("/stomp"), Route::Stomp));
        assert!(matches!(parse("/socket.io/"), Route::SocketIo));
        assert!(matches!(parse("/elsewhere"), Route::Other));
    }

    /// Through tower's trait, as axum calls it: ready at once, then a
    /// publish and a short poll answered as by hyper's.
    #[tokio::test]
    async fn serves_through_towers_trait() {
        use http_body_util::{BodyExt, Full};
        use tower_service::Service as Tower;

        let mut service = ServeService::new(
            ServeConfig::default(),
            SharedHub::new(rtw_hub::Config::default()),
        );
        std::future::poll_fn(|cx| Tower::<Request<Full<Bytes>>>::poll_ready(&mut service, cx))
            .await
            .unwrap();
        let publish = Request::post("/topics/t")
            .header(CONTENT_TYPE, "text/plain")
            .body(Full::new(Bytes::from_static(b"hi")))
            .unwrap();
        let response = Tower::call(&mut service, publish).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let poll = Request::get("/topics/t/poll?since=0")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = Tower::call(&mut service, poll).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"[{"id":1,"data":"hi"}]"#);
    }
}
