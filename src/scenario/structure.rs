//! A pre-scan of the YAML event stream, before the tree is built: nesting deeper than
//! [`MAX_DEPTH`] and a second document are refused at their position.
//!
//! The tree builder and everything that walks a tree (reading, JSON bodies, dropping)
//! recurse once per level, so a file nested 50,000 deep would overflow the stack. The
//! event stream itself is produced without recursion, so it can be scanned safely. It
//! also sees a second `---` document, which the tree builder would silently ignore.

use super::diagnostic::{Diagnostics, Position};
use std::path::Path;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// Deepest nesting of mappings and lists a file may have. A scenario's own structure
/// uses 7 levels down to a step's `json:` body, which leaves ample room for the body.
pub const MAX_DEPTH: usize = 64;

/// Scans `text` (already free of forbidden characters) and refuses deep nesting, a
/// second document and YAML syntax errors, each at its position.
pub fn check_structure(path: &Path, text: &str) -> Result<(), Diagnostics> {
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut documents = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            // The scanner has its own, higher limit for flow style (`[[[…`); it can reach it
            // while looking ahead, before the events that would cross ours.
            if e.info() == "recursion limit exceeded" {
                at(path, e.marker(), too_deep())
            } else {
                syntax_error(path, e.marker(), e.info())
            }
        })?;
        match event {
            Event::StreamEnd => return Ok(()),
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(at(
                        path,
                        &mark,
                        "a second YAML document starts here; a scenario file holds exactly one (remove the `---` line and what follows, or split the file)",
                    ));
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(at(path, &mark, too_deep()));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
}

fn too_deep() -> String {
    format!("nesting is deeper than {MAX_DEPTH} levels of lists and mappings")
}

/// The diagnostic for a YAML syntax error, shared with the tree builder's errors.
pub fn syntax_error(path: &Path, mark: &Marker, info: &str) -> Diagnostics {
    at(path, mark, format!("invalid YAML: {info}"))
}

fn at(path: &Path, mark: &Marker, message: impl Into<String>) -> Diagnostics {
    Diagnostics::whole_file(
        path,
        Position {
            line: mark.line().max(1),
            column: mark.col() + 1,
        },
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), (usize, usize, String)> {
        check_structure(Path::new("s.yaml"), text).map_err(|d| {
            let d = &d.0[0];
            (d.position.line, d.position.column, d.message.clone())
        })
    }

    #[test]
    fn deep_block_and_flow_nesting_is_refused_without_recursing() {
        let block = format!("{}1\n", "- ".repeat(50_000));
        let (line, column, message) = check(&block).unwrap_err();
        assert_eq!((line, column), (1, 2 * MAX_DEPTH + 1), "{message}");
        assert!(message.contains("deeper than 64"), "{message}");
        let flow = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        let (line, column, _) = check(&flow).unwrap_err();
        assert_eq!((line, column), (1, 3 + MAX_DEPTH), "the 64th `[` is level 65");
        let flow = format!("a: {}{}\n", "{x: ".repeat(5_000), "}".repeat(5_000));
        let (line, _, message) = check(&flow).unwrap_err();
        assert_eq!(line, 1);
        assert!(message.contains("deeper than 64"), "{message}");
        let mut mappings = String::new();
        for level in 0..100 {
            mappings.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
        }
        let (line, _, _) = check(&mappings).unwrap_err();
        assert_eq!(line, MAX_DEPTH + 1);
    }

    #[test]
    fn nesting_up_to_the_limit_is_fine() {
        let text = format!(
            "{}{}\n",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(check(&format!("a: {text}")).is_ok());
    }

    #[test]
    fn a_second_document_is_refused_at_its_start() {
        let (line, column, message) = check("name: a\n---\nname: b\n").unwrap_err();
        assert_eq!((line, column), (2, 1));
        assert!(message.contains("second YAML document"), "{message}");
        assert!(check("---\nname: a\n...\n").is_ok());
    }

    #[test]
    fn syntax_errors_are_placed() {
        let (line, _, message) = check("a: [1\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message.starts_with("invalid YAML:"), "{message}");
    }
}
