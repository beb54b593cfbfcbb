//! What a server accepts beyond the fixed rules: origins, subprotocols and
//! extensions (RFC 6455 §4.2.2 item 4).

use std::fmt;

use super::extensions::ExtensionOffer;

/// A server's decisions in the opening handshake (RFC 6455 §4.2.2 item 4).
///
/// [`ServerHandshake`](super::ServerHandshake) calls these after the request
/// passed every fixed rule, in this order, and only when they matter:
/// `select_protocol` only when the client offered subprotocols,
/// `negotiate_extensions` only when it offered extensions. Methods take
/// `&self` so one policy can serve many connections at once. Every method
/// has a default, so a policy implements only what it decides.
///
/// ```
/// use rtw_ws::handshake::{AcceptPolicy, ServerHandshake};
///
/// struct Chat;
/// impl AcceptPolicy for Chat {
///     fn allow_origin(&self, origin: Option<&str>) -> bool {
///         origin.is_none_or(|o| o == "https://chat.example")
///     }
///     fn select_protocol(&self, offered: &[String]) -> Option<String> {
///         offered.iter().find(|p| p.starts_with("chat.v")).cloned()
///     }
/// }
/// let server = ServerHandshake::with_policy(Chat);
/// ```
pub trait AcceptPolicy {
    /// Whether to accept a client whose `Origin` is `origin` (`None` when it
    /// sent none, as non-browser clients do). Refused origins are answered
    /// 403 Forbidden (RFC 6455 §4.2.2 item 4, §10.2). Default: accept all.
    fn allow_origin(&self, origin: Option<&str>) -> bool {
        let _ = origin;
        true
    }

    /// The subprotocol to speak, one of `offered` (the client's list, most
    /// preferred first), or `None` to speak none (RFC 6455 §4.2.2 item 4
    /// /subprotocol/). Default: none.
    fn select_protocol(&self, offered: &[String]) -> Option<String> {
        let _ = offered;
        None
    }

    /// The extensions to use, as responses to `offered` (in the client's
    /// order; the same extension may be offered several times with
    /// different parameters): each accepted extension must carry the name
    /// of one offered, with the parameters the server answers with (RFC
    /// 6455 §9.1, RFC 7692 §5). Default: accept none.
    fn negotiate_extensions(&self, offered: &[ExtensionOffer]) -> Vec<ExtensionOffer> {
        let _ = offered;
        Vec::new()
    }
}

/// Accepts every origin and neither subprotocols nor extensions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultPolicy;

impl AcceptPolicy for DefaultPolicy {}

type OriginFn = dyn Fn(Option<&str>) -> bool + Send + Sync;
type ProtocolFn = dyn Fn(&[String]) -> Option<String> + Send + Sync;
type ExtensionsFn = dyn Fn(&[ExtensionOffer]) -> Vec<ExtensionOffer> + Send + Sync;

/// An [`AcceptPolicy`] built from closures; what is not set behaves like
/// [`DefaultPolicy`].
///
/// ```
/// use rtw_ws::handshake::{ExtensionOffer, ServerHandshake, ServerPolicy};
///
/// let policy = ServerPolicy::new()
///     .allowed_origins(["https://app.example"])
///     .supported_protocols(["graphql-transport-ws", "graphql-ws"])
///     .extension_negotiator(|offered: &[ExtensionOffer]| {
///         offered.iter().find(|o| o.is("x-trace")).map(|_| ExtensionOffer::new("x-trace")).into_iter().collect()
///     });
/// let server = ServerHandshake::with_policy(policy);
/// ```
#[derive(Default)]
pub struct ServerPolicy {
    origin: Option<Box<OriginFn>>,
    protocol: Option<Box<ProtocolFn>>,
    extensions: Option<Box<ExtensionsFn>>,
}

impl ServerPolicy {
    /// A policy that behaves like [`DefaultPolicy`] until configured.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decides origins with `check` (see [`AcceptPolicy::allow_origin`]).
    pub fn origin_check<F>(mut self, check: F) -> Self
    where
        F: Fn(Option<&str>) -> bool + Send + Sync + 'static,
    {
        self.origin = Some(Box::new(check));
        self
    }

    /// Accepts clients whose `Origin` is one of `origins` (ASCII
    /// case-insensitive, as serialized origins are, RFC 6454 §6.2), and
    /// clients that send no `Origin`: only browsers send it, and it protects
    /// only them (RFC 6455 §10.2). Use [`origin_check`](Self::origin_check)
    /// to refuse those too.
    pub fn allowed_origins<I, S>(self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let allowed: Vec<String> = origins.into_iter().map(Into::into).collect();
        self.origin_check(move |origin| {
            origin.is_none_or(|o| allowed.iter().any(|a| a.eq_ignore_ascii_case(o)))
        })
    }

    /// Selects subprotocols with `select` (see
    /// [`AcceptPolicy::select_protocol`]).
    pub fn protocol_selector<F>(mut self, select: F) -> Self
    where
        F: Fn(&[String]) -> Option<String> + Send + Sync + 'static,
    {
        self.protocol = Some(Box::new(select));
        self
    }

    /// Speaks the first subprotocol in the client's list that is among
    /// `supported` (the client's preference wins, RFC 6455 §4.1 item 10).
    pub fn supported_protocols<I, S>(self, supported: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let supported: Vec<String> = supported.into_iter().map(Into::into).collect();
        self.protocol_selector(move |offered| {
            offered.iter().find(|p| supported.contains(p)).cloned()
        })
    }

    /// Negotiates extensions with `negotiate` (see
    /// [`AcceptPolicy::negotiate_extensions`]).
    pub fn extension_negotiator<F>(mut self, negotiate: F) -> Self
    where
        F: Fn(&[ExtensionOffer]) -> Vec<ExtensionOffer> + Send + Sync + 'static,
    {
        self.extensions = Some(Box::new(negotiate));
        self
    }
}

impl AcceptPolicy for ServerPolicy {
    fn allow_origin(&self, origin: Option<&str>) -> bool {
        self.origin.as_ref().is_none_or(|f| f(origin))
    }

    fn select_protocol(&self, offered: &[String]) -> Option<String> {
        self.protocol.as_ref().and_then(|f| f(offered))
    }

    fn negotiate_extensions(&self, offered: &[ExtensionOffer]) -> Vec<ExtensionOffer> {
        self.extensions
            .as_ref()
            .map(|f| f(offered))
            .unwrap_or_default()
    }
}

impl fmt::Debug for ServerPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerPolicy")
            .field("origin_check", &self.origin.is_some())
            .field("protocol_selector", &self.protocol.is_some())
            .field("extension_negotiator", &self.extensions.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_accept_origins_and_nothing_else() {
        let offered = [ExtensionOffer::new("x")];
        for p in [&DefaultPolicy as &dyn AcceptPolicy, &ServerPolicy::new()] {
            assert!(p.allow_origin(None) && p.allow_origin(Some("http://any")));
            assert_eq!(p.select_protocol(&strings(&["chat"])), None);
            assert_eq!(p.negotiate_extensions(&offered), []);
        }
    }

    #[test]
    fn allowed_origins_ignore_case_and_let_absent_origins_in() {
        let p = ServerPolicy::new().allowed_origins(["https://App.example"]);
        assert!(p.allow_origin(Some("https://app.example")));
        assert!(p.allow_origin(None));
        assert!(!p.allow_origin(Some("https://app.example.evil")));
        assert!(!p.allow_origin(Some("null")));
        let strict = ServerPolicy::new().origin_check(|o| o == Some("https://app.example"));
        assert!(!strict.allow_origin(None));
    }

    #[test]
    fn client_preference_wins() {
        let p = ServerPolicy::new().supported_protocols(["b", "a"]);
        assert_eq!(
            p.select_protocol(&strings(&["a", "b"])).as_deref(),
            Some("a")
        );
        assert_eq!(
            p.select_protocol(&strings(&["c", "b"])).as_deref(),
            Some("b")
        );
        assert_eq!(p.select_protocol(&strings(&["c"])), None);
        assert!(format!("{p:?}").contains("protocol_selector: true"));
    }
}
