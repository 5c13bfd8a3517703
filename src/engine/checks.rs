//! Judging a response or frame: `expect` checks, `until` conditions and `extract`
//! captures, as pure functions over status and body so they are easy to test.

use super::redact::is_credential_name;
use super::session::UserState;
use crate::metrics::{Failure, FailureKind};
use crate::scenario::model::{Expect, Extract, PointerEquals};
use crate::scenario::template::Vars;
use serde_json::Value;

/// Whether the value at `cond.pointer` equals `cond.equals`; a YAML string also matches
/// a number or boolean with the same text, so `equals: "5"` and `equals: 5` both work.
pub fn pointer_equals(doc: &Value, cond: &PointerEquals) -> bool {
    match doc.pointer(&cond.pointer) {
        Some(found) => found == &cond.equals || loosely_equal(found, &cond.equals),
        None => false,
    }
}

fn loosely_equal(found: &Value, expected: &Value) -> bool {
    match (found, expected) {
        (Value::String(a), Value::Number(_) | Value::Bool(_)) => a == &expected.to_string(),
        (Value::Number(_) | Value::Bool(_), Value::String(b)) => &found.to_string() == b,
        _ => false,
    }
}

/// Applies `expect` to an HTTP response; `body_json` is parsed lazily by the caller's
/// closure only when a JSON check needs it.
pub fn check_response(
    expect: &Expect,
    status: u16,
    body: &str,
    body_json: &dyn Fn() -> Option<Value>,
    vars: &Vars,
) -> Result<(), Failure> {
    match &expect.status {
        Some(allowed) if !allowed.contains(&status) => {
            return Err(Failure::new(
                FailureKind::Expectation("status"),
                format!("expected status {}, got {status}", list(allowed)),
            ))
        }
        None if status >= 400 => {
            return Err(Failure::new(
                FailureKind::Status(status),
                format!("status {status}: {}", snippet(body)),
            ))
        }
        _ => {}
    }
    if let Some(needle) = &expect.body_contains {
        let needle = needle
            .render(vars)
            .map_err(|e| Failure::new(FailureKind::VariableUnset, e.to_string()))?;
        if !body.contains(&needle) {
            return Err(Failure::new(
                FailureKind::Expectation("body_contains"),
                format!("body does not contain `{needle}`"),
            ));
        }
    }
    if !expect.json.is_empty() {
        let Some(doc) = body_json() else {
            return Err(Failure::new(
                FailureKind::Expectation("json"),
                "body is not JSON",
            ));
        };
        for cond in &expect.json {
            if !pointer_equals(&doc, cond) {
                let found = doc
                    .pointer(&cond.pointer)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "nothing".into());
                return Err(Failure::new(
                    FailureKind::Expectation("json"),
                    format!("expected {} = {}, found {found}", cond.pointer, cond.equals),
                ));
            }
        }
    }
    Ok(())
}

/// Captures each `extract` into `vars`; the first pointer that finds nothing fails.
pub fn apply_extracts(
    extracts: &[Extract],
    doc: Option<&Value>,
    vars: &mut Vars,
) -> Result<(), Failure> {
    if extracts.is_empty() {
        return Ok(());
    }
    let Some(doc) = doc else {
        return Err(Failure::new(
            FailureKind::InvalidBody,
            "cannot extract: body is not JSON",
        ));
    };
    for extract in extracts {
        match doc.pointer(&extract.pointer) {
            Some(value) => {
                vars.values.insert(extract.var.clone(), value.clone());
            }
            None => {
                return Err(Failure::new(
                    FailureKind::Extract,
                    format!("`{}`: nothing at {}", extract.var, extract.pointer),
                ))
            }
        }
    }
    Ok(())
}

/// After a successful `extract`, remembers the values of credential-like variables
/// (`token`, `session_key`, …) so that no failure detail shows them later.
pub fn remember_extracted(extracts: &[Extract], state: &mut UserState) {
    for extract in extracts {
        if !is_credential_name(&extract.var) {
            continue;
        }
        match state.vars.values.get(&extract.var) {
            Some(Value::String(text)) => state.secrets.add(text),
            Some(other) => state.secrets.add(&other.to_string()),
            None => {}
        }
    }
}

fn list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The start of a body for an error detail, on one line.
pub fn snippet(body: &str) -> String {
    let one_line: String = body
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(pointer: &str, equals: Value) -> PointerEquals {
        PointerEquals {
            pointer: pointer.into(),
            equals,
        }
    }

    #[test]
    fn pointer_matching_is_typed_but_forgiving_on_text() {
        let doc = json!({"type": "done", "n": 5});
        assert!(pointer_equals(&doc, &cond("/type", json!("done"))));
        assert!(pointer_equals(&doc, &cond("/n", json!("5"))));
        assert!(!pointer_equals(&doc, &cond("/type", json!("ack"))));
        assert!(!pointer_equals(&doc, &cond("/missing", json!(null))));
    }

    #[test]
    fn status_defaults_and_explicit_lists() {
        let none = || None;
        let vars = Vars::default();
        assert!(check_response(&Expect::default(), 204, "", &none, &vars).is_ok());
        let err = check_response(&Expect::default(), 503, "busy", &none, &vars).unwrap_err();
        assert_eq!(err.kind, FailureKind::Status(503));
        let expect = Expect {
            status: Some(vec![201]),
            ..Default::default()
        };
        let err = check_response(&expect, 200, "", &none, &vars).unwrap_err();
        assert_eq!(err.detail, "expected status 201, got 200");
    }

    #[test]
    fn json_expectations_and_extracts() {
        let doc = json!({"token": "t", "user_id": 3});
        let some = || Some(doc.clone());
        let expect = Expect {
            json: vec![cond("/user_id", json!(4))],
            ..Default::default()
        };
        let err = check_response(&expect, 200, "{}", &some, &Vars::default()).unwrap_err();
        assert_eq!(err.kind, FailureKind::Expectation("json"));
        let mut vars = Vars::default();
        let extracts = vec![Extract {
            var: "token".into(),
            pointer: "/token".into(),
        }];
        apply_extracts(&extracts, Some(&doc), &mut vars).unwrap();
        assert_eq!(vars.values["token"], json!("t"));
        let missing = vec![Extract {
            var: "x".into(),
            pointer: "/nope".into(),
        }];
        assert_eq!(
            apply_extracts(&missing, Some(&doc), &mut vars)
                .unwrap_err()
                .kind,
            FailureKind::Extract
        );
    }
}
