//! `${…}` templating: `${var}` (set by an earlier `extract`), `${user}` (the user's
//! number) and `${env.NAME:-default}` (read once, when the scenario loads).
//!
//! Templates are parsed when the scenario loads, so a typo is a validation error with a
//! line number rather than a surprise at request time, and rendering on the hot path is a
//! walk over pre-split parts.

use super::diagnostic::shorten;
use serde_json::Value;
use std::collections::HashMap;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text copied as is (environment values are resolved into this at load time).
    Literal(String),
    /// A per-user variable set by an `extract`.
    Var(String),
    /// The user's number, from 1.
    User,
}

/// A string with `${…}` references, split into parts at load time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

/// A variable that a step needed but no earlier step of this user has set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsetVariable(pub String);

impl std::fmt::Display for UnsetVariable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "variable `{}` is not set", self.0)
    }
}

/// The per-user variables a template renders against.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// The user's number (1-based), for `${user}`.
    pub user: usize,
    /// Values captured by `extract`, kept as JSON so numbers stay numbers in bodies.
    pub values: HashMap<String, Value>,
}

impl Template {
    /// Splits `text` into parts; `env` looks up environment variables (injected so tests
    /// need not touch the process environment). `$${` writes a literal `${`.
    pub fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('$') {
            literal.push_str(&rest[..start]);
            rest = &rest[start..];
            if let Some(after) = rest.strip_prefix("$${") {
                literal.push_str("${");
                rest = after;
                continue;
            }
            let Some(after) = rest.strip_prefix("${") else {
                literal.push('$');
                rest = &rest[1..];
                continue;
            };
            let end = after
                .find('}')
                .ok_or_else(|| format!("unclosed `${{` in `{}`", shorten(text)))?;
            let reference = after[..end].trim();
            rest = &after[end + 1..];
            match parse_reference(reference, env)? {
                Part::Literal(value) => literal.push_str(&value),
                part => {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template { parts })
    }

    /// A template that is plain text, for values built in code.
    pub fn literal(text: impl Into<String>) -> Self {
        let text = text.into();
        let parts = if text.is_empty() {
            vec![]
        } else {
            vec![Part::Literal(text)]
        };
        Template { parts }
    }

    /// The text, when the template holds no reference (so every user renders the same).
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// The per-user variables this template reads, for the "used before set" check.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// Renders to text; an extracted string is inserted without its JSON quotes.
    pub fn render(&self, vars: &Vars) -> Result<String, UnsetVariable> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::User => out.push_str(&vars.user.to_string()),
                Part::Var(name) => match vars.values.get(name) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(other) => out.push_str(&other.to_string()),
                    None => return Err(UnsetVariable(name.clone())),
                },
            }
        }
        Ok(out)
    }

    /// Renders for a JSON body: a template that is exactly one reference keeps the
    /// variable's JSON type (`conversation_id: ${conv}` stays a number).
    pub fn render_json(&self, vars: &Vars) -> Result<Value, UnsetVariable> {
        match self.parts.as_slice() {
            [Part::Var(name)] => vars
                .values
                .get(name)
                .cloned()
                .ok_or_else(|| UnsetVariable(name.clone())),
            [Part::User] => Ok(Value::from(vars.user)),
            _ => self.render(vars).map(Value::String),
        }
    }
}

fn parse_reference(reference: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Part, String> {
    if reference == "user" {
        return Ok(Part::User);
    }
    if let Some(env_ref) = reference.strip_prefix("env.") {
        let (name, default) = match env_ref.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (env_ref, None),
        };
        if !is_identifier(name) {
            return Err(format!(
                "`${{{}}}`: `{}` is not an environment variable name",
                shorten(reference),
                shorten(name)
            ));
        }
        if default.is_some_and(|d| d.contains("${")) {
            return Err(format!(
                "`${{env.{name}:-…}}`: a default is plain text and cannot hold another `${{…}}` reference; set `{name}` or write the default out"
            ));
        }
        return match (env(name), default) {
            (Some(value), _) => Ok(Part::Literal(value)),
            (None, Some(default)) => Ok(Part::Literal(default.to_string())),
            (None, None) => Err(format!(
                "environment variable `{name}` is not set; set it or give a default: `${{env.{name}:-value}}`"
            )),
        };
    }
    if is_identifier(reference) {
        Ok(Part::Var(reference.to_string()))
    } else {
        Err(format!(
            "`${{{}}}` is not a reference; use `${{name}}`, `${{user}}` or `${{env.NAME:-default}}`",
            shorten(reference)
        ))
    }
}

/// Variable names: a letter or `_`, then letters, digits, `_` or `-`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A JSON body whose strings may hold templates.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTemplate {
    /// A fixed JSON value (null, bool, number).
    Fixed(Value),
    /// A string, rendered with [`Template::render_json`].
    Text(Template),
    /// An array of templates.
    Array(Vec<JsonTemplate>),
    /// An object; keys are fixed, values are templates.
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    /// Every variable the body reads.
    pub fn variables(&self) -> Vec<&str> {
        match self {
            JsonTemplate::Fixed(_) => vec![],
            JsonTemplate::Text(t) => t.variables().collect(),
            JsonTemplate::Array(items) => items.iter().flat_map(|i| i.variables()).collect(),
            JsonTemplate::Object(fields) => {
                fields.iter().flat_map(|(_, v)| v.variables()).collect()
            }
        }
    }

    /// Builds the JSON value for one request.
    pub fn render(&self, vars: &Vars) -> Result<Value, UnsetVariable> {
        Ok(match self {
            JsonTemplate::Fixed(v) => v.clone(),
            JsonTemplate::Text(t) => t.render_json(vars)?,
            JsonTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| i.render(vars))
                    .collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(vars)?)))
                    .collect::<Result<_, UnsetVariable>>()?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn vars() -> Vars {
        let mut values = HashMap::new();
        values.insert("conv".to_string(), Value::from(42));
        values.insert("token".to_string(), Value::from("abc"));
        Vars { user: 7, values }
    }

    #[test]
    fn renders_variables_user_and_env() {
        let env = |name: &str| (name == "PASS").then(|| "s3cret".to_string());
        let t = Template::parse(
            "u${user}/${conv}/${token}/${env.PASS}/${env.NOPE:-dflt}",
            &env,
        )
        .unwrap();
        assert_eq!(t.render(&vars()).unwrap(), "u7/42/abc/s3cret/dflt");
        assert_eq!(t.variables().collect::<Vec<_>>(), vec!["conv", "token"]);
    }

    #[test]
    fn single_reference_keeps_json_type() {
        let t = Template::parse("${conv}", &no_env).unwrap();
        assert_eq!(t.render_json(&vars()).unwrap(), Value::from(42));
        let t = Template::parse("id-${conv}", &no_env).unwrap();
        assert_eq!(t.render_json(&vars()).unwrap(), Value::from("id-42"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(Template::parse("${oops", &no_env)
            .unwrap_err()
            .contains("unclosed"));
        assert!(Template::parse("${env.MISSING}", &no_env)
            .unwrap_err()
            .contains("MISSING"));
        assert!(Template::parse("${a b}", &no_env).is_err());
        let nested = Template::parse("${env.NOPE:-${user}}", &no_env).unwrap_err();
        assert!(nested.contains("cannot hold another"), "{nested}");
        let env = |_: &str| Some("set".to_string());
        assert!(
            Template::parse("${env.SET:-${user}}", &env).is_err(),
            "refused even when set"
        );
        let unset = Template::parse("${nope}", &no_env).unwrap().render(&vars());
        assert_eq!(unset, Err(UnsetVariable("nope".into())));
    }

    #[test]
    fn dollar_escapes() {
        let t = Template::parse("cost $5 and $${literal}", &no_env).unwrap();
        assert_eq!(t.render(&vars()).unwrap(), "cost $5 and ${literal}");
    }
}
