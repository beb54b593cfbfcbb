//! Cross-origin use (Fetch, "CORS protocol"): which pages may use the
//! service, the headers that let them, and the preflight.
//!
//! An `Origin` is allowed when it is in
//! [`ServeConfig::allowed_origins`](super::ServeConfig::allowed_origins)
//! (ASCII case-insensitive, RFC 6454 §6.2) or when it names the request's
//! own `Host` (`http://HOST` or `https://HOST`: same-origin). Listed
//! origins get `Access-Control-Allow-Origin` echoing them on every answer;
//! same-origin pages need no CORS header. A request whose `Origin` is
//! neither is refused with 403 when it would change something (a POST) or
//! open a WebSocket (RFC 6455 §10.2, which browsers leave to the server);
//! other answers go without CORS headers, so the browser keeps them from
//! the page.

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, HOST,
    ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use super::reply::{self, ServeBody};

/// What a request's `Origin` is to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// No `Origin` (not a browser's cross-origin request, or a navigation).
    Absent,
    /// The request's own origin.
    Same,
    /// In the allow-list: the value to echo.
    Listed(HeaderValue),
    /// Anything else (`null` included).
    Foreign,
}

impl Origin {
    /// Whether a page of this origin may use the service.
    pub(crate) fn allowed(&self) -> bool {
        !matches!(self, Origin::Foreign)
    }
}

/// Classifies the request's `Origin` against `allowed` and its `Host`.
pub(crate) fn check(allowed: &[String], headers: &HeaderMap) -> Origin {
    let Some(value) = headers.get(ORIGIN) else {
        return Origin::Absent;
    };
    let Ok(origin) = value.to_str() else {
        return Origin::Foreign;
    };
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return Origin::Listed(value.clone());
    }
    if is_same_origin(origin, headers) {
        return Origin::Same;
    }
    Origin::Foreign
}

/// Whether `origin` is `http://HOST` or `https://HOST` for the request's
/// `Host` header.
pub(crate) fn is_same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    rest.is_some_and(|r| r.eq_ignore_ascii_case(host))
}

/// Adds the CORS headers for `origin` to `response`: for a listed origin
/// `Access-Control-Allow-Origin` and `Access-Control-Expose-Headers:
/// Rtw-Missed`; `Vary: Origin` whenever there is an allow-list (the
/// answer depends on it).
pub(crate) fn apply(allowed: &[String], origin: &Origin, response: &mut Response<ServeBody>) {
    let headers = response.headers_mut();
    if !allowed.is_empty() {
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
    if let Origin::Listed(value) = origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value.clone());
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Rtw-Missed"),
        );
    }
}

/// The answer to `OPTIONS`: a CORS preflight (one with
/// `Access-Control-Request-Method`) from an allowed origin gets 204 with
/// the methods (GET, POST) and request headers (`Content-Type`,
/// `Last-Event-ID`) the routes take, cached for 10 minutes; from another
/// origin, 403. A plain `OPTIONS` gets 204 with `Allow`.
pub(crate) fn preflight(
    allowed: &[String],
    headers: &HeaderMap,
    allow: &'static str,
) -> Response<ServeBody> {
    let origin = check(allowed, headers);
    if !headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD) {
        let mut response = Response::new(reply::full(""));
        *response.status_mut() = StatusCode::NO_CONTENT;
        response
            .headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static(allow));
        return response;
    }
    if !origin.allowed() {
        let mut response = reply::text(
            StatusCode::FORBIDDEN,
            "origin not allowed (rtw serve --allow-origin)",
        );
        apply(allowed, &origin, &mut response);
        return response;
    }
    let mut response = Response::new(reply::full(""));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    h.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    h.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Last-Event-ID"),
    );
    h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    apply(allowed, &origin, &mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn classifies_origins() {
        let list = vec!["https://App.example".to_owned()];
        let h = headers(Some("https://app.example"), "x:1");
        assert!(matches!(check(&list, &h), Origin::Listed(_)));
        assert_eq!(check(&list, &headers(None, "x:1")), Origin::Absent);
        assert_eq!(
            check(&list, &headers(Some("http://X:1"), "x:1")),
            Origin::Same
        );
        assert_eq!(
            check(&[], &headers(Some("http://y:1"), "x:1")),
            Origin::Foreign
        );
        assert_eq!(check(&[], &headers(Some("null"), "x:1")), Origin::Foreign);
    }
}
