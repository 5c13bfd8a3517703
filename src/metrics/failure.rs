//! Why a step failed, classified so reports can group errors by kind and a misbehaving
//! server shows up as counted failures rather than a crash.

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
    /// The connection dropped mid-exchange.
    ConnectionReset,
    /// Another transport error (DNS, TLS, protocol).
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
            FailureKind::Transport => "transport error".into(),
            FailureKind::Expectation(which) => format!("expectation failed: {which}"),
            FailureKind::Extract => "extract failed".into(),
            FailureKind::InvalidBody => "invalid response body".into(),
            FailureKind::WebSocketClosed => "websocket closed early".into(),
            FailureKind::VariableUnset => "variable not set".into(),
        }
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

impl Failure {
    /// Builds a failure; details are cut to 300 characters so a huge error body cannot
    /// bloat reports.
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        let mut detail: String = detail.into();
        if detail.chars().count() > 300 {
            detail = detail.chars().take(300).collect::<String>() + "…";
        }
        Failure { kind, detail }
    }

    /// Classifies a reqwest error by what went wrong on the wire.
    pub fn from_reqwest(err: &reqwest::Error) -> Self {
        let kind = if err.is_timeout() {
            FailureKind::Timeout
        } else if err.is_connect() {
            if source_chain_contains(err, "refused") {
                FailureKind::ConnectionRefused
            } else {
                FailureKind::Transport
            }
        } else if source_chain_contains(err, "reset")
            || source_chain_contains(err, "closed")
            || err.is_body()
            || err.is_request()
        {
            FailureKind::ConnectionReset
        } else {
            FailureKind::Transport
        };
        Failure::new(kind, error_chain(err))
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

fn source_chain_contains(err: &(dyn std::error::Error + 'static), needle: &str) -> bool {
    error_chain(err).to_ascii_lowercase().contains(needle)
}
