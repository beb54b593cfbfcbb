//! The query parameters of the routes (`since`, `timeout`, `origin`,
//! `fps`), read with `form_urlencoded` (WHATWG URL,
//! "application/x-www-form-urlencoded parsing").

use std::time::Duration;

use rtw_hub::MessageId;

/// The parameters a route reads; unknown ones are ignored.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Query {
    /// `since=N`: the last id the client saw.
    pub(crate) since: Option<MessageId>,
    /// `timeout=S`: a long poll's wait, seconds (fractions allowed).
    pub(crate) timeout: Option<Duration>,
    /// `origin=O`: the iframe parent's origin.
    pub(crate) origin: Option<String>,
    /// `fps=F`: M-JPEG frames per second.
    pub(crate) fps: Option<u32>,
}

impl Query {
    /// Reads `query` (the URI's, without `?`); the 400 line for a bad
    /// value.
    pub(crate) fn parse(query: Option<&str>) -> Result<Query, String> {
        let mut out = Query::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*key {
                "since" => {
                    let n: u64 = value.parse().map_err(|_| {
                        format!("bad since={value:?}: the last id seen, a number from 0")
                    })?;
                    out.since = Some(MessageId(n));
                }
                "timeout" => {
                    let secs: f64 = value
                        .parse()
                        .ok()
                        .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                        .ok_or_else(|| format!("bad timeout={value:?}: seconds, from 0"))?;
                    out.timeout = Some(Duration::from_secs_f64(secs.min(86_400.0)));
                }
                "origin" => out.origin = Some(value.into_owned()),
                "fps" => {
                    let fps: u32 =
                        value.parse().ok().filter(|f| *f > 0).ok_or_else(|| {
                            format!("bad fps={value:?}: frames per second, from 1")
                        })?;
                    out.fps = Some(fps);
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_refuses() {
        let q = Query::parse(Some(
            "since=7&timeout=1.5&origin=http%3A%2F%2Fa.example&x=1",
        ))
        .unwrap();
        assert_eq!(q.since, Some(MessageId(7)));
        assert_eq!(q.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(q.origin.as_deref(), Some("http://a.example"));
        assert_eq!(Query::parse(None).unwrap(), Query::default());
        for bad in [
            "since=-1",
            "since=x",
            "since=",
            "timeout=-1",
            "timeout=NaN",
            "fps=0",
        ] {
            assert!(Query::parse(Some(bad)).is_err(), "{bad}");
        }
    }
}
