//! Rules that span the steps of a flow: every `${var}` must be set by an earlier step
//! (setup steps run first), and WebSocket steps need a `ws_connect` before them.

use super::model::{Action, Body, Step};
use super::reader::Reader;
use super::template::Template;
use std::collections::BTreeSet;

/// Reports each step of a flow that reads a variable no earlier step sets, or uses a
/// WebSocket before any `ws_connect`. Steps that failed to read are `None`; checking
/// stops there, since what such a step would have set is unknown.
pub fn check_flow(r: &mut Reader, setup: &[Option<Step>], steps: &[Option<Step>], field: &str) {
    let mut set: BTreeSet<&str> = BTreeSet::new();
    let mut connected = false;
    let labelled = setup
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("{field}.setup[{i}]"), s))
        .chain(
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("{field}.steps[{i}]"), s)),
        );
    for (step_field, step) in labelled {
        let Some(step) = step else { break };
        for var in variables_read(step) {
            if !set.contains(var) {
                r.error_at(
                    step.position,
                    &step_field,
                    format!("step `{}` uses `${{{var}}}` before any step sets it (set it with `extract` in an earlier or setup step)", step.name),
                );
            }
        }
        match &step.action {
            Action::WsConnect(_) => connected = true,
            Action::WsSend(_) | Action::WsReceive(_) | Action::WsClose if !connected => r.error_at(
                step.position,
                &step_field,
                format!(
                    "step `{}` uses a WebSocket, but no `ws_connect` comes before it in this flow",
                    step.name
                ),
            ),
            _ => {}
        }
        set.extend(variables_set(step));
    }
}

fn body_variables(body: Option<&Body>) -> Vec<&str> {
    match body {
        Some(Body::Json(json)) => json.variables(),
        Some(Body::Raw(raw)) => raw.variables().collect(),
        None => vec![],
    }
}

fn pairs_variables(pairs: &[(String, Template)]) -> impl Iterator<Item = &str> {
    pairs.iter().flat_map(|(_, t)| t.variables())
}

fn variables_read(step: &Step) -> Vec<&str> {
    match &step.action {
        Action::Http(h) => {
            let mut vars: Vec<&str> = h.path.variables().collect();
            vars.extend(pairs_variables(&h.query));
            vars.extend(pairs_variables(&h.headers));
            vars.extend(body_variables(h.body.as_ref()));
            if let Some(contains) = &h.expect.body_contains {
                vars.extend(contains.variables());
            }
            vars
        }
        Action::WsConnect(c) => c
            .path
            .variables()
            .chain(pairs_variables(&c.headers))
            .collect(),
        Action::WsSend(s) => body_variables(Some(&s.body)),
        Action::WsReceive(_) | Action::WsClose => vec![],
    }
}

fn variables_set(step: &Step) -> Vec<&str> {
    match &step.action {
        Action::Http(h) => h.extract.iter().map(|e| e.var.as_str()).collect(),
        Action::WsReceive(w) => w.extract.iter().map(|e| e.var.as_str()).collect(),
        _ => vec![],
    }
}
