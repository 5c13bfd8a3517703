//! Why a step failed, classified so reports can group errors by kind and a misbehaving
//! server shows up as counted failures rather than a crash.
//!
//! Classes come from the kind of error (the `std::io::Error` and `hyper::Error` found
//! down its source chain), never from searching its text. Details are made safe to
//! print: control characters a server sent (an ESC that would recolour the terminal) are
//! shown escaped.

use std::fmt;

/// The classes of failure a step can end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// The server answered with an unexpected HTTP status.
    Status(u16),
    /// No answer (or no matching frame) within the timeout.
    Timeout,
    /// Nothing listened at the target.
    ConnectionRefused,
    /// The connection was reset or aborted mid-exchange.
    ConnectionReset,
    /// The server closed the connection before it answered.
    ConnectionClosed,
    /// The answer is not HTTP (garbage, or a malformed status line or header).
    InvalidResponse,
    /// The connection ended before the body its headers announced was complete.
    TruncatedBody,
    /// The WebSocket peer broke the protocol (bad opcode, bad UTF-8, bad handshake).
    ProtocolError,
    /// The server sent more WebSocket data than loadgate buffers for a connection
    /// before the scenario read it; the excess frames were dropped.
    WebSocketOverflow,
    /// Another transport error (DNS, TLS, a URL that cannot be requested).
    Transport,
    /// A check in `expect` did not hold; the string names which one.
    Expectation(&'static str),
    /// An `extract` pointer found nothing in the response.
    Extract,
    /// The body was not JSON where JSON was needed, or was too large.
    InvalidBody,
    /// The WebSocket closed (or was never open) when the step needed it.
    WebSocketClosed,
    /// A required variable had not been set by an earlier step.
    VariableUnset,
}

impl FailureKind {
    /// The grouping label shown in tables and `summary.json`.
    pub fn label(&self) -> String {
        match self {
            FailureKind::Status(code) => format!("http {code}"),
            FailureKind::Timeout => "timeout".into(),
            FailureKind::ConnectionRefused => "connection refused".into(),
            FailureKind::ConnectionReset => "connection reset".into(),
            FailureKind::ConnectionClosed => "connection closed".into(),
            FailureKind::InvalidResponse => "invalid response".into(),
            FailureKind::TruncatedBody => "truncated body".into(),
            FailureKind::ProtocolError => "protocol error".into(),
            FailureKind::WebSocketOverflow => "websocket overflow".into(),
            FailureKind::Transport => "transport error".into(),
            FailureKind::Expectation(which) => format!("expectation failed: {which}"),
            FailureKind::Extract => "extract failed".into(),
            FailureKind::InvalidBody => "invalid response body".into(),
            FailureKind::WebSocketClosed => "websocket closed early".into(),
            FailureKind::VariableUnset => "variable not set".into(),
        }
    }

    /// The class of an I/O error, by its kind; `in_body` tells an early end of the
    /// connection while reading a body (a truncated body) from one before any answer.
    pub fn from_io(kind: std::io::ErrorKind, in_body: bool) -> Option<FailureKind> {
        use std::io::ErrorKind;
        Some(match kind {
            ErrorKind::ConnectionRefused => FailureKind::ConnectionRefused,
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
                FailureKind::ConnectionReset
            }
            ErrorKind::UnexpectedEof if in_body => FailureKind::TruncatedBody,
            ErrorKind::UnexpectedEof => FailureKind::ConnectionClosed,
            ErrorKind::TimedOut => FailureKind::Timeout,
            ErrorKind::InvalidData => FailureKind::InvalidResponse,
            _ => return None,
        })
    }
}

/// One failure: its class plus a human detail (never containing request secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The class, for grouping.
    pub kind: FailureKind,
    /// What exactly happened, e.g. `expected status 201, got 200`.
    pub detail: String,
}

/// Details are cut to this many characters so a huge error body cannot bloat reports.
pub const MAX_DETAIL_CHARS: usize = 300;

impl Failure {
    /// Builds a failure; the detail is made printable (control characters escaped) and
    /// cut to [`MAX_DETAIL_CHARS`].
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        let mut detail = printable(&detail.into());
        if detail.chars().count() > MAX_DETAIL_CHARS {
            detail = detail.chars().take(MAX_DETAIL_CHARS).collect::<String>() + "…";
        }
        Failure { kind, detail }
    }

    /// Classifies an error met while sending the request or reading the headers.
    pub fn from_send_error(err: &(dyn std::error::Error + 'static)) -> Self {
        Failure::new(classify(err, false), error_chain(err))
    }

    /// Classifies an error met while reading a response body.
    pub fn from_body_error(err: &(dyn std::error::Error + 'static)) -> Self {
        Failure::new(classify(err, true), error_chain(err))
    }
}

/// The class of an HTTP client error (loadgate's transport or reqwest): the most specific
/// cause down its source chain.
fn classify(err: &(dyn std::error::Error + 'static), in_body: bool) -> FailureKind {
    if let Some(reqwest) = err.downcast_ref::<reqwest::Error>() {
        if reqwest.is_timeout() {
            return FailureKind::Timeout;
        }
    }
    let mut found = None;
    let mut from_connection = false;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            from_connection = true;
            let tls = io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>());
            found = match io.kind() {
                // A failed handshake or a certificate refused: the TLS layer's own error.
                _ if tls => Some(FailureKind::Transport),
                // A body that does not decode (bad gzip) is the body's fault.
                std::io::ErrorKind::InvalidData if in_body => Some(FailureKind::InvalidBody),
                kind => FailureKind::from_io(kind, in_body).or(found),
            };
        } else if let Some(hyper) = e.downcast_ref::<hyper::Error>() {
            from_connection = true;
            found = classify_hyper(hyper, in_body).or(found);
        }
        current = e.source();
    }
    match found {
        Some(kind) => kind,
        // The connection broke off while the body came in.
        None if in_body && from_connection => FailureKind::TruncatedBody,
        // The body came whole but did not decode (bytes after the end of a gzip stream).
        None if in_body => FailureKind::InvalidBody,
        None => FailureKind::Transport,
    }
}

fn classify_hyper(err: &hyper::Error, in_body: bool) -> Option<FailureKind> {
    if err.is_parse() || err.is_parse_status() || err.is_parse_too_large() {
        Some(FailureKind::InvalidResponse)
    } else if err.is_incomplete_message() {
        Some(if in_body {
            FailureKind::TruncatedBody
        } else {
            FailureKind::ConnectionClosed
        })
    } else if err.is_timeout() {
        Some(FailureKind::Timeout)
    } else if err.is_closed() || err.is_canceled() {
        Some(FailureKind::ConnectionClosed)
    } else {
        None
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.label(), self.detail)
    }
}

/// The error and its sources, joined, without the URL (it may carry a token in its query).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        let text = match text.find(" for url (") {
            Some(cut) => text[..cut].to_string(),
            None => text,
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// `text` safe to print on a terminal: line breaks and tabs become spaces, other control
/// characters and bidirectional overrides are shown escaped (`\u{1b}`), so a server's
/// escape sequence cannot recolour or rewrite the terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Unicode's explicit bidirectional formatting characters (they reorder what follows).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_printable_and_bounded() {
        let failure = Failure::new(
            FailureKind::WebSocketClosed,
            "code 1000, \u{1b}[31mRED\u{1b}]0;pwned\u{7}\nnext\u{202e}",
        );
        assert_eq!(
            failure.detail,
            "code 1000, \\u{1b}[31mRED\\u{1b}]0;pwned\\u{7} next\\u{202e}"
        );
        assert!(!failure.detail.chars().any(|c| c.is_control()));
        let long = Failure::new(FailureKind::Transport, "x".repeat(1000));
        assert_eq!(long.detail.chars().count(), MAX_DETAIL_CHARS + 1);
    }

    #[test]
    fn io_kinds_map_to_classes() {
        use std::io::ErrorKind;
        assert_eq!(
            FailureKind::from_io(ErrorKind::UnexpectedEof, true),
            Some(FailureKind::TruncatedBody)
        );
        assert_eq!(
            FailureKind::from_io(ErrorKind::UnexpectedEof, false),
            Some(FailureKind::ConnectionClosed)
        );
        assert_eq!(
            FailureKind::from_io(ErrorKind::BrokenPipe, false),
            Some(FailureKind::ConnectionReset)
        );
        assert_eq!(FailureKind::from_io(ErrorKind::Other, false), None);
    }
}
