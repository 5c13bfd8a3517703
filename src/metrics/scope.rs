//! Which steps a figure covers: every step, the HTTP steps, the WebSocket measures, or
//! named steps. Budgets judge a scope, and the recorder keeps a per-second series for
//! each budget's scope, so a chart shows exactly what its budget judged.

use super::snapshot::StepKind;

/// A set of steps, by kind or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every step (the default).
    All,
    /// Every HTTP step.
    Http,
    /// Every WebSocket measure.
    Ws,
    /// The named steps (or `first:` names), merged.
    Steps(Vec<String>),
}

impl Scope {
    /// Whether the step `name` of `kind` belongs to the scope.
    pub fn matches(&self, name: &str, kind: StepKind) -> bool {
        match self {
            Scope::All => true,
            Scope::Http => !kind.is_websocket(),
            Scope::Ws => kind.is_websocket(),
            Scope::Steps(names) => names.iter().any(|n| n == name),
        }
    }

    /// How the progress line names the scope: `http`, `ws`, `all` or the step names.
    pub fn short_label(&self) -> String {
        match self {
            Scope::All => "all".into(),
            Scope::Http => "http".into(),
            Scope::Ws => "ws".into(),
            Scope::Steps(names) => names.join(","),
        }
    }

    /// How reports name the scope; also the key of its per-second series.
    pub fn label(&self) -> String {
        match self {
            Scope::All => "all steps".into(),
            Scope::Http => "all HTTP steps".into(),
            Scope::Ws => "all WebSocket measures".into(),
            Scope::Steps(names) => names.join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_names() {
        assert!(Scope::Http.matches("a", StepKind::Http));
        assert!(!Scope::Http.matches("a", StepKind::WsReceive));
        assert!(Scope::Ws.matches("a", StepKind::WsConnect));
        let named = Scope::Steps(vec!["ws-ack".into(), "ws-ping".into()]);
        assert!(named.matches("ws-ping", StepKind::WsReceive));
        assert!(!named.matches("ws-reply", StepKind::WsReceive));
        assert_eq!(named.label(), "ws-ack, ws-ping");
    }
}
