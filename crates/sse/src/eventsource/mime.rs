//! Is a `Content-Type` `text/event-stream`? Fetch's "extract a MIME type"
//! and MIME Sniffing's "parse a MIME type", as far as the essence goes:
//! "9.2.3 Processing model" fails the connection when the response's
//! `Content-Type` is not `text/event-stream`.

/// The essence every event stream must have.
const EVENT_STREAM: &str = "text/event-stream";

/// Whether the `Content-Type` field value (several field lines joined with
/// `, `) extracts to a MIME type whose essence is `text/event-stream`.
///
/// As Fetch extracts it: the value is split at commas outside quoted
/// strings; the last piece that parses as a MIME type and is not `*/*`
/// wins. Type and subtype compare ASCII case-insensitively; parameters
/// (`charset`, anything else, even malformed ones) do not matter.
pub(super) fn is_event_stream(content_type: &str) -> bool {
    split_values(content_type)
        .filter_map(essence)
        .filter(|(t, s)| !(*t == "*" && *s == "*"))
        .last()
        .is_some_and(|(t, s)| {
            t.len() + 1 + s.len() == EVENT_STREAM.len()
                && EVENT_STREAM[..t.len()].eq_ignore_ascii_case(t)
                && EVENT_STREAM.as_bytes()[t.len()] == b'/'
                && EVENT_STREAM[t.len() + 1..].eq_ignore_ascii_case(s)
        })
}

/// Fetch's "get, decode, and split": comma-separated values, where a comma
/// inside a quoted string (with backslash escapes) does not split. Each
/// value is trimmed of spaces and tabs.
fn split_values(input: &str) -> impl Iterator<Item = &str> {
    let bytes = input.as_bytes();
    let mut start = 0;
    let mut pos = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        while pos < bytes.len() {
            match bytes[pos] {
                b',' => break,
                b'"' => {
                    pos += 1;
                    while pos < bytes.len() {
                        match bytes[pos] {
                            b'\\' => pos += 2,
                            b'"' => break,
                            _ => pos += 1,
                        }
                    }
                    pos = (pos + 1).min(bytes.len());
                }
                _ => pos += 1,
            }
        }
        let value = input[start..pos].trim_matches([' ', '\t']);
        if pos >= bytes.len() {
            done = true;
        } else {
            pos += 1;
            start = pos;
        }
        Some(value)
    })
}

/// MIME Sniffing's "parse a MIME type", up to the essence: `(type,
/// subtype)` as written, or `None` when it does not parse.
fn essence(value: &str) -> Option<(&str, &str)> {
    let value = value.trim_matches(is_http_whitespace);
    let (ty, rest) = value.split_once('/')?;
    let subtype = match rest.split_once(';') {
        Some((subtype, _parameters)) => subtype,
        None => rest,
    }
    .trim_end_matches(is_http_whitespace);
    (is_token(ty) && is_token(subtype)).then_some((ty, subtype))
}

fn is_http_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// A non-empty run of HTTP token code points.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted() {
        for ct in [
            "text/event-stream",
            "TEXT/Event-Stream",
            "text/event-stream;charset=utf-8",
            "text/event-stream; charset=UTF-8",
            "text/event-stream;charset=bogus",
            "text/event-stream;",
            "text/event-stream ; x",
            " \ttext/event-stream \t",
            "text/event-stream;bogus",
            "text/event-stream;a=\"x,y\"",
            "text/html, text/event-stream",
            "text/event-stream, */*",
            "text/event-stream, nonsense",
            "text/event-stream, ",
            "text/event-stream;a=\"x, text/plain",
        ] {
            assert!(is_event_stream(ct), "{ct:?}");
        }
    }

    #[test]
    fn refused() {
        for ct in [
            "",
            "text/plain",
            "text/event-stream2",
            "text/eventstream",
            "text /event-stream",
            "text/ event-stream",
            "text/event-stream, text/plain",
            "text\\event-stream",
            "text/event-stream/x",
            "text/évent-stream",
            "*/*",
            "event-stream",
        ] {
            assert!(!is_event_stream(ct), "{ct:?}");
        }
    }

    #[test]
    fn commas_inside_quotes_do_not_split() {
        let values: Vec<_> = split_values(r#"a/b;q="x,\"y,z", c/d ,e"#).collect();
        assert_eq!(values, [r#"a/b;q="x,\"y,z""#, "c/d", "e"]);
        let values: Vec<_> = split_values("a,,b,").collect();
        assert_eq!(values, ["a", "", "b", ""]);
        let values: Vec<_> = split_values(r#"a;q="unterminated\"#).collect();
        assert_eq!(values, [r#"a;q="unterminated\"#]);
    }
}
