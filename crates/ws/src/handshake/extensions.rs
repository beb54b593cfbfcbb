//! Extension offers and responses carried by `Sec-WebSocket-Extensions`
//! (RFC 6455 §9.1).

use std::collections::HashSet;
use std::fmt;

use super::error::ExtensionError;
use super::headers::is_token;

/// One `extension-param` (RFC 6455 §9.1): `token [ "=" (token | quoted-string) ]`.
///
/// A quoted value is stored unescaped; RFC 6455 §9.1 requires it to be a
/// token then, so it is always written back unquoted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionParam {
    /// The parameter name, as received.
    pub name: String,
    /// The value, `None` for a parameter without `=`.
    pub value: Option<String>,
}

impl ExtensionParam {
    /// A parameter without a value, such as `server_no_context_takeover`.
    pub fn flag(name: impl Into<String>) -> Self {
        ExtensionParam {
            name: name.into(),
            value: None,
        }
    }

    /// A parameter with a value, such as `client_max_window_bits=10`.
    pub fn with_value(name: impl Into<String>, value: impl Into<String>) -> Self {
        ExtensionParam {
            name: name.into(),
            value: Some(value.into()),
        }
    }

    /// Whether the name matches `name`, ASCII case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// One `extension` of `Sec-WebSocket-Extensions` (RFC 6455 §9.1): a name and
/// its parameters in the order sent.
///
/// The same type serves a client's offers and a server's responses (RFC 7692
/// §5 calls them extension negotiation offers and responses). Lookups by
/// name compare ASCII case-insensitively; the order of parameters and of
/// offers is kept, since RFC 6455 §9.1 makes the order of extensions
/// significant and a client may offer the same extension several times with
/// different parameters (RFC 7692 §5).
///
/// ```
/// use rtw_ws::handshake::{ExtensionOffer, parse_extensions};
///
/// let offers = parse_extensions(["permessage-deflate; client_max_window_bits, permessage-deflate"])?;
/// assert_eq!(offers.len(), 2);
/// assert!(offers[0].is("permessage-deflate"));
/// assert!(offers[0].has_param("client_max_window_bits"));
/// assert_eq!(offers[0].param("client_max_window_bits").unwrap().value, None);
///
/// let response = ExtensionOffer::new("permessage-deflate").with_param("server_max_window_bits", "10");
/// assert_eq!(response.to_string(), "permessage-deflate; server_max_window_bits=10");
/// # Ok::<(), rtw_ws::handshake::ExtensionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionOffer {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Its parameters, in order, duplicates kept.
    pub params: Vec<ExtensionParam>,
}

impl ExtensionOffer {
    /// An extension without parameters.
    pub fn new(name: impl Into<String>) -> Self {
        ExtensionOffer {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Appends a parameter without a value.
    pub fn with_flag(mut self, name: impl Into<String>) -> Self {
        self.params.push(ExtensionParam::flag(name));
        self
    }

    /// Appends a parameter with a value.
    pub fn with_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push(ExtensionParam::with_value(name, value));
        self
    }

    /// Whether this is extension `name`, ASCII case-insensitively.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The first parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&ExtensionParam> {
        self.params.iter().find(|p| p.is(name))
    }

    /// Every parameter called `name`, in order.
    pub fn params_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a ExtensionParam> + 'a {
        self.params.iter().filter(move |p| p.is(name))
    }

    /// Whether a parameter called `name` is present.
    pub fn has_param(&self, name: &str) -> bool {
        self.param(name).is_some()
    }

    /// The name of the first parameter that appears a second time, if any
    /// (RFC 7692 §7 declines such offers; the check is linear).
    pub fn duplicate_param(&self) -> Option<&str> {
        let mut seen = HashSet::with_capacity(self.params.len());
        self.params
            .iter()
            .find(|p| !seen.insert(p.name.to_ascii_lowercase()))
            .map(|p| p.name.as_str())
    }

    /// Checks that the name, every parameter name and every value are tokens,
    /// so that the offer can be written (RFC 6455 §9.1).
    pub fn validate(&self) -> Result<(), ExtensionError> {
        let names = std::iter::once(&self.name).chain(self.params.iter().map(|p| &p.name));
        for name in names {
            if !is_token(name.as_bytes()) {
                return Err(ExtensionError::InvalidName { name: name.clone() });
            }
        }
        for value in self.params.iter().filter_map(|p| p.value.as_ref()) {
            if !is_token(value.as_bytes()) {
                return Err(ExtensionError::InvalidValue {
                    value: value.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Writes `name; param; param=value` (RFC 6455 §9.1), without validating;
/// [`format_extensions`](super::format_extensions) validates.
impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            write!(f, "; {}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflate() -> ExtensionOffer {
        ExtensionOffer::new("permessage-deflate")
            .with_flag("client_max_window_bits")
            .with_param("server_max_window_bits", "10")
            .with_flag("Client_Max_Window_Bits")
    }

    #[test]
    fn lookups_ignore_ascii_case_and_keep_order() {
        let o = deflate();
        assert!(o.is("PerMessage-Deflate"));
        assert!(!o.is("permessage-bzip2"));
        assert_eq!(
            o.param("SERVER_MAX_WINDOW_BITS").unwrap().value.as_deref(),
            Some("10")
        );
        assert_eq!(o.param("server_no_context_takeover"), None);
        let named: Vec<_> = o
            .params_named("client_max_window_bits")
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(named, ["client_max_window_bits", "Client_Max_Window_Bits"]);
        assert!(o.has_param("client_max_window_bits"));
    }

    #[test]
    fn duplicates_are_detected() {
        assert_eq!(deflate().duplicate_param(), Some("Client_Max_Window_Bits"));
        let o = ExtensionOffer::new("x").with_flag("a").with_param("b", "1");
        assert_eq!(o.duplicate_param(), None);
    }

    #[test]
    fn display_and_validate() {
        assert_eq!(
            deflate().to_string(),
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10; Client_Max_Window_Bits"
        );
        assert_eq!(deflate().validate(), Ok(()));
        assert_eq!(
            ExtensionOffer::new("a b").validate(),
            Err(ExtensionError::InvalidName { name: "a b".into() })
        );
        assert_eq!(
            ExtensionOffer::new("x").with_flag("").validate(),
            Err(ExtensionError::InvalidName {
                name: String::new()
            })
        );
        assert_eq!(
            ExtensionOffer::new("x").with_param("p", "1,2").validate(),
            Err(ExtensionError::InvalidValue {
                value: "1,2".into()
            })
        );
    }
}
