//! Problems found in a scenario file, each pinned to a line, column and field.
//!
//! Validation collects every problem instead of stopping at the first, so an engineer
//! fixes a scenario in one pass; each diagnostic prints like a compiler error.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in the YAML source a value stands (1-based, as editors count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number.
    pub column: usize,
}

impl Position {
    /// Reads the start of a marked-yaml span; `None` spans (synthetic nodes) map to 0:0.
    pub fn of(span: &marked_yaml::Span) -> Self {
        span.start()
            .map(|m| Position {
                line: m.line(),
                column: m.column(),
            })
            .unwrap_or_default()
    }
}

/// One problem in a scenario: file, position, the dotted field path and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The scenario (or budgets) file the problem is in.
    pub file: PathBuf,
    /// Where the offending value starts.
    pub position: Position,
    /// Dotted path of the field, e.g. `flows[0].steps[2].http.method`.
    pub field: String,
    /// What is wrong and, where possible, what would be right.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            printable(&self.file.display().to_string()),
            self.position.line,
            self.position.column,
            if self.field.is_empty() {
                "(document)".to_string()
            } else {
                printable(&self.field)
            },
            printable(&self.message)
        )
    }
}

/// Text as it may reach a terminal: control characters (which YAML escapes such as
/// `"\e"` can put into keys and values) are shown as `\u{1b}` instead of acting.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Quotes user text in a message, cut in the middle past 80 characters so that a huge
/// value cannot flood the terminal.
pub fn shorten(text: &str) -> String {
    const KEEP: usize = 38;
    let count = text.chars().count();
    if count <= 2 * KEEP + 4 {
        return text.to_string();
    }
    let head: String = text.chars().take(KEEP).collect();
    let tail: String = text.chars().skip(count - KEEP).collect();
    format!("{head}…{tail}")
}


/// Every problem found in one file; the error type of scenario loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// A single problem that concerns the whole file (unreadable, not YAML).
    pub fn whole_file(file: &Path, position: Position, message: impl Into<String>) -> Self {
        Diagnostics(vec![Diagnostic {
            file: file.to_path_buf(),
            position,
            field: String::new(),
            message: message.into(),
        }])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        write!(
            f,
            "{count} problem{} found",
            if count == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}
