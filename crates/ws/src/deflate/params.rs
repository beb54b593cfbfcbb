//! Negotiation of permessage-deflate (RFC 7692 §5, §7.1).

use std::time::Duration;

use crate::handshake::{ExtensionOffer, ExtensionParam};

/// The extension token (RFC 7692 §7).
pub const EXTENSION_NAME: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// A permessage-deflate offer or response that breaks RFC 7692: a server
/// declines such an offer (§5), a client fails the connection on such a
/// response (§5). It sits under [`crate::Error::Deflate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeflateError {
    /// A parameter RFC 7692 §7 does not define (for offers, or for
    /// responses).
    #[error("unknown permessage-deflate parameter {name:?} (RFC 7692 §7)")]
    UnknownParam {
        /// The parameter as received.
        name: String,
    },
    /// The same parameter twice (RFC 7692 §7: "multiple extension
    /// parameters with the same name").
    #[error("permessage-deflate parameter {name:?} appears twice (RFC 7692 §7)")]
    DuplicateParam {
        /// The parameter as received.
        name: String,
    },
    /// A `*_no_context_takeover` parameter with a value (RFC 7692 §7.1.1:
    /// "This extension parameter has no value").
    #[error("permessage-deflate parameter {name:?} must have no value (RFC 7692 §7.1.1)")]
    UnexpectedValue {
        /// The parameter as received.
        name: String,
    },
    /// A window size that is not a decimal 8 to 15 without leading zeros,
    /// or a `server_max_window_bits` without a value (RFC 7692 §7.1.2).
    #[error("invalid value {value:?} for permessage-deflate parameter {name:?} (RFC 7692 §7.1.2)")]
    InvalidWindowBits {
        /// The parameter as received.
        name: String,
        /// The value, empty when it had none.
        value: String,
    },
    /// A response with `client_max_window_bits` to an offer without it
    /// (RFC 7692 §7.1.2.2).
    #[error("client_max_window_bits in a response to an offer without it (RFC 7692 §7.1.2.2)")]
    UnofferedClientWindow,
    /// A response with a larger window than the client offered (RFC 7692
    /// §7.1.2.1, §7.1.2.2: "the same or smaller value").
    #[error("{name} of {answered} is larger than the {offered} offered (RFC 7692 §7.1.2)")]
    WindowTooLarge {
        /// The parameter.
        name: &'static str,
        /// The value offered.
        offered: u8,
        /// The value in the response.
        answered: u8,
    },
    /// An offer that limits the server's window to 8 bits, which zlib
    /// cannot produce: the server declines it (RFC 7692 §7.1.2.1: "A
    /// server declines an extension negotiation offer with this parameter
    /// if the server doesn't support it") rather than accept and send
    /// every message uncompressed, which would let a client turn a small
    /// compressed message into a large uncompressed echo.
    #[error(
        "server_max_window_bits=8 cannot be honoured: zlib compresses with 9 bits at least (RFC 7692 §7.1.2.1)"
    )]
    UnsupportedServerWindow,
    /// The server accepted permessage-deflate more than once (RFC 7692 §5,
    /// RFC 6455 §9.1).
    #[error("permessage-deflate accepted more than once (RFC 7692 §5)")]
    MultipleResponses,
}

impl DeflateError {
    /// `true`: every variant describes parameters that came from the peer
    /// (an offer a server reads, a response a client reads, or what
    /// [`DeflateParams::from_extensions`] finds in the extensions a
    /// handshake agreed to).
    pub fn is_peer_fault(&self) -> bool {
        true
    }
}

/// What was agreed for a connection (RFC 7692 §7.1): the parameters of the
/// server's response, with absent window sizes as 15.
///
/// The same value serves both ends; each reads it for its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// The server resets its compressor after each message (RFC 7692
    /// §7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message (RFC 7692
    /// §7.1.1.2).
    pub client_no_context_takeover: bool,
    /// Largest LZ77 window of the server's compressor, 8 to 15 (RFC 7692
    /// §7.1.2.1).
    pub server_max_window_bits: u8,
    /// Largest LZ77 window of the client's compressor, 8 to 15 (RFC 7692
    /// §7.1.2.2).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// An empty response: context takeover and 15-bit windows both ways.
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// The negotiated parameters among accepted `extensions` (a server's
    /// [`ServerNegotiated::extensions`](crate::handshake::ServerNegotiated::extensions)
    /// or a client's
    /// [`ClientNegotiated::extensions`](crate::handshake::ClientNegotiated::extensions)):
    /// `None` when permessage-deflate is not among them. Checks the
    /// response rules of RFC 7692 §5 and §7 (not what the client offered:
    /// a client uses [`DeflateConfig::accept_response`]).
    pub fn from_extensions(extensions: &[ExtensionOffer]) -> Result<Option<Self>, DeflateError> {
        let mut found = extensions.iter().filter(|e| e.is(EXTENSION_NAME));
        let Some(response) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(DeflateError::MultipleResponses);
        }
        let p = Parsed::parse(response)?;
        Ok(Some(DeflateParams {
            server_no_context_takeover: p.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover,
            server_max_window_bits: p.server_max_window_bits.unwrap_or(15),
            client_max_window_bits: match p.client_max_window_bits {
                Some(Some(bits)) => bits,
                // A response must carry a value (RFC 7692 §7.1.2.2).
                Some(None) => {
                    return Err(DeflateError::InvalidWindowBits {
                        name: CLIENT_MAX_WINDOW_BITS.into(),
                        value: String::new(),
                    });
                }
                None => 15,
            },
        }))
    }

    /// The response extension a server sends for these parameters (RFC
    /// 7692 §7.1), window sizes of 15 left out unless `client_window` (the
    /// offer had `client_max_window_bits`) asks for that one.
    fn to_response(self, client_window: bool) -> ExtensionOffer {
        let mut r = ExtensionOffer::new(EXTENSION_NAME);
        if self.server_no_context_takeover {
            r = r.with_flag(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if self.client_no_context_takeover {
            r = r.with_flag(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if self.server_max_window_bits < 15 {
            r = r.with_param(
                SERVER_MAX_WINDOW_BITS,
                self.server_max_window_bits.to_string(),
            );
        }
        if client_window && self.client_max_window_bits < 15 {
            r = r.with_param(
                CLIENT_MAX_WINDOW_BITS,
                self.client_max_window_bits.to_string(),
            );
        }
        r
    }
}

/// What an endpoint offers (a client) or accepts (a server), and how it
/// compresses: RFC 7692 §7.1's parameters from the point of view of one
/// side, plus local choices no peer sees.
///
/// Defaults: context takeover both ways, 15-bit windows, level 6, messages
/// under 32 bytes sent uncompressed, unused (de)compressors without context
/// takeover freed after 10 s.
///
/// ```
/// use rtw_ws::deflate::DeflateConfig;
///
/// let config = DeflateConfig::default()
///     .client_max_window_bits(12)
///     .compression_level(1);
/// assert_eq!(config.client_max_window_bits, 12);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// A client asks the server to reset its compressor after each message
    /// (RFC 7692 §7.1.1.1); a server always does so and says it in its
    /// response. Saves the receiver nothing but costs the sender ratio.
    pub server_no_context_takeover: bool,
    /// A client promises to reset its compressor after each message (RFC
    /// 7692 §7.1.1.2); a server requires it of the client.
    pub client_no_context_takeover: bool,
    /// Largest window of the server's compressor, 8 to 15 (RFC 7692
    /// §7.1.2.1): a client asks for it when under 15 (to bound the memory
    /// of its decompressor), a server never uses more, nor more than the
    /// client asks for.
    pub server_max_window_bits: u8,
    /// Largest window of the client's compressor, 8 to 15 (RFC 7692
    /// §7.1.2.2): a client offers `client_max_window_bits` (with this value
    /// when under 15), a server limits the client to it when the offer
    /// allows.
    pub client_max_window_bits: u8,
    /// zlib compression level, 0 (stored) to 9 (best).
    pub compression_level: u32,
    /// Messages shorter than this are sent uncompressed (RSV1 clear, RFC
    /// 7692 §6): compressing them costs more than it saves.
    pub compression_threshold: usize,
    /// zlib's state is created by the first compressed message in each
    /// direction, not at the handshake; where a direction has no context
    /// takeover, its state is freed again after this long without a
    /// compressed message (it would be reset before the next message
    /// anyway). With context takeover the state is the context and lives
    /// as long as the connection.
    pub release_after: Duration,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
            compression_level: 6,
            compression_threshold: 32,
            release_after: Duration::from_secs(10),
        }
    }
}

crate::setters::setters!(DeflateConfig {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: u8,
    client_max_window_bits: u8,
    compression_level: u32,
    compression_threshold: usize,
    release_after: Duration,
});

impl DeflateConfig {
    fn server_bits(&self) -> u8 {
        self.server_max_window_bits.clamp(8, 15)
    }

    fn client_bits(&self) -> u8 {
        self.client_max_window_bits.clamp(8, 15)
    }

    /// A client's offer (RFC 7692 §7.1): the `*_no_context_takeover`
    /// parameters asked for, `server_max_window_bits` when under 15, and
    /// always `client_max_window_bits` (with a value when under 15), since
    /// any window is fine for our decompressor.
    pub fn offer(&self) -> ExtensionOffer {
        let mut o = ExtensionOffer::new(EXTENSION_NAME);
        if self.server_no_context_takeover {
            o = o.with_flag(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if self.client_no_context_takeover {
            o = o.with_flag(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if self.server_bits() < 15 {
            o = o.with_param(SERVER_MAX_WINDOW_BITS, self.server_bits().to_string());
        }
        if self.client_bits() < 15 {
            o = o.with_param(CLIENT_MAX_WINDOW_BITS, self.client_bits().to_string());
        } else {
            o = o.with_flag(CLIENT_MAX_WINDOW_BITS);
        }
        o
    }

    /// A server's choice among a client's offers (RFC 7692 §5, §7.1), in
    /// the client's order of preference: the first permessage-deflate offer
    /// that is valid gets a response; offers with unknown, duplicated or
    /// invalid parameters are declined (skipped). `None` when none is
    /// acceptable.
    pub fn negotiate(&self, offers: &[ExtensionOffer]) -> Option<(ExtensionOffer, DeflateParams)> {
        offers
            .iter()
            .filter(|o| o.is(EXTENSION_NAME))
            .find_map(|o| self.respond(o).ok())
    }

    /// The response to one offer, or why it is declined.
    pub fn respond(
        &self,
        offer: &ExtensionOffer,
    ) -> Result<(ExtensionOffer, DeflateParams), DeflateError> {
        let p = Parsed::parse(offer)?;
        if p.server_max_window_bits == Some(8) {
            return Err(DeflateError::UnsupportedServerWindow);
        }
        let params = DeflateParams {
            server_no_context_takeover: p.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: self.client_no_context_takeover,
            // Our compressor needs 9 bits at least (see the module docs).
            server_max_window_bits: p
                .server_max_window_bits
                .unwrap_or(15)
                .min(self.server_bits().max(9)),
            // Without `client_max_window_bits` in the offer the client may
            // use any window (RFC 7692 §7.1.2.2).
            client_max_window_bits: match p.client_max_window_bits {
                None => 15,
                Some(offered) => offered.unwrap_or(15).min(self.client_bits()),
            },
        };
        let client_window = p.client_max_window_bits.is_some();
        Ok((params.to_response(client_window), params))
    }

    /// A client's check of the server's accepted extensions against
    /// [`offer`](Self::offer) (RFC 7692 §5): `Ok(None)` when the server
    /// declined, the parameters to use when it accepted, an error (fail the
    /// connection) when the response breaks a rule or asks for windows
    /// larger than offered.
    pub fn accept_response(
        &self,
        extensions: &[ExtensionOffer],
    ) -> Result<Option<DeflateParams>, DeflateError> {
        let Some(params) = DeflateParams::from_extensions(extensions)? else {
            return Ok(None);
        };
        let check = |name, offered: u8, answered: u8| {
            if answered > offered {
                Err(DeflateError::WindowTooLarge {
                    name,
                    offered,
                    answered,
                })
            } else {
                Ok(())
            }
        };
        check(
            SERVER_MAX_WINDOW_BITS,
            self.server_bits(),
            params.server_max_window_bits,
        )?;
        check(
            CLIENT_MAX_WINDOW_BITS,
            self.client_bits(),
            params.client_max_window_bits,
        )?;
        Ok(Some(DeflateParams {
            client_no_context_takeover: params.client_no_context_takeover
                || self.client_no_context_takeover,
            ..params
        }))
    }
}

/// The parameters of one offer or response, checked for RFC 7692 §7's
/// syntax.
#[derive(Debug, Default)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)` for the parameter without a value (offers only).
    client_max_window_bits: Option<Option<u8>>,
}

impl Parsed {
    fn parse(ext: &ExtensionOffer) -> Result<Self, DeflateError> {
        if let Some(name) = ext.duplicate_param() {
            return Err(DeflateError::DuplicateParam { name: name.into() });
        }
        let mut p = Parsed::default();
        for param in &ext.params {
            if param.is(SERVER_NO_CONTEXT_TAKEOVER) {
                p.server_no_context_takeover = flag(param)?;
            } else if param.is(CLIENT_NO_CONTEXT_TAKEOVER) {
                p.client_no_context_takeover = flag(param)?;
            } else if param.is(SERVER_MAX_WINDOW_BITS) {
                p.server_max_window_bits = Some(window_bits(param, param.value.as_deref())?);
            } else if param.is(CLIENT_MAX_WINDOW_BITS) {
                p.client_max_window_bits = Some(match param.value.as_deref() {
                    None => None,
                    Some(v) => Some(window_bits(param, Some(v))?),
                });
            } else {
                return Err(DeflateError::UnknownParam {
                    name: param.name.clone(),
                });
            }
        }
        Ok(p)
    }
}

/// A parameter that must have no value (RFC 7692 §7.1.1).
fn flag(param: &ExtensionParam) -> Result<bool, DeflateError> {
    match param.value {
        None => Ok(true),
        Some(_) => Err(DeflateError::UnexpectedValue {
            name: param.name.clone(),
        }),
    }
}

/// A window size: "a decimal integer value without leading zeroes between
/// 8 to 15, inclusive" (RFC 7692 §7.1.2.1, §7.1.2.2).
fn window_bits(param: &ExtensionParam, value: Option<&str>) -> Result<u8, DeflateError> {
    match value {
        Some(v @ ("8" | "9" | "10" | "11" | "12" | "13" | "14" | "15")) => {
            Ok(v.parse().expect("a listed number"))
        }
        _ => Err(DeflateError::InvalidWindowBits {
            name: param.name.clone(),
            value: value.unwrap_or_default().to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::parse_extensions;

    fn offers(s: &str) -> Vec<ExtensionOffer> {
        parse_extensions([s]).unwrap()
    }

    fn negotiate(config: &DeflateConfig, s: &str) -> Option<(String, DeflateParams)> {
        config
            .negotiate(&offers(s))
            .map(|(r, p)| (r.to_string(), p))
    }

    #[test]
    fn default_offer_and_response() {
        let c = DeflateConfig::default();
        assert_eq!(
            c.offer().to_string(),
            "permessage-deflate; client_max_window_bits"
        );
        let (r, p) = negotiate(&c, "permessage-deflate; client_max_window_bits").unwrap();
        assert_eq!(r, "permessage-deflate");
        assert_eq!(p, DeflateParams::default());
        assert_eq!(c.accept_response(&offers(&r)), Ok(Some(p)));
        assert_eq!(c.accept_response(&offers("x-other")), Ok(None));
    }

    #[test]
    fn every_parameter_is_honoured() {
        let c = DeflateConfig::default();
        let (r, p) = negotiate(
            &c,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=12",
        )
        .unwrap();
        assert_eq!(
            r,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
             client_max_window_bits=12"
        );
        assert_eq!(
            p,
            DeflateParams {
                server_no_context_takeover: true,
                client_no_context_takeover: false,
                server_max_window_bits: 10,
                client_max_window_bits: 12,
            }
        );
        // The server's own limits.
        let strict = DeflateConfig::default()
            .server_no_context_takeover(true)
            .client_no_context_takeover(true)
            .server_max_window_bits(9)
            .client_max_window_bits(11);
        let (r, p) = negotiate(&strict, "permessage-deflate; client_max_window_bits").unwrap();
        assert_eq!(
            r,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=11"
        );
        assert_eq!(p.client_max_window_bits, 11);
        // Without client_max_window_bits in the offer the client cannot be
        // limited (RFC 7692 §7.1.2.2).
        let (r, p) = negotiate(&strict, "permessage-deflate").unwrap();
        assert!(!r.contains("client_max_window_bits"));
        assert_eq!(p.client_max_window_bits, 15);
        // The client's view of the strict config's offer.
        assert_eq!(
            strict.offer().to_string(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=9; client_max_window_bits=11"
        );
    }

    #[test]
    fn invalid_offers_are_declined_and_the_next_is_taken() {
        let c = DeflateConfig::default();
        for bad in [
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; server_max_window_bits=1a",
            "permessage-deflate; client_max_window_bits=0",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover=true",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits; Client_Max_Window_Bits=9",
            "permessage-deflate; mem_level=9",
        ] {
            assert_eq!(negotiate(&c, bad), None, "{bad}");
            let (r, _) = negotiate(
                &c,
                &format!("{bad}, permessage-deflate; server_max_window_bits=12"),
            )
            .unwrap();
            assert_eq!(r, "permessage-deflate; server_max_window_bits=12", "{bad}");
        }
        // Quoted values are unescaped by the parser (RFC 6455 §9.1).
        let (r, _) = negotiate(&c, "permessage-deflate; server_max_window_bits=\"9\"").unwrap();
        assert_eq!(r, "permessage-deflate; server_max_window_bits=9");
        assert_eq!(negotiate(&c, "x-webkit-deflate-frame"), None);
    }

    #[test]
    fn several_offers_in_preference_order() {
        let c = DeflateConfig::default();
        let (r, p) = negotiate(
            &c,
            "x-foo, permessage-deflate; server_no_context_takeover; server_max_window_bits=9, \
             permessage-deflate; server_no_context_takeover, permessage-deflate",
        )
        .unwrap();
        assert_eq!(
            r,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"
        );
        assert_eq!(p.server_max_window_bits, 9);
    }

    #[test]
    fn server_window_8_is_declined_client_window_8_accepted() {
        let c = DeflateConfig::default();
        assert_eq!(
            c.respond(&offers("permessage-deflate; server_max_window_bits=8")[0]),
            Err(DeflateError::UnsupportedServerWindow)
        );
        // The next offer in the client's order is taken instead.
        let (r, p) = negotiate(
            &c,
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8, \
             permessage-deflate; client_max_window_bits=8",
        )
        .unwrap();
        assert_eq!(r, "permessage-deflate; client_max_window_bits=8");
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (15, 8)
        );
        // A server configured for 8 bits compresses with 9.
        let small = DeflateConfig::default().server_max_window_bits(8);
        let (r, _) = negotiate(&small, "permessage-deflate").unwrap();
        assert_eq!(r, "permessage-deflate; server_max_window_bits=9");
    }

    #[test]
    fn client_checks_the_response() {
        let c = DeflateConfig::default()
            .server_max_window_bits(10)
            .client_max_window_bits(12);
        let check = |s: &str| c.accept_response(&offers(s));
        assert_eq!(
            check("permessage-deflate; server_max_window_bits=9; client_max_window_bits=12"),
            Ok(Some(DeflateParams {
                server_max_window_bits: 9,
                client_max_window_bits: 12,
                ..DeflateParams::default()
            }))
        );
        assert_eq!(
            check("permessage-deflate; server_max_window_bits=11"),
            Err(DeflateError::WindowTooLarge {
                name: SERVER_MAX_WINDOW_BITS,
                offered: 10,
                answered: 11
            })
        );
        assert_eq!(
            check("permessage-deflate; server_max_window_bits=10; client_max_window_bits=13"),
            Err(DeflateError::WindowTooLarge {
                name: CLIENT_MAX_WINDOW_BITS,
                offered: 12,
                answered: 13
            })
        );
        assert!(matches!(
            check("permessage-deflate; server_max_window_bits=10; client_max_window_bits"),
            Err(DeflateError::InvalidWindowBits { .. })
        ));
        assert_eq!(
            check("permessage-deflate; foo"),
            Err(DeflateError::UnknownParam { name: "foo".into() })
        );
        assert_eq!(
            check("permessage-deflate; server_no_context_takeover; server_no_context_takeover"),
            Err(DeflateError::DuplicateParam {
                name: "server_no_context_takeover".into()
            })
        );
        assert_eq!(
            check("permessage-deflate, permessage-deflate"),
            Err(DeflateError::MultipleResponses)
        );
        assert_eq!(
            check("permessage-deflate; client_no_context_takeover=x"),
            Err(DeflateError::UnexpectedValue {
                name: "client_no_context_takeover".into()
            })
        );
        // Leaving out the window the client asked for is a larger window.
        assert!(matches!(
            check("permessage-deflate"),
            Err(DeflateError::WindowTooLarge { answered: 15, .. })
        ));
        // A client that promised no context takeover keeps its promise even
        // if the server's response leaves it out (RFC 7692 §7.1.1.2).
        let hint = DeflateConfig::default().client_no_context_takeover(true);
        let p = hint
            .accept_response(&offers("permessage-deflate"))
            .unwrap()
            .unwrap();
        assert!(p.client_no_context_takeover);
    }
}
