//! The states of the chunked decoder, one per position in the grammar of
//! RFC 9112 §7.1:
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! trailer-section = *( field-line CRLF )
//! ```

/// Where the decoder is in the chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkedState {
    /// Expecting the first digit of a chunk-size.
    SizeStart,
    /// Inside `1*HEXDIG`.
    Size,
    /// BWS after the size; only more BWS or `;` may follow.
    SizeBws,
    /// After `;`: BWS, then the first byte of a chunk-ext-name.
    ExtNameStart,
    /// Inside a chunk-ext-name.
    ExtName,
    /// BWS after a name: `=`, `;` or more BWS may follow.
    ExtNameBws,
    /// After `=`: BWS, then a token or `"`.
    ExtValueStart,
    /// Inside a token value.
    ExtToken,
    /// Inside a quoted-string value.
    ExtQuoted,
    /// After `\` inside a quoted-string.
    ExtQuotedPair,
    /// Right after a complete value: `;`, BWS or CR may follow.
    ExtValueEnd,
    /// BWS after a value; only more BWS or `;` may follow.
    ExtValueBws,
    /// After the CR of the chunk line, expecting LF.
    SizeLf,
    /// Inside chunk-data.
    Data,
    /// After chunk-data, expecting CR.
    DataCr,
    /// After chunk-data and CR, expecting LF.
    DataLf,
    /// At the start of a trailer line (or of the final CRLF).
    TrailerStart,
    /// Inside a trailer field line.
    Trailer,
    /// After the CR of a trailer field line, expecting LF.
    TrailerLf,
    /// After the CR of the final empty line, expecting LF.
    EndLf,
    /// The body is complete; [`Frame::End`](crate::Frame::End) is still to be yielded.
    End,
    /// The body is complete and `End` was yielded.
    Done,
}

impl ChunkedState {
    /// What the stream was inside of, for [`Error::UnexpectedEof`](crate::Error::UnexpectedEof).
    pub(crate) fn describe(self) -> &'static str {
        use ChunkedState::*;
        match self {
            SizeStart | Size | SizeBws | SizeLf => "chunk-size line",
            ExtNameStart | ExtName | ExtNameBws | ExtValueStart | ExtToken | ExtQuoted
            | ExtQuotedPair | ExtValueEnd | ExtValueBws => "chunk extensions",
            Data => "chunk data",
            DataCr | DataLf => "CRLF after chunk data",
            TrailerStart | Trailer | TrailerLf | EndLf => "trailer section",
            End | Done => "completed body",
        }
    }

    /// `true` while reading `chunk-ext`, whose bytes count against the
    /// extension limits.
    pub(crate) fn in_extensions(self) -> bool {
        use ChunkedState::*;
        matches!(
            self,
            SizeBws
                | ExtNameStart
                | ExtName
                | ExtNameBws
                | ExtValueStart
                | ExtToken
                | ExtQuoted
                | ExtQuotedPair
                | ExtValueEnd
                | ExtValueBws
        )
    }
}
