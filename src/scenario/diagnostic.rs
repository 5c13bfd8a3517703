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
    /// No place in the file: the problem concerns the file as a whole (it cannot be
    /// opened, for one), so no `line:column` is printed.
    pub const NONE: Position = Position { line: 0, column: 0 };

    /// Whether this points at a place in the file (lines count from 1).
    pub fn is_placed(&self) -> bool {
        self.line > 0
    }

    /// Reads the start of a marked-yaml span; `None` spans (synthetic nodes) map to
    /// [`Position::NONE`].
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
    /// `file:line:column: field: message`, like a compiler error; a problem with no
    /// place in the file prints as its message alone, which names the file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.position.is_placed() && self.field.is_empty() {
            return f.write_str(&printable(&self.message));
        }
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

#[cfg(test)]
impl Diagnostics {
    /// Every problem as `line:column field: message`, for tests to match on.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {}: {}",
                    d.position.line, d.position.column, d.field, d.message
                )
            })
            .collect()
    }
}

/// Most problems listed for one command: past that, the rest are counted, not listed, so
/// a file that is wrong everywhere (or not a scenario at all) cannot flood the terminal.
pub const MAX_LISTED: usize = 100;

/// The field of the last line when problems were left unlisted.
const UNLISTED_FIELD: &str = "(more)";

impl Diagnostics {
    /// Sorts `problems` by place and keeps the first [`MAX_LISTED`]; `unlisted` more were
    /// found but not kept. The rest are summed up in one last line.
    pub fn listed(mut problems: Vec<Diagnostic>, unlisted: usize) -> Self {
        problems.sort_by(|a, b| {
            (&a.file, a.position.line, a.position.column).cmp(&(
                &b.file,
                b.position.line,
                b.position.column,
            ))
        });
        let unlisted = unlisted + problems.len().saturating_sub(MAX_LISTED);
        problems.truncate(MAX_LISTED);
        if unlisted > 0 {
            if let Some(last) = problems.last().cloned() {
                problems.push(Diagnostic {
                    message: format!(
                        "{unlisted} more problem{} after this one {} not listed",
                        if unlisted == 1 { "" } else { "s" },
                        if unlisted == 1 { "is" } else { "are" }
                    ),
                    field: UNLISTED_FIELD.to_string(),
                    ..last
                });
            }
        }
        Diagnostics(problems)
    }

    /// A single problem with no place in the file (it cannot be opened or is not a
    /// file); `message` must name the file, since nothing else in the output does.
    pub fn unplaced(file: &Path, message: impl Into<String>) -> Self {
        Self::whole_file(file, Position::NONE, message)
    }

    /// A single problem that concerns the whole file (not YAML, not UTF-8).
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
    /// Built as one string and written at once: stderr is unbuffered.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::fmt::Write;
        let mut text = String::new();
        for d in &self.0 {
            writeln!(text, "{d}")?;
        }
        let count = self.0.len();
        if self.0.iter().all(|d| !d.position.is_placed()) {
            // A file that could not be read: the message says all there is to say.
            text.pop();
        } else if self.0.last().is_some_and(|d| d.field == UNLISTED_FIELD) {
            write!(
                text,
                "more than {MAX_LISTED} problems found; the first {MAX_LISTED} are listed"
            )?;
        } else {
            write!(
                text,
                "{count} problem{} found",
                if count == 1 { "" } else { "s" }
            )?;
        }
        f.write_str(&text)
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize) -> Diagnostic {
        Diagnostic {
            file: PathBuf::from("s.yaml"),
            position: Position { line, column: 1 },
            field: "f".into(),
            message: format!("problem on line {line}"),
        }
    }

    #[test]
    fn long_lists_are_cut_and_say_so() {
        let many: Vec<Diagnostic> = (1..=250).rev().map(at).collect();
        let listed = Diagnostics::listed(many, 50);
        assert_eq!(listed.0.len(), MAX_LISTED + 1);
        assert_eq!(listed.0[0].position.line, 1, "sorted by place");
        let text = listed.to_string();
        assert!(
            text.contains("200 more problems after this one are not listed"),
            "{text}"
        );
        assert!(text.ends_with("the first 100 are listed"), "{text}");
        let few = Diagnostics::listed(vec![at(2), at(1)], 0).to_string();
        assert!(
            few.starts_with("s.yaml:1:1: f: problem on line 1\n"),
            "{few}"
        );
        assert!(few.ends_with("2 problems found"), "{few}");
    }

    #[test]
    fn control_characters_never_reach_the_terminal_raw() {
        let mut d = at(1);
        d.field = "k\u{1b}[31m".into();
        d.message = "bad \u{7}".into();
        let shown = d.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(
            shown.contains("\\u{1b}[31m") && shown.contains("\\u{7}"),
            "{shown}"
        );
    }

    #[test]
    fn shorten_cuts_the_middle() {
        assert_eq!(shorten("short"), "short");
        let long = format!("{}{}", "a".repeat(100), "z".repeat(100));
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), 77);
        assert!(cut.starts_with("aaa") && cut.ends_with("zzz") && cut.contains('…'));
    }
}
