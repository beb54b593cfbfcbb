//! `rtw stun decode`: one STUN message on stdin, printed attribute by
//! attribute, with FINGERPRINT (RFC 8489 §14.7) and, given a password,
//! MESSAGE-INTEGRITY (§14.5) or MESSAGE-INTEGRITY-SHA256 (§14.6) checked.
//!
//! Output, one line each: the header
//! (`Binding request (0x0001), transaction 0x..., 108 bytes`), then per
//! attribute `  NAME (0xTYPE), N bytes: VALUE`. An integrity or fingerprint
//! line ends with `: ok`, `: MISMATCH` or `: not checked (...)`; an
//! attribute a receiver ignores (after MESSAGE-INTEGRITY, §14.5) with
//! `(ignored: ...)`; an unknown comprehension-required one with `(unknown,
//! comprehension-required: a receiver rejects the message with 420)`.
//!
//! Exit status 1 when the input is not one valid STUN message (nothing is
//! printed), or when the message is printed but a check failed: a value
//! that breaks its attribute's definition, a FINGERPRINT or
//! MESSAGE-INTEGRITY mismatch, or a password given for a message without
//! MESSAGE-INTEGRITY. Each failure is also said on stderr.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use rtw_stun::key::{PasswordAlgorithm, long_term_key, short_term_key};
use rtw_stun::{
    AttributeType, Class, HEADER_LEN, IntegrityAlgorithm, Message, RawAttribute, TransactionId,
};

use super::describe;
use crate::input;

/// Largest input read: a STUN message is at most 20 + 65,535 bytes, which
/// in hex with a separator after each byte is under 200 KB.
const MAX_INPUT: usize = 256 * 1024;

/// The credentials to check MESSAGE-INTEGRITY with.
#[derive(Debug, Clone, clap::Args)]
#[group(multiple = false)]
pub(super) struct Credentials {
    /// Short-term credential password (RFC 8489 §9.1.1): the key is the
    /// password after OpaqueString (RFC 8265 §4.2).
    #[arg(long, value_name = "P")]
    password: Option<String>,
    /// Long-term credential (RFC 8489 §9.2.2), as USERNAME:REALM:PASSWORD
    /// (the password may contain colons). The key is MD5, or SHA-256 if the
    /// message's PASSWORD-ALGORITHM says so, of
    /// username:OpaqueString(realm):OpaqueString(password).
    #[arg(long, value_name = "USER:REALM:PASS", value_parser = parse_long_term)]
    long_term: Option<LongTerm>,
}

/// A long-term credential.
#[derive(Debug, Clone)]
pub(super) struct LongTerm {
    user: String,
    realm: String,
    password: String,
}

fn parse_long_term(s: &str) -> Result<LongTerm, String> {
    let mut parts = s.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(user), Some(realm), Some(password)) => Ok(LongTerm {
            user: user.to_owned(),
            realm: realm.to_owned(),
            password: password.to_owned(),
        }),
        _ => Err("expected USERNAME:REALM:PASSWORD".into()),
    }
}

/// Run `rtw stun decode`.
pub(super) fn run(credentials: &Credentials) -> ExitCode {
    let of = "one STUN message in hex or binary (rtw stun decode)";
    let result = match input::read_all(io::stdin().lock(), MAX_INPUT, of) {
        Ok(input) => decode(&input, credentials, &mut io::stdout().lock()),
        Err(e) => Err(Fault::Input(e.to_string())),
    };
    match result {
        Ok(Checked { failures }) if failures.is_empty() => ExitCode::SUCCESS,
        Ok(Checked { failures }) => {
            for failure in failures {
                eprintln!("rtw stun decode: {failure}");
            }
            ExitCode::FAILURE
        }
        Err(fault) => {
            eprintln!("rtw stun decode: {fault}");
            ExitCode::FAILURE
        }
    }
}

/// Why nothing could be printed.
#[derive(Debug)]
pub(super) enum Fault {
    /// The input is not a message: empty, too long, bad hex, or rejected
    /// by [`Message::parse`].
    Input(String),
    /// Writing stdout failed.
    Output(io::Error),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Input(why) => f.write_str(why),
            Fault::Output(e) => write!(f, "writing stdout: {e}"),
        }
    }
}

/// The checks that failed on a message that was printed.
#[derive(Debug, Default)]
pub(super) struct Checked {
    pub(super) failures: Vec<String>,
}

/// The message bytes: `input` decoded from hex if it holds only hex digits
/// and whitespace, else `input` itself. The length of `input` is bounded
/// by [`run`], which reads at most [`MAX_INPUT`] bytes.
fn message_bytes(input: &[u8]) -> Result<Vec<u8>, Fault> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Fault::Input(
            "no input: expected a STUN message, hex or binary".into(),
        ));
    }
    if !input
        .iter()
        .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
    {
        return Ok(input.to_vec());
    }
    let digits: Vec<u8> = input
        .iter()
        .copied()
        .filter(u8::is_ascii_hexdigit)
        .collect();
    if digits.len() % 2 != 0 {
        return Err(Fault::Input(format!(
            "hex input has an odd number of digits ({})",
            digits.len()
        )));
    }
    let nibble = |d: u8| (d as char).to_digit(16).expect("filtered hex digit") as u8;
    Ok(digits
        .chunks_exact(2)
        .map(|pair| nibble(pair[0]) << 4 | nibble(pair[1]))
        .collect())
}

/// Decode `input` and print it on `out`.
pub(super) fn decode(
    input: &[u8],
    credentials: &Credentials,
    out: &mut impl Write,
) -> Result<Checked, Fault> {
    let bytes = message_bytes(input)?;
    let msg = Message::parse(&bytes)
        .map_err(|e| Fault::Input(format!("not a valid STUN message: {e}")))?;
    let mut checked = Checked::default();
    let key = match key(&msg, credentials) {
        Ok(key) => key,
        Err(e) => {
            checked.failures.push(e);
            None
        }
    };
    let lines = describe_message(&msg, key.as_deref(), &mut checked.failures);
    for line in lines {
        writeln!(out, "{line}").map_err(Fault::Output)?;
    }
    out.flush().map_err(Fault::Output)?;
    Ok(checked)
}

/// The integrity key from `credentials`, if any were given.
fn key(msg: &Message<'_>, credentials: &Credentials) -> Result<Option<Vec<u8>>, String> {
    let key = if let Some(password) = &credentials.password {
        short_term_key(password)
    } else if let Some(lt) = &credentials.long_term {
        let algorithm = match describe::password_algorithm(msg) {
            Some(Ok(algorithm)) => algorithm,
            Some(Err(why)) => return Err(why),
            None => PasswordAlgorithm::Md5,
        };
        long_term_key(&lt.user, &lt.realm, &lt.password, algorithm)
    } else {
        return Ok(None);
    };
    key.map(Some)
        .map_err(|e| format!("cannot make the key: {e}"))
}

/// The lines that describe `msg`; checks that fail are added to
/// `failures`.
fn describe_message(
    msg: &Message<'_>,
    key: Option<&[u8]>,
    failures: &mut Vec<String>,
) -> Vec<String> {
    let typ = msg.message_type();
    let method = match typ.method.name() {
        Some(name) => name.to_owned(),
        None => format!("method 0x{:03x}", typ.method.0),
    };
    let class = match typ.class {
        Class::Request => "request",
        Class::Indication => "indication",
        Class::SuccessResponse => "success response",
        Class::ErrorResponse => "error response",
    };
    let mut lines = vec![format!(
        "{method} {class} (0x{:04x}), transaction 0x{}, {} bytes",
        typ.to_bits(),
        msg.transaction_id(),
        msg.as_bytes().len()
    )];
    let checks = Checks {
        integrity: key.map(|key| msg.verify_integrity(key)),
        has_sha256: msg.raw(AttributeType::MESSAGE_INTEGRITY_SHA256).is_some(),
        fingerprint: msg.verify_fingerprint(),
    };
    if let Some(Err(rtw_stun::Error::MissingIntegrity)) = checks.integrity {
        failures.push(
            "a password was given but the message has no MESSAGE-INTEGRITY or \
             MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.5, §14.6)"
                .into(),
        );
    }
    let counted: Vec<usize> = msg.attributes().map(|a| a.offset).collect();
    let tid = msg.transaction_id();
    for attr in all_attributes(msg.as_bytes()) {
        let len = attr.value.len();
        let mut line = format!(
            "  {} (0x{:04x}), {len} byte{}: ",
            attr.typ,
            attr.typ.0,
            if len == 1 { "" } else { "s" }
        );
        if !counted.contains(&attr.offset) {
            line.push_str(&describe::hex(attr.value));
            line.push_str(
                " (ignored: only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count after \
                 message integrity, RFC 8489 §14.5, §14.6)",
            );
        } else {
            line.push_str(&checks.value(&attr, &tid, failures));
            if attr.typ.name().is_none() && attr.typ.is_comprehension_required() {
                line.push_str(
                    " (unknown, comprehension-required: a receiver rejects the message \
                     with 420, RFC 8489 §6.3.1)",
                );
            }
        }
        lines.push(line);
    }
    lines
}

/// What the message-wide checks found.
struct Checks {
    /// [`Message::verify_integrity`] with the key, if one was given.
    integrity: Option<Result<IntegrityAlgorithm, rtw_stun::Error>>,
    /// Whether MESSAGE-INTEGRITY-SHA256 is there, which makes it the one
    /// checked (RFC 8489 §9.1.4).
    has_sha256: bool,
    /// [`Message::verify_fingerprint`].
    fingerprint: Result<bool, rtw_stun::Error>,
}

impl Checks {
    /// The value of `attr` as text; for the integrity attributes and
    /// FINGERPRINT, the value in hex and the verdict. Failures are added
    /// to `failures`.
    fn value(
        &self,
        attr: &RawAttribute<'_>,
        tid: &TransactionId,
        failures: &mut Vec<String>,
    ) -> String {
        let hex = describe::hex(attr.value);
        match attr.typ {
            AttributeType::MESSAGE_INTEGRITY | AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                let sha256 = attr.typ == AttributeType::MESSAGE_INTEGRITY_SHA256;
                let verdict = match &self.integrity {
                    None => "not checked (give --password or --long-term)".to_owned(),
                    Some(_) if !sha256 && self.has_sha256 => "not checked \
                        (MESSAGE-INTEGRITY-SHA256 is the one that counts, RFC 8489 §9.1.4)"
                        .to_owned(),
                    Some(Ok(_)) if sha256 => "ok (HMAC-SHA256)".to_owned(),
                    Some(Ok(_)) => "ok (HMAC-SHA1)".to_owned(),
                    Some(Err(rtw_stun::Error::IntegrityMismatch)) => {
                        failures.push(format!(
                            "{} mismatch: wrong password, or the message was altered",
                            attr.typ
                        ));
                        "MISMATCH".to_owned()
                    }
                    Some(Err(e)) => {
                        failures.push(e.to_string());
                        format!("invalid: {e}")
                    }
                };
                format!("{hex}: {verdict}")
            }
            AttributeType::FINGERPRINT => match &self.fingerprint {
                Ok(_) => format!("{hex}: ok"),
                Err(rtw_stun::Error::FingerprintMismatch) => {
                    failures.push(
                        "FINGERPRINT mismatch: the message was altered (RFC 8489 §14.7)".into(),
                    );
                    format!("{hex}: MISMATCH")
                }
                Err(e) => {
                    failures.push(e.to_string());
                    format!("{hex}: invalid: {e}")
                }
            },
            _ => match describe::value(attr, tid) {
                Ok(value) => value,
                Err(e) => {
                    failures.push(e.to_string());
                    format!("{hex}: invalid: {e}")
                }
            },
        }
    }
}

/// Every attribute of a message [`Message::parse`] accepted, those a
/// receiver ignores included.
fn all_attributes(bytes: &[u8]) -> Vec<RawAttribute<'_>> {
    let mut attrs = Vec::new();
    let mut at = HEADER_LEN;
    while let Some(h) = bytes.get(at..at + 4) {
        let typ = AttributeType(u16::from_be_bytes([h[0], h[1]]));
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let Some(value) = bytes.get(at + 4..at + 4 + len) else {
            break;
        };
        attrs.push(RawAttribute {
            typ,
            value,
            offset: at,
        });
        at += 4 + ((len + 3) & !3);
    }
    attrs
}

#[cfg(test)]
mod tests {
    use rtw_stun::attributes::{Software, Username};
    use rtw_stun::{MessageBuilder, MessageType, Method};

    use super::*;

    fn password(p: &str) -> Credentials {
        Credentials {
            password: Some(p.to_owned()),
            long_term: None,
        }
    }

    fn run(input: &[u8], credentials: &Credentials) -> (String, Vec<String>) {
        let mut out = Vec::new();
        let checked = decode(input, credentials, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), checked.failures)
    }

    #[test]
    fn hex_or_binary() {
        assert_eq!(message_bytes(b"00 01\n0a FF\t").unwrap(), [0, 1, 10, 255]);
        assert_eq!(message_bytes(b"\x00\x01zz").unwrap(), b"\x00\x01zz");
        // The magic cookie's 0x21 is not a hex digit: binary STUN is never
        // taken for hex.
        assert_eq!(message_bytes(b"0\x21").unwrap(), b"0\x21");
        assert!(matches!(message_bytes(b"abc"), Err(Fault::Input(_))));
        assert!(matches!(message_bytes(b" \r\n"), Err(Fault::Input(_))));
    }

    #[test]
    fn long_term_credentials_split_at_the_first_two_colons() {
        let lt = parse_long_term("user:realm:pa:ss").unwrap();
        assert_eq!(
            (lt.user.as_str(), lt.realm.as_str(), lt.password.as_str()),
            ("user", "realm", "pa:ss")
        );
        assert!(parse_long_term("user:realm").is_err());
    }

    #[test]
    fn sha256_integrity_is_the_one_checked_when_both_are_there() {
        let tid = TransactionId([3; 12]);
        let key = short_term_key("pw").unwrap();
        let mut b = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid);
        b.add(&Username::new("u").unwrap()).unwrap();
        b.add_message_integrity(&key).unwrap();
        b.add_message_integrity_sha256(&key, 32).unwrap();
        b.add_fingerprint().unwrap();
        let msg = b.finish();

        let (out, failures) = run(&msg, &password("pw"));
        assert!(failures.is_empty(), "{failures:?}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert!(
            lines[2].ends_with(
                ": not checked (MESSAGE-INTEGRITY-SHA256 is the one that counts, RFC 8489 §9.1.4)"
            ),
            "{out}"
        );
        assert!(
            lines[3].starts_with("  MESSAGE-INTEGRITY-SHA256 (0x001c), 32 bytes: "),
            "{out}"
        );
        assert!(lines[3].ends_with(": ok (HMAC-SHA256)"), "{out}");

        let (out, failures) = run(&msg, &password("other"));
        assert_eq!(
            failures,
            ["MESSAGE-INTEGRITY-SHA256 mismatch: wrong password, or the message was altered"]
        );
        assert!(out.contains(": MISMATCH\n"), "{out}");
    }

    #[test]
    fn attributes_after_integrity_are_shown_as_ignored() {
        let tid = TransactionId([4; 12]);
        let key = short_term_key("pw").unwrap();
        let mut b = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid);
        b.add_message_integrity(&key).unwrap();
        let mut msg = b.finish().to_vec();
        // SOFTWARE "x" appended by hand: the builder refuses it there.
        msg.extend_from_slice(&[0x80, 0x22, 0, 1, b'x', 0, 0, 0]);
        msg[3] += 8;
        let (out, failures) = run(&msg, &password("pw"));
        assert!(failures.is_empty(), "{failures:?}");
        assert!(out.contains(": ok (HMAC-SHA1)\n"), "{out}");
        assert!(
            out.contains("  SOFTWARE (0x8022), 1 byte: 78 (ignored: "),
            "{out}"
        );
        // Before integrity, the same attribute is read.
        let mut b = MessageBuilder::new(MessageType::new(Method::BINDING, Class::Request), tid);
        b.add(&Software::new("x").unwrap()).unwrap();
        let (out, _) = run(
            &b.finish(),
            &Credentials {
                password: None,
                long_term: None,
            },
        );
        assert!(
            out.contains("  SOFTWARE (0x8022), 1 byte: \"x\"\n"),
            "{out}"
        );
    }
}
