//! Reads a span-carrying YAML tree field by field, collecting every problem.
//!
//! serde would stop at the first error and forget positions; this reader keeps going,
//! so `loadgate validate` lists all problems with their line, column and field path.

use super::diagnostic::{shorten, Diagnostic, Diagnostics, Position, MAX_LISTED};
use super::duration::parse_duration;
use super::http_values::check_pointer;
use super::source::{check_characters, strip_bom};
use super::template::{JsonTemplate, Template};
use super::tree::build_tree;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, MarkedSequenceNode};
use marked_yaml::Node;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Parses YAML text into a tree; problems become a single diagnostic. A leading
/// byte-order mark is skipped and forbidden characters are refused before parsing (see
/// `source`); the tree is built without recursion and with a depth limit (see `tree`).
pub fn parse_tree(file: &Path, text: &str) -> Result<Node, Diagnostics> {
    let text = strip_bom(text);
    check_characters(file, text)?;
    build_tree(file, text)
}

/// The reader: holds the file name, the environment lookup and the problems so far.
pub struct Reader<'env> {
    file: PathBuf,
    env: &'env dyn Fn(&str) -> Option<String>,
    problems: Vec<Diagnostic>,
    /// Problems found past [`MAX_LISTED`], counted but not kept.
    unlisted: usize,
}

/// Names a node's kind for "expected X, found Y" messages.
fn kind(node: &Node) -> &'static str {
    match node {
        Node::Scalar(_) => "a scalar",
        Node::Mapping(_) => "a mapping",
        Node::Sequence(_) => "a list",
    }
}

impl<'env> Reader<'env> {
    /// Starts reading `file`, resolving `${env.…}` through `env`.
    pub fn new(file: &Path, env: &'env dyn Fn(&str) -> Option<String>) -> Self {
        Reader {
            file: file.to_path_buf(),
            env,
            problems: Vec::new(),
            unlisted: 0,
        }
    }

    /// The file being read.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Records a problem at `node`.
    pub fn error(&mut self, node: &Node, field: &str, message: impl Into<String>) {
        self.error_at(Position::of(node.span()), field, message);
    }

    /// Records a problem at an explicit position.
    pub fn error_at(&mut self, position: Position, field: &str, message: impl Into<String>) {
        if self.is_full() {
            self.unlisted += 1;
            return;
        }
        self.problems.push(Diagnostic {
            file: self.file.clone(),
            position,
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// Whether enough problems are kept to list; later ones are only counted, so costly
    /// hints need not be worked out for them.
    fn is_full(&self) -> bool {
        self.problems.len() >= 2 * MAX_LISTED
    }

    /// Ends reading: the value if there were no problems, else all of them sorted by place.
    /// A missing value with no recorded problem cannot happen, but is reported, not panicked on.
    pub fn finish<T>(mut self, value: Option<T>) -> Result<T, Diagnostics> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => {
                if self.problems.is_empty() {
                    self.error_at(
                        Position { line: 1, column: 1 },
                        "",
                        "the file could not be read",
                    );
                }
                Err(Diagnostics::listed(self.problems, self.unlisted))
            }
        }
    }

    /// A mapping whose keys must all be in `allowed`; unknown keys are reported with a
    /// suggestion when one is close.
    pub fn mapping<'n>(
        &mut self,
        node: &'n Node,
        field: &str,
        allowed: &[&str],
    ) -> Option<&'n MarkedMappingNode> {
        let Some(map) = node.as_mapping() else {
            self.error(
                node,
                field,
                format!("expected a mapping, found {}", kind(node)),
            );
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                if self.is_full() {
                    self.unlisted += 1;
                    continue;
                }
                let hint = match closest(key.as_str(), allowed) {
                    Some(close) => format!("; did you mean `{close}`?"),
                    None => format!("; allowed: {}", allowed.join(", ")),
                };
                let position = Position::of(key.span());
                self.error_at(
                    position,
                    &join(field, key.as_str()),
                    format!("unknown key `{}`{hint}", shorten(key.as_str())),
                );
            }
        }
        Some(map)
    }

    /// A required key of a mapping; its absence is reported at the mapping.
    pub fn required<'n>(
        &mut self,
        map: &'n MarkedMappingNode,
        field: &str,
        key: &str,
    ) -> Option<&'n Node> {
        let found = map.get_node(key);
        if found.is_none() {
            let position = Position::of(map.span());
            self.error_at(
                position,
                &join(field, key),
                format!("missing required key `{key}`"),
            );
        }
        found
    }

    /// A list.
    pub fn sequence<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n MarkedSequenceNode> {
        let seq = node.as_sequence();
        if seq.is_none() {
            self.error(
                node,
                field,
                format!("expected a list, found {}", kind(node)),
            );
        }
        seq
    }

    /// A scalar, as written.
    pub fn scalar<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n MarkedScalarNode> {
        let scalar = node.as_scalar();
        if scalar.is_none() {
            self.error(
                node,
                field,
                format!("expected a single value, found {}", kind(node)),
            );
        }
        scalar
    }

    /// A non-empty string.
    pub fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        let text = self.scalar(node, field)?.as_str().to_string();
        if text.trim().is_empty() {
            self.error(node, field, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// A whole number within `min..=max`.
    pub fn number(&mut self, node: &Node, field: &str, min: u64, max: u64) -> Option<u64> {
        let scalar = self.scalar(node, field)?;
        match scalar.as_str().trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            Ok(n) => {
                self.error(node, field, format!("{n} is out of range ({min} to {max})"));
                None
            }
            Err(_) => {
                self.error(
                    node,
                    field,
                    format!("expected a whole number, found `{}`", scalar.as_str()),
                );
                None
            }
        }
    }

    /// A duration such as `10s` or `250ms`.
    pub fn duration(&mut self, node: &Node, field: &str) -> Option<Duration> {
        let text = self.scalar(node, field)?.as_str().to_string();
        parse_duration(&text)
            .map_err(|e| self.error(node, field, e))
            .ok()
    }

    /// A timeout: a duration greater than zero (a zero timeout would fail every attempt).
    pub fn timeout(&mut self, node: &Node, field: &str) -> Option<Duration> {
        let timeout = self.duration(node, field)?;
        if timeout.is_zero() {
            self.error(
                node,
                field,
                "a timeout of 0 would fail every attempt; give a duration above zero, e.g. `5s`",
            );
            return None;
        }
        Some(timeout)
    }

    /// A string with `${…}` references.
    pub fn template(&mut self, node: &Node, field: &str) -> Option<Template> {
        let text = self.scalar(node, field)?.as_str().to_string();
        Template::parse(&text, self.env)
            .map_err(|e| self.error(node, field, e))
            .ok()
    }

    /// A mapping of names to templates (headers, query), order kept.
    pub fn template_map(&mut self, node: &Node, field: &str) -> Vec<(String, Template)> {
        let Some(map) = node.as_mapping() else {
            self.error(
                node,
                field,
                format!(
                    "expected a mapping of names to values, found {}",
                    kind(node)
                ),
            );
            return Vec::new();
        };
        map.iter()
            .filter_map(|(key, value)| {
                let template = self.template(value, &join(field, key.as_str()))?;
                Some((key.as_str().to_string(), template))
            })
            .collect()
    }

    /// A JSON value whose strings may hold templates; plain scalars keep YAML's types.
    pub fn json_template(&mut self, node: &Node, field: &str) -> Option<JsonTemplate> {
        Some(match node {
            Node::Scalar(s) => match plain_json(s) {
                Some(fixed) => JsonTemplate::Fixed(fixed),
                None => JsonTemplate::Text(self.template(node, field)?),
            },
            Node::Sequence(items) => JsonTemplate::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.json_template(item, &format!("{field}[{i}]")))
                    .collect::<Option<_>>()?,
            ),
            Node::Mapping(map) => JsonTemplate::Object(
                map.iter()
                    .map(|(k, v)| {
                        Some((
                            k.as_str().to_string(),
                            self.json_template(v, &join(field, k.as_str()))?,
                        ))
                    })
                    .collect::<Option<_>>()?,
            ),
        })
    }

    /// A literal JSON value (no templates), for comparisons.
    pub fn json_value(&mut self, node: &Node) -> Value {
        match node {
            Node::Scalar(s) => {
                plain_json(s).unwrap_or_else(|| Value::String(s.as_str().to_string()))
            }
            Node::Sequence(items) => {
                Value::Array(items.iter().map(|i| self.json_value(i)).collect())
            }
            Node::Mapping(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.as_str().to_string(), self.json_value(v)))
                    .collect(),
            ),
        }
    }

    /// A JSON pointer (`/a/0/b`, or empty for the whole document), per RFC 6901.
    pub fn pointer(&mut self, node: &Node, field: &str) -> Option<String> {
        let text = self.scalar(node, field)?.as_str().to_string();
        match check_pointer(&text) {
            Ok(()) => Some(text),
            Err(message) => {
                self.error(node, field, message);
                None
            }
        }
    }
}

/// The allowed key closest to a mistyped one, if it is close enough to be a slip: at most
/// one edit for short keys, two for longer ones, and never more than a third of the key.
/// Ties go to the key that shares the typed key's start.
pub fn closest<'a>(typed: &str, allowed: &[&'a str]) -> Option<&'a str> {
    if typed.chars().count() > 64 {
        return None;
    }
    let limit = match typed.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    allowed
        .iter()
        .map(|a| {
            let distance = strsim::damerau_levenshtein(typed, a);
            let same_start = typed.chars().next() == a.chars().next();
            (distance, !same_start, *a)
        })
        .filter(|(distance, _, a)| *distance <= limit && *distance * 3 <= a.chars().count())
        .min()
        .map(|(_, _, a)| a)
}

/// YAML's typed plain scalars (null, booleans, numbers); `None` for text and for
/// anything quoted, which stays a string.
fn plain_json(scalar: &MarkedScalarNode) -> Option<Value> {
    if !scalar.may_coerce() {
        return None;
    }
    let text = scalar.as_str();
    match text {
        "null" | "~" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Value::from(n));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && text.chars().any(|c| c.is_ascii_digit()))
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

/// Joins a field path and a key: `flows[0]` + `name` → `flows[0].name`.
pub fn join(field: &str, key: &str) -> String {
    if field.is_empty() {
        key.to_string()
    } else {
        format!("{field}.{key}")
    }
}
