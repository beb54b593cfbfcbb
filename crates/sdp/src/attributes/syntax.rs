//! Shared pieces of attribute grammar.

use super::AttributeError;

/// Which bytes are `token-char`s (RFC 8866 §9, as in RFC 2045): printable
/// ASCII without spaces and the tspecials `"(),/:;<=>?@[\]{}`.
const TOKEN_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'0'..=b'9' | b'A'..=b'Z' | b'^'..=b'~');
        b += 1;
    }
    table
};

/// `token` (RFC 8866 §9): one or more token characters.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| TOKEN_CHARS[usize::from(b)])
}

/// `ice-char = ALPHA / DIGIT / "+" / "/"` (RFC 8839 §5.1).
pub(crate) fn is_ice_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The value of a value attribute; an error for `a=name` without one.
pub(crate) fn required<'a>(
    name: &'static str,
    value: Option<&'a str>,
    rule: &'static str,
) -> Result<&'a str, AttributeError> {
    value.ok_or(AttributeError::new(name, rule))
}

/// A property attribute must come without a value.
pub(crate) fn no_value(name: &'static str, value: Option<&str>) -> Result<(), AttributeError> {
    match value {
        None => Ok(()),
        Some(_) => Err(AttributeError::new(
            name,
            "a property attribute takes no value (RFC 8866 §5.13)",
        )),
    }
}

/// A decimal number of at most `max_digits` digits (no sign, no spaces).
pub(crate) fn decimal<T: std::str::FromStr>(
    s: &str,
    max_digits: usize,
    name: &'static str,
    rule: &'static str,
) -> Result<T, AttributeError> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AttributeError::new(name, rule));
    }
    s.parse().map_err(|_| AttributeError::new(name, rule))
}

/// `non-zero-int-or-real` (RFC 8866 §9): a positive decimal number with an
/// optional fraction.
pub(crate) fn positive_real(
    s: &str,
    name: &'static str,
    rule: &'static str,
) -> Result<f64, AttributeError> {
    let err = || AttributeError::new(name, rule);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |d: &str| !d.is_empty() && d.len() <= 20 && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(err());
    }
    let v: f64 = s.parse().map_err(|_| err())?;
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(err())
    }
}

/// Fields separated by single spaces, none empty.
pub(crate) fn fields<'a>(
    s: &'a str,
    name: &'static str,
    rule: &'static str,
) -> Result<Vec<&'a str>, AttributeError> {
    let parts: Vec<&str> = s.split(' ').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(AttributeError::new(name, rule));
    }
    Ok(parts)
}

/// Key/value parameters separated by `;` (as in `fmtp` and `rid`), with
/// optional spaces after each `;`.
pub(crate) fn parameters(s: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    s.split(';')
        .map(|p| p.trim_start_matches(' '))
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (p, None),
        })
}

/// Write `key[=value]` pairs joined by `;`.
pub(crate) fn join_parameters(params: &[(String, Option<String>)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(k);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_real_accepts_integers_and_fractions_only_above_zero() {
        assert_eq!(positive_real("20", "x", "r"), Ok(20.0));
        assert_eq!(positive_real("29.97", "x", "r"), Ok(29.97));
        assert_eq!(positive_real("0.5", "x", "r"), Ok(0.5));
        for bad in ["0", "0.0", "", ".5", "5.", "-1", "1e3", " 1", "inf"] {
            assert!(positive_real(bad, "x", "r").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn parameters_split_on_semicolons_with_optional_spaces() {
        let p: Vec<_> = parameters("minptime=10; useinbandfec=1;flag").collect();
        assert_eq!(
            p,
            [
                ("minptime", Some("10")),
                ("useinbandfec", Some("1")),
                ("flag", None)
            ]
        );
    }
}
