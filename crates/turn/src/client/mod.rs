//! The TURN client (RFC 8656), sans-IO. (Being written: see the issue 14 brief.)
