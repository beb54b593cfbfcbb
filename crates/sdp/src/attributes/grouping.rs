//! Media identification and grouping: `mid` and `group` (RFC 5888), the
//! BUNDLE group of RFC 9143.

use super::syntax::{is_token, required};
use super::{AttributeError, AttributeValue};

/// `a=mid:<identification-tag>`: the media section's id (RFC 5888 §4),
/// which JSEP gives every section (RFC 8829 §5.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mid(pub String);

impl AttributeValue for Mid {
    const NAME: &'static str = "mid";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "the identification tag must be a token (RFC 5888 §4)";
        let v = required(Self::NAME, value, RULE)?;
        if !is_token(v) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(Mid(v.to_owned()))
    }

    fn to_value(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// `a=group:<semantics> *(SP <identification-tag>)` (RFC 5888 §5), e.g.
/// `BUNDLE 0 1 2` (RFC 9143), `LS` or `FID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// The semantics: `BUNDLE`, `LS`, `FID`, or another token.
    pub semantics: String,
    /// The `mid`s of the grouped sections, in order.
    pub mids: Vec<String>,
}

impl Group {
    /// Whether this is a BUNDLE group (RFC 9143).
    pub fn is_bundle(&self) -> bool {
        self.semantics == "BUNDLE"
    }
}

impl AttributeValue for Group {
    const NAME: &'static str = "group";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <semantics> followed by mids, tokens separated by single spaces (RFC 5888 §5)";
        let v = required(Self::NAME, value, RULE)?;
        let mut parts = v.split(' ');
        let semantics = parts.next().unwrap_or_default();
        let mids: Vec<&str> = parts.collect();
        if !is_token(semantics) || !mids.iter().all(|m| is_token(m)) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(Group {
            semantics: semantics.to_owned(),
            mids: mids.into_iter().map(str::to_owned).collect(),
        })
    }

    fn to_value(&self) -> Option<String> {
        let mut v = self.semantics.clone();
        for m in &self.mids {
            v.push(' ');
            v.push_str(m);
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mid_is_a_token() {
        assert_eq!(Mid::parse_value(Some("audio0")), Ok(Mid("audio0".into())));
        assert!(Mid::parse_value(Some("a b")).is_err());
        assert!(Mid::parse_value(Some("")).is_err());
        assert!(Mid::parse_value(None).is_err());
    }

    #[test]
    fn bundle_groups() {
        let g = Group::parse_value(Some("BUNDLE 0 1 2")).unwrap();
        assert!(g.is_bundle());
        assert_eq!(g.mids, ["0", "1", "2"]);
        assert_eq!(g.to_value().as_deref(), Some("BUNDLE 0 1 2"));
        let empty = Group::parse_value(Some("BUNDLE")).unwrap();
        assert!(empty.mids.is_empty());
        assert!(Group::parse_value(Some("BUNDLE 0  1")).is_err());
        assert!(Group::parse_value(Some("")).is_err());
    }
}
