//! YAML text to a span-carrying tree, in one pass over the parser's event stream and
//! without recursion. Nesting deeper than [`MAX_DEPTH`], a second document, anchors,
//! aliases, tags, non-scalar keys and duplicate keys are refused at their position.
//!
//! A recursive tree builder (and yaml-rust2's own `load`) overflows the stack on a file
//! nested 50,000 deep; the event stream is produced by a state machine, so building the
//! tree from it with an explicit stack is safe, and the depth limit then also protects
//! everything that later walks the tree (reading, JSON bodies, dropping it).

use super::diagnostic::{shorten, Diagnostics, Position};
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};
use marked_yaml::{Marker, Node, Span};
use std::path::Path;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker as YamlMarker, TScalarStyle};

/// Deepest nesting of mappings and lists a file may have. A step's `json:` body starts
/// at level 7 (file, `flows`, a flow, `steps`, a step, `http`, the body), so a body
/// may nest 58 levels.
pub const MAX_DEPTH: usize = 64;

/// A collection being built.
enum Frame {
    List(MarkedSequenceNode),
    /// A mapping, and the key read whose value has not come yet.
    Map(MarkedMappingNode, Option<MarkedScalarNode>),
}

/// Builds the tree of `text` (already free of forbidden characters); the top level
/// must be a mapping, and an empty file is an empty mapping.
pub fn build_tree(path: &Path, text: &str) -> Result<Node, Diagnostics> {
    let fail = |mark: &YamlMarker, message: String| Err(at(path, mark, message));
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let end = loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            // The scanner has its own, higher limit for flow style (`[[[…`); it can reach
            // it while looking ahead, before the events that would cross ours.
            let message = match e.info() {
                "recursion limit exceeded" => too_deep(),
                "simple key expect ':'" => "invalid YAML: expected `:` after a key (a line that is not `key: value` or `- item`, or a key longer than 1024 characters)".to_string(),
                info => format!("invalid YAML: {info}"),
            };
            at(path, e.marker(), message)
        })?;
        let node = match event {
            Event::StreamEnd => break mark,
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => continue,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return fail(&mark, "a second YAML document starts here; a scenario file holds exactly one (remove the `---` line and what follows, or split the file)".into());
                }
                continue;
            }
            Event::Alias(_) => return fail(&mark, anchors()),
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 {
                    return fail(&mark, anchors());
                }
                if tag.is_some() {
                    return fail(&mark, tags());
                }
                let mut scalar = MarkedScalarNode::new(Span::new_start(marker(&mark)), value);
                // Only plain scalars are typed: a quoted "42" or "true" stays text.
                scalar.set_coerce(style == TScalarStyle::Plain);
                Node::Scalar(scalar)
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                if anchor != 0 {
                    return fail(&mark, anchors());
                }
                if tag.is_some() {
                    return fail(&mark, tags());
                }
                if let Some(Frame::Map(_, None)) = stack.last() {
                    return fail(&mark, "mapping keys must be plain scalars".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return fail(&mark, too_deep());
                }
                let span = Span::new_start(marker(&mark));
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::List(MarkedSequenceNode::new_empty(span))
                } else {
                    Frame::Map(MarkedMappingNode::new_empty(span), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::List(mut list)) => {
                    list.span_mut().set_end(Some(marker(&mark)));
                    Node::Sequence(list)
                }
                Some(Frame::Map(mut map, _)) => {
                    map.span_mut().set_end(Some(marker(&mark)));
                    Node::Mapping(map)
                }
                None => return fail(&mark, "invalid YAML: unbalanced structure".into()),
            },
        };
        match stack.last_mut() {
            None if root.is_some() => {
                return fail(&mark, "invalid YAML: more than one value at the top".into())
            }
            None => match node {
                Node::Mapping(_) => root = Some(node),
                _ => {
                    let start = node.span().start().copied();
                    return Err(Diagnostics::whole_file(
                        path,
                        start
                            .map(position)
                            .unwrap_or(Position { line: 1, column: 1 }),
                        "the file must be a YAML mapping (key: value)",
                    ));
                }
            },
            Some(Frame::List(list)) => list.push(node),
            Some(Frame::Map(map, key @ None)) => match node {
                Node::Scalar(scalar) => {
                    // The parser marks a block mapping where its first `:` stands; a
                    // problem with the mapping (a missing key) belongs where it
                    // starts, at its first key. A flow mapping's `{` comes first anyway.
                    if map.is_empty() {
                        starts_at_first_key(map, &scalar);
                    }
                    *key = Some(scalar)
                }
                _ => return fail(&mark, "mapping keys must be plain scalars".into()),
            },
            Some(Frame::Map(map, key @ Some(_))) => {
                let key = key.take().expect("matched Some");
                if map.contains_key(&key) {
                    let start = key.span().start().copied();
                    return Err(Diagnostics::whole_file(
                        path,
                        start
                            .map(position)
                            .unwrap_or(Position { line: 1, column: 1 }),
                        format!("duplicate key `{}`", shorten(key.as_str())),
                    ));
                }
                map.insert(key, node);
            }
        }
    };
    // An empty (or comment-only) file is an empty mapping, placed at its end.
    Ok(root.unwrap_or_else(|| {
        let end = marker(&end);
        Node::Mapping(MarkedMappingNode::new_empty(Span::new_with_marks(end, end)))
    }))
}

/// Moves the start of `map` back to its first key's, when that comes earlier.
fn starts_at_first_key(map: &mut MarkedMappingNode, key: &MarkedScalarNode) {
    let place = |m: &Marker| (m.line(), m.column());
    if let (Some(first), Some(start)) = (key.span().start(), map.span().start()) {
        if place(first) < place(start) {
            map.span_mut().set_start(Some(*first));
        }
    }
}

fn anchors() -> String {
    "YAML anchors and aliases are not supported".into()
}

fn tags() -> String {
    "YAML tags (`!tag`) are not supported".into()
}

fn too_deep() -> String {
    format!("nesting is deeper than {MAX_DEPTH} levels of lists and mappings")
}

/// yaml-rust2 counts lines from 1 and columns from 0; diagnostics count both from 1.
fn marker(mark: &YamlMarker) -> Marker {
    Marker::new(0, mark.index(), mark.line().max(1), mark.col() + 1)
}

fn position(marker: Marker) -> Position {
    Position {
        line: marker.line(),
        column: marker.column(),
    }
}

fn at(path: &Path, mark: &YamlMarker, message: String) -> Diagnostics {
    Diagnostics::whole_file(path, position(marker(mark)), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Node, (usize, usize, String)> {
        build_tree(Path::new("s.yaml"), text).map_err(|d| {
            let d = &d.0[0];
            (d.position.line, d.position.column, d.message.clone())
        })
    }

    #[test]
    fn builds_the_tree_with_positions() {
        let node = check("a: 1\nb:\n  - x\n  - { c: \"2\" }\n").unwrap();
        let map = node.as_mapping().unwrap();
        assert_eq!(map.get_scalar("a").unwrap().as_str(), "1");
        let list = map.get_sequence("b").unwrap();
        assert_eq!(list.len(), 2);
        let c = list[1].as_mapping().unwrap().get_scalar("c").unwrap();
        assert_eq!(c.as_str(), "2");
        assert!(!c.may_coerce(), "a quoted scalar stays text");
        assert!(map.get_scalar("a").unwrap().may_coerce());
        assert_eq!(
            position(*c.span().start().unwrap()),
            Position {
                line: 4,
                column: 10
            }
        );
        let block = check("x: 1\nouter:\n  inner: 1\n").unwrap();
        let outer = block.as_mapping().unwrap().get_node("outer").unwrap();
        assert_eq!(
            (
                position(*block.span().start().unwrap()),
                position(*outer.span().start().unwrap())
            ),
            (
                Position { line: 1, column: 1 },
                Position { line: 3, column: 3 }
            ),
            "a block mapping starts at its first key, not at its first `:`"
        );
        assert!(check("").unwrap().as_mapping().unwrap().is_empty());
        assert!(check("# only a comment\n").unwrap().as_mapping().is_some());
    }

    #[test]
    fn deep_block_and_flow_nesting_is_refused_without_recursing() {
        let block = format!("{}1\n", "- ".repeat(50_000));
        let (line, column, message) = check(&block).unwrap_err();
        assert_eq!((line, column), (1, 2 * MAX_DEPTH + 1), "{message}");
        assert!(message.contains("deeper than 64"), "{message}");
        let flow = format!("a: {}{}\n", "[".repeat(100), "]".repeat(100));
        let (line, column, _) = check(&flow).unwrap_err();
        assert_eq!(
            (line, column),
            (1, 3 + MAX_DEPTH),
            "the 64th `[` is level 65"
        );
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
            "a: {}{}\n",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(check(&text).is_ok());
    }

    #[test]
    fn a_second_document_is_refused_at_its_start() {
        let (line, column, message) = check("name: a\n---\nname: b\n").unwrap_err();
        assert_eq!((line, column), (2, 1));
        assert!(message.contains("second YAML document"), "{message}");
        assert!(check("---\nname: a\n...\n").is_ok());
    }

    #[test]
    fn what_the_format_does_not_support_is_placed() {
        for (text, at, hint) in [
            ("a: &x 1\n", (1, 7), "anchors"),
            ("a: !!str 1\n", (1, 10), "tags"),
            ("? [a]\n: 1\n", (1, 3), "keys must be plain scalars"),
            ("a: 1\na: 2\n", (2, 1), "duplicate key `a`"),
            ("- a\n", (1, 1), "must be a YAML mapping"),
            ("a: [1\n", (2, 1), "invalid YAML"),
            (
                "a: 1\njust text\nb: 2\n",
                (3, 1),
                "expected `:` after a key",
            ),
        ] {
            let (line, column, message) = check(text).unwrap_err();
            assert_eq!((line, column), at, "{text:?}: {message}");
            assert!(message.contains(hint), "{text:?}: {message}");
        }
    }
}
