//! Turns a scenario's YAML tree into a checked [`Scenario`], reporting every problem.
//!
//! Structure is checked here (keys, types, durations, templates); the flow-level rules
//! that span several steps (variables set before use, WebSocket opened before use) live
//! in `rules`.

use super::diagnostic::{Diagnostics, Position};
use super::duration::parse_think_time;
use super::http_values::{
    check_header_name, check_header_value, check_http_path, check_pointer, check_ws_path,
};
use super::model::*;
use super::monitor::read_monitor;
use super::names::{check_description, check_name, check_scenario_name};
use super::rate::parse_rate;
use super::reader::{join, parse_tree, Reader};
use super::rules::check_flow;
use super::source::{decode, read_input_file};
use super::template::{is_identifier, Template};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

/// Default for requests and WebSocket receives when neither the step nor the scenario sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "slo",
    "budgets",
    "timeout",
    "load",
    "flows",
    "monitor",
];
const STEP_KINDS: &[&str] = &["http", "ws_connect", "ws_send", "ws_receive", "ws_close"];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// Reads and checks the scenario at `path`, resolving `${env.…}` with `env`. Only a
/// regular file of at most [`MAX_FILE_BYTES`](super::source::MAX_FILE_BYTES) is read.
pub fn load_scenario(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, Diagnostics> {
    let bytes = read_input_file(path, "scenario")?;
    parse_scenario_bytes(path, &bytes, env)
}

/// Checks scenario file contents: UTF-8 first (an invalid byte is placed), then as text.
pub fn parse_scenario_bytes(
    path: &Path,
    bytes: &[u8],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, Diagnostics> {
    parse_scenario(path, decode(path, bytes)?, env)
}

/// Checks scenario text that claims to come from `path` (tests feed text directly).
pub fn parse_scenario(
    path: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Scenario, Diagnostics> {
    let tree = parse_tree(path, text)?;
    let mut r = Reader::new(path, env);
    let scenario = read_scenario(&mut r, &tree);
    r.finish(scenario)
}

fn read_scenario(r: &mut Reader, tree: &Node) -> Option<Scenario> {
    let top = r.mapping(tree, "", TOP_KEYS)?;
    let name = r
        .required(top, "", "name")
        .and_then(|n| r.string(n, "name"));
    if let (Some(n), Some(node)) = (&name, top.get_node("name")) {
        if let Err(message) = check_scenario_name(n) {
            r.error(node, "name", message);
        }
    }
    let description = top.get_node("description").and_then(|n| {
        let text = r.string(n, "description")?;
        check_description(&text)
            .map_err(|message| r.error(n, "description", message))
            .ok()?;
        Some(text)
    });
    let slo_file = top.get_node("slo").and_then(|n| {
        let rel = r.string(n, "slo")?;
        let file = r.file().parent().unwrap_or(Path::new(".")).join(rel);
        match std::fs::metadata(&file) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => r.error(
                n,
                "slo",
                format!("budgets file `{}` is not a regular file", file.display()),
            ),
            Err(_) => r.error(
                n,
                "slo",
                format!("budgets file `{}` does not exist", file.display()),
            ),
        }
        Some(file)
    });
    let budgets = top
        .get_node("budgets")
        .map(|n| read_budgets(r, n))
        .unwrap_or_default();
    let timeout = top
        .get_node("timeout")
        .and_then(|n| r.timeout(n, "timeout"))
        .unwrap_or(DEFAULT_TIMEOUT);
    let load = r.required(top, "", "load").and_then(|n| read_load(r, n));
    let flows = r.required(top, "", "flows").and_then(|n| read_flows(r, n));
    let monitor = top.get_node("monitor").map(|n| read_monitor(r, n));
    if let (Some(load), Some(flows)) = (&load, &flows) {
        let peak = load.stages.iter().map(|s| s.users).max().unwrap_or(0);
        if peak > 0 && peak < flows.len() {
            let stages = top
                .get_mapping("load")
                .and_then(|l| l.get_node("stages"))
                .expect("stages were read above");
            r.error(
                stages,
                "load.stages",
                format!(
                    "at most {peak} user(s) but {} flows: flow `{}` would never run (Goose gives each user one flow)",
                    flows.len(),
                    flows[peak].name
                ),
            );
        }
    }
    Some(Scenario {
        name: name?,
        description,
        source: r.file().to_path_buf(),
        slo_file,
        budgets,
        timeout,
        load: load?,
        flows: flows?,
        shard: None,
        monitor: match monitor {
            Some(read) => Some(read?),
            None => None,
        },
    })
}

fn read_budgets(r: &mut Reader, node: &Node) -> Vec<(String, Position)> {
    let Some(items) = r.sequence(node, "budgets") else {
        return vec![];
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            Some((
                r.string(item, &format!("budgets[{i}]"))?,
                Position::of(item.span()),
            ))
        })
        .collect()
}

fn read_load(r: &mut Reader, node: &Node) -> Option<Load> {
    let map = r.mapping(
        node,
        "load",
        &["stages", "max_users", "arrivals", "connections"],
    )?;
    let stages_node = r.required(map, "load", "stages")?;
    let items = r.sequence(stages_node, "load.stages")?;
    if items.is_empty() {
        r.error(stages_node, "load.stages", "needs at least one stage");
        return None;
    }
    // The model is set by the first stage that says `users:` or `rate:`.
    let open = items.iter().find_map(|item| {
        let stage = item.as_mapping()?;
        if stage.get_node("rate").is_some() {
            Some(true)
        } else if stage.get_node("users").is_some() {
            Some(false)
        } else {
            None
        }
    });
    let open = open == Some(true);
    let max_users = read_max_users(r, map, open);
    let arrivals = read_arrivals(r, map, open);
    let connections = read_connections(r, map);
    let stages: Vec<Stage> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| read_stage(r, item, &format!("load.stages[{i}]"), open, max_users))
        .collect();
    let complete = stages.len() == items.len();
    if complete && !open && stages.iter().all(|s| s.users == 0) {
        r.error(
            stages_node,
            "load.stages",
            "no stage has any users, so nothing would run",
        );
    }
    if complete && open && stages.iter().all(|s| s.rate == Some(0.0)) {
        r.error(
            stages_node,
            "load.stages",
            "every stage has a rate of 0, so nothing would run",
        );
    }
    if complete && stages.iter().all(|s| s.over.is_zero()) {
        r.error(
            stages_node,
            "load.stages",
            "every stage lasts 0s, so nothing would run",
        );
    }
    let open = match (open, max_users, arrivals) {
        (false, _, _) => None,
        (true, Some(max_users), Some(arrivals)) => Some(OpenModel {
            max_users,
            arrivals,
        }),
        (true, _, _) => return None,
    };
    Some(Load {
        stages,
        open,
        connections: connections?,
    })
}

/// `load.connections`: `per_user` (the default) or `shared`.
fn read_connections(r: &mut Reader, load: &MarkedMappingNode) -> Option<Connections> {
    let Some(node) = load.get_node("connections") else {
        return Some(Connections::PerUser);
    };
    let text = r.string(node, "load.connections")?;
    match text.trim() {
        "per_user" => Some(Connections::PerUser),
        "shared" => Some(Connections::Shared),
        other => {
            r.error(
                node,
                "load.connections",
                format!("`{other}` is not a choice: use `per_user` (each user its own HTTP connections) or `shared` (one pool for every user)"),
            );
            None
        }
    }
}

/// One stage: `users:` in the closed model, `rate:` in the open one, never both.
fn read_stage(
    r: &mut Reader,
    item: &Node,
    field: &str,
    open: bool,
    max_users: Option<usize>,
) -> Option<Stage> {
    let stage = r.mapping(item, field, &["name", "users", "rate", "over"])?;
    let name = stage
        .get_node("name")
        .and_then(|n| read_name(r, n, &join(field, "name")));
    let over = r
        .required(stage, field, "over")
        .and_then(|n| r.duration(n, &join(field, "over")));
    let (wrong, right) = if open {
        ("users", "rate")
    } else {
        ("rate", "users")
    };
    if let Some(node) = stage.get_node(wrong) {
        let model = if open {
            "this scenario gives arrival rates (`rate:`, the open model), so its stages cannot also give `users:`; set `load.max_users` for the users that carry the rate"
        } else {
            "this scenario gives users (`users:`, the closed model), so its stages cannot also give `rate:`; a scenario is either closed (every stage `users:`) or open (every stage `rate:`)"
        };
        r.error(node, &join(field, wrong), model);
        return None;
    }
    let value = r.required(stage, field, right);
    let (users, rate) = if open {
        let rate = value.and_then(|n| {
            let text = r.string(n, &join(field, "rate"))?;
            parse_rate(&text)
                .map_err(|e| r.error(n, &join(field, "rate"), e))
                .ok()
        });
        (max_users.unwrap_or(0), Some(rate?))
    } else {
        let users = value.and_then(|n| r.number(n, &join(field, "users"), 0, 100_000));
        (users? as usize, None)
    };
    Some(Stage {
        name,
        users,
        rate,
        over: over?,
    })
}

/// `load.max_users`: required by the open model, refused by the closed one.
fn read_max_users(r: &mut Reader, load: &MarkedMappingNode, open: bool) -> Option<usize> {
    let node = load.get_node("max_users");
    match (open, node) {
        (true, Some(node)) => r
            .number(node, "load.max_users", 1, 100_000)
            .map(|n| n as usize),
        (true, None) => {
            r.error_at(
                Position::of(load.span()),
                "load.max_users",
                "stages with `rate:` need `max_users`: the users Goose starts up front to carry the rate (at least the rate times the longest iteration, in seconds)",
            );
            None
        }
        (false, Some(node)) => {
            r.error(
                node,
                "load.max_users",
                "only open-model scenarios (stages with `rate:`) take `max_users`; with `users:` stages, the stages say how many users run",
            );
            None
        }
        (false, None) => None,
    }
}

/// `load.arrivals`: `even` (the default) or `poisson`, open model only.
fn read_arrivals(r: &mut Reader, load: &MarkedMappingNode, open: bool) -> Option<Arrivals> {
    let Some(node) = load.get_node("arrivals") else {
        return Some(Arrivals::Even);
    };
    if !open {
        r.error(
            node,
            "load.arrivals",
            "only open-model scenarios (stages with `rate:`) take `arrivals`",
        );
        return None;
    }
    let text = r.string(node, "load.arrivals")?;
    match text.trim() {
        "even" => Some(Arrivals::Even),
        "poisson" => Some(Arrivals::Poisson),
        other => {
            r.error(
                node,
                "load.arrivals",
                format!("`{other}` is not a spacing: use `even` or `poisson`"),
            );
            None
        }
    }
}

fn read_flows(r: &mut Reader, node: &Node) -> Option<Vec<Flow>> {
    let items = r.sequence(node, "flows")?;
    if items.is_empty() {
        r.error(node, "flows", "needs at least one flow");
        return None;
    }
    let flows: Vec<Flow> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| read_flow(r, item, i))
        .collect();
    let mut seen = HashSet::new();
    for (i, flow) in flows.iter().enumerate() {
        if !seen.insert(flow.name.as_str()) {
            r.error(
                &items[i],
                &format!("flows[{i}].name"),
                format!("flow name `{}` is used twice", flow.name),
            );
        }
    }
    (flows.len() == items.len()).then_some(flows)
}

fn read_flow(r: &mut Reader, node: &Node, index: usize) -> Option<Flow> {
    let field = format!("flows[{index}]");
    let map = r.mapping(node, &field, &["name", "weight", "think", "setup", "steps"])?;
    let name = r
        .required(map, &field, "name")
        .and_then(|n| read_name(r, n, &join(&field, "name")));
    let weight = match map.get_node("weight") {
        Some(n) => r
            .number(n, &join(&field, "weight"), 1, 10_000)
            .map(|w| w as usize),
        None => Some(1),
    };
    let think = map.get_node("think").and_then(|n| {
        let text = r.string(n, &join(&field, "think"))?;
        parse_think_time(&text)
            .map_err(|e| r.error(n, &join(&field, "think"), e))
            .ok()
    });
    let setup = match map.get_node("setup") {
        Some(n) => read_steps(r, n, &join(&field, "setup")),
        None => Some(vec![]),
    };
    let steps = r.required(map, &field, "steps").and_then(|n| {
        let steps = read_steps(r, n, &join(&field, "steps"))?;
        if steps.is_empty() {
            r.error(
                n,
                &join(&field, "steps"),
                "an empty flow does nothing; add at least one step",
            );
            return None;
        }
        Some(steps)
    });
    if let (Some(setup), Some(steps)) = (&setup, &steps) {
        check_flow(r, setup, steps, &field);
    }
    Some(Flow {
        name: name?,
        weight: weight?,
        think,
        setup: setup?.into_iter().collect::<Option<_>>()?,
        steps: steps?.into_iter().collect::<Option<_>>()?,
    })
}

/// Reads a step list; a step that has problems is `None` (its problems are recorded),
/// so flow-wide rules can still check the steps before it.
fn read_steps(r: &mut Reader, node: &Node, field: &str) -> Option<Vec<Option<Step>>> {
    let items = r.sequence(node, field)?;
    Some(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| read_step(r, item, &format!("{field}[{i}]")))
            .collect(),
    )
}

fn read_step(r: &mut Reader, node: &Node, field: &str) -> Option<Step> {
    let map = r.mapping(node, field, STEP_KINDS)?;
    if map.len() != 1 {
        r.error(
            node,
            field,
            format!("a step has exactly one of: {}", STEP_KINDS.join(", ")),
        );
        return None;
    }
    let (kind, body) = map.iter().next()?;
    let field = join(field, kind.as_str());
    let position = Position::of(kind.span());
    let (name, action) = match kind.as_str() {
        "http" => read_http(r, body, &field)?,
        "ws_connect" => read_ws_connect(r, body, &field)?,
        "ws_send" => read_ws_send(r, body, &field)?,
        "ws_receive" => read_ws_receive(r, body, &field)?,
        "ws_close" => read_ws_close(r, body, &field)?,
        _ => return None,
    };
    Some(Step {
        name,
        position,
        action,
    })
}

/// A flow, step, stage or `first:` name: not empty, no control characters, not too long.
fn read_name(r: &mut Reader, node: &Node, field: &str) -> Option<String> {
    let name = r.string(node, field)?;
    match check_name(&name) {
        Ok(()) => Some(name),
        Err(message) => {
            r.error(node, field, message);
            None
        }
    }
}

/// The step's `name:`, or a default built from what it does; a default that would make
/// a bad name (from an odd path) asks for a `name:` at the step.
fn step_name(
    r: &mut Reader,
    map: &MarkedMappingNode,
    field: &str,
    default: impl FnOnce() -> String,
) -> Option<String> {
    match map.get_node("name") {
        Some(n) => read_name(r, n, &join(field, "name")),
        None => {
            let name = default();
            match check_name(&name) {
                Ok(()) => Some(name),
                Err(message) => {
                    let position = Position::of(map.span());
                    r.error_at(
                        position,
                        field,
                        format!("the step's default name (method and path) {message}; give the step a `name:`"),
                    );
                    None
                }
            }
        }
    }
}

/// Header names and values: each must be sendable (see `http_values`).
fn read_headers(r: &mut Reader, map: &MarkedMappingNode, field: &str) -> Vec<(String, Template)> {
    let Some(node) = map.get_node("headers") else {
        return Vec::new();
    };
    let field = join(field, "headers");
    let Some(written) = node.as_mapping() else {
        // Reports the wrong type, with the wording used for `query`.
        return r.template_map(node, &field);
    };
    written
        .iter()
        .filter_map(|(key, value)| {
            let header_field = join(&field, key.as_str());
            if let Err(message) = check_header_name(key.as_str()) {
                r.error_at(Position::of(key.span()), &header_field, message);
            }
            let template = r.template(value, &header_field)?;
            if let Err(message) = check_header_value(&template) {
                r.error(value, &header_field, message);
            }
            Some((key.as_str().to_string(), template))
        })
        .collect()
}

fn read_http(r: &mut Reader, node: &Node, field: &str) -> Option<(String, Action)> {
    const KEYS: &[&str] = &[
        "name", "method", "path", "query", "headers", "json", "body", "expect", "extract",
        "timeout",
    ];
    let map = r.mapping(node, field, KEYS)?;
    let method = match map.get_node("method") {
        Some(n) => {
            let text = r.string(n, &join(field, "method"))?.to_ascii_uppercase();
            if !METHODS.contains(&text.as_str()) {
                r.error(
                    n,
                    &join(field, "method"),
                    format!(
                        "unknown method `{text}` (use one of {})",
                        METHODS.join(", ")
                    ),
                );
                return None;
            }
            reqwest::Method::from_bytes(text.as_bytes()).ok()?
        }
        None => reqwest::Method::GET,
    };
    let path_node = r.required(map, field, "path")?;
    let path_text = r.string(path_node, &join(field, "path"))?;
    let path = r.template(path_node, &join(field, "path"));
    if !(path_text.starts_with('/')
        || path_text.starts_with("http://")
        || path_text.starts_with("https://"))
    {
        r.error(
            path_node,
            &join(field, "path"),
            "must start with `/` (joined to the target) or be a full http(s) URL",
        );
    } else if let Some(Err(message)) = path.as_ref().map(check_http_path) {
        r.error(path_node, &join(field, "path"), message);
    }
    let query = map
        .get_node("query")
        .map(|n| r.template_map(n, &join(field, "query")))
        .unwrap_or_default();
    let headers = read_headers(r, map, field);
    let body = read_body(r, map, field, false);
    let expect = map
        .get_node("expect")
        .map(|n| read_expect(r, n, &join(field, "expect")))
        .unwrap_or_default();
    let extract = map
        .get_node("extract")
        .map(|n| read_extract(r, n, &join(field, "extract")))
        .unwrap_or(Some(Vec::new()));
    let timeout = map
        .get_node("timeout")
        .and_then(|n| r.timeout(n, &join(field, "timeout")));
    let name = step_name(r, map, field, || format!("{method} {path_text}"))?;
    let step = HttpStep {
        method,
        path: path?,
        query,
        headers,
        body: body?,
        expect,
        extract: extract?,
        timeout,
    };
    Some((name, Action::Http(step)))
}

/// `json:` or `body:` (not both); `required` for frames, which must carry something.
fn read_body(
    r: &mut Reader,
    map: &MarkedMappingNode,
    field: &str,
    required: bool,
) -> Option<Option<Body>> {
    match (map.get_node("json"), map.get_node("body")) {
        (Some(_), Some(raw)) => {
            r.error(
                raw,
                &join(field, "body"),
                "give either `json` or `body`, not both",
            );
            None
        }
        (Some(json), None) => r
            .json_template(json, &join(field, "json"))
            .map(|j| Some(Body::Json(j))),
        (None, Some(raw)) => r
            .template(raw, &join(field, "body"))
            .map(|t| Some(Body::Raw(t))),
        (None, None) if required => {
            let position = Position::of(map.span());
            r.error_at(position, field, "needs `json` or `body`");
            None
        }
        (None, None) => Some(None),
    }
}

fn read_expect(r: &mut Reader, node: &Node, field: &str) -> Expect {
    let Some(map) = r.mapping(node, field, &["status", "body_contains", "json"]) else {
        return Expect::default();
    };
    let status = map.get_node("status").and_then(|n| {
        let list: Vec<&Node> = match n {
            Node::Sequence(items) => items.iter().collect(),
            other => vec![other],
        };
        if list.is_empty() {
            r.error(
                n,
                &join(field, "status"),
                "an empty list would accept no response; list the codes to accept, or leave `status` out to accept any status below 400",
            );
            return None;
        }
        let codes: Vec<u16> = list
            .iter()
            .filter_map(|item| {
                r.number(item, &join(field, "status"), 100, 599)
                    .map(|c| c as u16)
            })
            .collect();
        (codes.len() == list.len() && !codes.is_empty()).then_some(codes)
    });
    let body_contains = map
        .get_node("body_contains")
        .and_then(|n| r.template(n, &join(field, "body_contains")));
    let json = map
        .get_node("json")
        .map(|n| read_pointer_equalities(r, n, &join(field, "json")))
        .unwrap_or_default();
    Expect {
        status,
        body_contains,
        json,
    }
}

/// `{ "/pointer": value, … }`: every pointer must equal its value.
fn read_pointer_equalities(r: &mut Reader, node: &Node, field: &str) -> Vec<PointerEquals> {
    let Some(map) = node.as_mapping() else {
        r.error(
            node,
            field,
            "expected a mapping of JSON pointers to values, e.g. `{ /type: done }`",
        );
        return vec![];
    };
    map.iter()
        .filter_map(|(key, value)| {
            let pointer = key.as_str().to_string();
            let checked = if pointer.is_empty() {
                Err(
                    "an empty pointer names the whole document; name a field, e.g. `/type`"
                        .to_string(),
                )
            } else {
                check_pointer(&pointer)
            };
            if let Err(message) = checked {
                let position = Position::of(key.span());
                r.error_at(position, &join(field, &pointer), message);
                return None;
            }
            Some(PointerEquals {
                pointer,
                equals: r.json_value(value),
            })
        })
        .collect()
}

/// `{ var: /pointer, … }`; `None` when any entry is wrong, so that the step counts as
/// unread and the flow checks do not report its variables as never set.
fn read_extract(r: &mut Reader, node: &Node, field: &str) -> Option<Vec<Extract>> {
    let Some(map) = node.as_mapping() else {
        r.error(
            node,
            field,
            "expected a mapping of variable names to JSON pointers, e.g. `{ token: /token }`",
        );
        return None;
    };
    let extracts: Vec<Extract> = map
        .iter()
        .filter_map(|(key, value)| {
            let var = key.as_str().to_string();
            let var_field = join(field, &var);
            if !is_identifier(&var) || var == "user" || var == "env" {
                let position = Position::of(key.span());
                r.error_at(position, &var_field, format!("`{var}` cannot be a variable name (letters, digits, `_`, `-`; not `user` or `env`)"));
                return None;
            }
            Some(Extract { var, pointer: r.pointer(value, &var_field)? })
        })
        .collect();
    (extracts.len() == map.len()).then_some(extracts)
}

fn read_ws_connect(r: &mut Reader, node: &Node, field: &str) -> Option<(String, Action)> {
    let map = r.mapping(node, field, &["name", "path", "headers", "timeout"])?;
    let path_node = r.required(map, field, "path")?;
    let path_text = r.string(path_node, &join(field, "path"))?;
    let path = r.template(path_node, &join(field, "path"));
    if !(path_text.starts_with('/')
        || path_text.starts_with("ws://")
        || path_text.starts_with("wss://"))
    {
        r.error(
            path_node,
            &join(field, "path"),
            "must start with `/` (joined to the target) or be a full ws(s):// URL",
        );
    } else if let Some(Err(message)) = path.as_ref().map(check_ws_path) {
        r.error(path_node, &join(field, "path"), message);
    }
    let headers = read_headers(r, map, field);
    let timeout = map
        .get_node("timeout")
        .and_then(|n| r.timeout(n, &join(field, "timeout")));
    let name = step_name(r, map, field, || "ws-connect".to_string())?;
    Some((
        name,
        Action::WsConnect(WsConnect {
            path: path?,
            headers,
            timeout,
        }),
    ))
}

fn read_ws_send(r: &mut Reader, node: &Node, field: &str) -> Option<(String, Action)> {
    let map = r.mapping(node, field, &["name", "json", "body"])?;
    let body = read_body(r, map, field, true)??;
    let name = step_name(r, map, field, || "ws-send".to_string())?;
    Some((name, Action::WsSend(WsSend { body })))
}

fn read_ws_receive(r: &mut Reader, node: &Node, field: &str) -> Option<(String, Action)> {
    let map = r.mapping(
        node,
        field,
        &["name", "until", "first", "timeout", "extract"],
    )?;
    let until = match map.get_node("until") {
        Some(n) => {
            let until_field = join(field, "until");
            let cond = r.mapping(n, &until_field, &["pointer", "equals"])?;
            let pointer = r
                .required(cond, &until_field, "pointer")
                .and_then(|p| r.pointer(p, &join(&until_field, "pointer")));
            let equals = r
                .required(cond, &until_field, "equals")
                .map(|e| r.json_value(e));
            Some(PointerEquals {
                pointer: pointer?,
                equals: equals?,
            })
        }
        None => None,
    };
    let first = map
        .get_node("first")
        .and_then(|n| read_name(r, n, &join(field, "first")));
    let timeout = map
        .get_node("timeout")
        .and_then(|n| r.timeout(n, &join(field, "timeout")));
    let extract = map
        .get_node("extract")
        .map(|n| read_extract(r, n, &join(field, "extract")))
        .unwrap_or(Some(Vec::new()));
    let name = step_name(r, map, field, || "ws-receive".to_string())?;
    Some((
        name,
        Action::WsReceive(WsReceive {
            until,
            first,
            timeout,
            extract: extract?,
        }),
    ))
}

fn read_ws_close(r: &mut Reader, node: &Node, field: &str) -> Option<(String, Action)> {
    let name = match node {
        Node::Scalar(s) if s.as_str().is_empty() || s.as_str() == "~" || s.as_str() == "null" => {
            "ws-close".to_string()
        }
        _ => {
            let map = r.mapping(node, field, &["name"])?;
            step_name(r, map, field, || "ws-close".to_string())?
        }
    };
    Some((name, Action::WsClose))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::template::{JsonTemplate, Vars};
    use serde_json::json;

    const FILE: &str = "dir/scenario.yaml";

    fn parse(text: &str) -> Result<Scenario, Diagnostics> {
        let env = |name: &str| (name == "SET").then(|| "from-env".to_string());
        parse_scenario(Path::new(FILE), text, &env)
    }

    /// The one problem of `text`: (line, column, field, message).
    fn problem(text: &str) -> (usize, usize, String, String) {
        let problems = parse(text).unwrap_err();
        assert_eq!(problems.0.len(), 1, "expected one problem:\n{problems}");
        let d = &problems.0[0];
        (
            d.position.line,
            d.position.column,
            d.field.clone(),
            d.message.clone(),
        )
    }

    const SMALL: &str = "name: small
timeout: 2s
load:
  stages:
    - { name: warm, users: 2, over: 1m30s }
    - { users: 0, over: 500ms }
flows:
  - name: f
    weight: 3
    think: 100ms..200ms
    setup:
      - http: { method: post, path: /login, json: { user: \"u${user}\", id: \"42\", n: 42, on: \"true\" },
                extract: { token: /token } }
    steps:
      - http: { path: /items, headers: { Authorization: \"Bearer ${token}\", X-Env: \"${env.SET}\" },
                query: { q: \"${env.UNSET:-fallback}\" }, expect: { status: [200, 204] } }
      - ws_connect: { path: \"/ws?token=${token}\", timeout: 1s }
      - ws_receive: { name: reply, first: first-token, until: { pointer: /type, equals: done } }
      - ws_close:
";

    #[test]
    fn a_scenario_is_read_into_checked_types() {
        let s = parse(SMALL).unwrap();
        assert_eq!(s.name, "small");
        assert_eq!(s.timeout, Duration::from_secs(2));
        assert_eq!(s.load.stages[0].name.as_deref(), Some("warm"));
        assert_eq!(s.load.stages[0].over, Duration::from_secs(90));
        assert_eq!(s.load.stages[1].over, Duration::from_millis(500));
        assert_eq!(s.peak_users(), 2);
        let flow = &s.flows[0];
        assert_eq!((flow.weight, flow.setup.len(), flow.steps.len()), (3, 1, 4));
        assert_eq!(flow.think.unwrap().max, Duration::from_millis(200));
        assert_eq!(
            flow.setup[0].name, "POST /login",
            "default name: method and path"
        );
        assert_eq!(
            flow.setup[0].position,
            Position {
                line: 12,
                column: 9
            }
        );
        let names: Vec<&str> = flow.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["GET /items", "ws-connect", "reply", "ws-close"]);
        assert_eq!(s.metric_names().len(), 6, "steps plus the `first:` name");
        let Action::Http(items) = &flow.steps[0].action else {
            panic!("http")
        };
        assert_eq!(items.expect.status, Some(vec![200, 204]));
        let vars = Vars {
            user: 7,
            values: [("token".to_string(), json!("t"))].into(),
        };
        let header = |i: usize| items.headers[i].1.render(&vars).unwrap();
        assert_eq!(
            (header(0), header(1)),
            ("Bearer t".into(), "from-env".into())
        );
        assert_eq!(items.query[0].1.render(&vars).unwrap(), "fallback");
    }

    #[test]
    fn quoted_scalars_stay_text_in_json_bodies() {
        let s = parse(SMALL).unwrap();
        let Action::Http(login) = &s.flows[0].setup[0].action else {
            panic!("http")
        };
        let Some(Body::Json(body)) = &login.body else {
            panic!("json body")
        };
        let sent = body
            .render(&Vars {
                user: 7,
                ..Vars::default()
            })
            .unwrap();
        assert_eq!(
            sent,
            json!({ "user": "u7", "id": "42", "n": 42, "on": "true" })
        );
        assert!(matches!(body, JsonTemplate::Object(_)));
    }

    #[test]
    fn every_problem_is_listed_in_file_order() {
        let text = SMALL
            .replace("over: 500ms", "over: 5 parsecs")
            .replace("weight: 3", "weight: 0")
            .replace("/type", "type");
        let problems = parse(&text).unwrap_err();
        let lines: Vec<usize> = problems.0.iter().map(|d| d.position.line).collect();
        assert_eq!(lines, [6, 9, 18], "{problems}");
        assert!(problems.0.iter().all(|d| d.file == Path::new(FILE)));
    }

    #[test]
    fn input_limits_are_enforced_before_reading() {
        assert!(
            parse(&format!("\u{FEFF}{SMALL}")).is_ok(),
            "a BOM is skipped"
        );
        let (line, column, _, message) = problem(&SMALL.replace("timeout: 2s", "timeout: 2s\0"));
        assert_eq!((line, column), (2, 12));
        assert!(message.contains("NUL"), "{message}");
        let (line, _, _, message) = problem(&format!("{SMALL}---\nname: other\n"));
        assert_eq!(line, 20);
        assert!(message.contains("second YAML document"), "{message}");
        let deep = SMALL.replace(
            "n: 42",
            &format!("n: {}1{}", "[".repeat(60), "]".repeat(60)),
        );
        assert!(problem(&deep).3.contains("deeper than 64"));
        let bytes = [b"name: caf\xe9\n".as_slice(), &SMALL.as_bytes()[12..]].concat();
        let err = parse_scenario_bytes(Path::new(FILE), &bytes, &|_| None).unwrap_err();
        assert_eq!((err.0[0].position.line, err.0[0].position.column), (1, 10));
    }

    #[test]
    fn what_run_could_not_send_is_refused() {
        for (from, to, field, hint) in [
            ("name: small", "name: \"a/b\"", "name", "not allowed"),
            ("name: f", "name: \"f\\e[31m\"", "flows[0].name", "ESC"),
            ("timeout: 2s", "timeout: 0s", "timeout", "timeout of 0"),
            (
                "timeout: 1s }",
                "timeout: 0ms }",
                "flows[0].steps[1].ws_connect.timeout",
                "timeout of 0",
            ),
            (
                "[200, 204]",
                "[]",
                "flows[0].steps[0].http.expect.status",
                "empty list",
            ),
            (
                "X-Env:",
                "\"X Env\":",
                "flows[0].steps[0].http.headers.X Env",
                "header name",
            ),
            (
                "\"${env.SET}\"",
                "\"a\\r\\nb\"",
                "flows[0].steps[0].http.headers.X-Env",
                "line break",
            ),
            (
                "/token }",
                "\"/token~\" }",
                "flows[0].setup[0].http.extract.token",
                "bad escape",
            ),
            (
                "${env.UNSET:-fallback}",
                "${env.UNSET:-${user}}",
                "flows[0].steps[0].http.query.q",
                "cannot hold another",
            ),
            (
                "\"/ws?token=${token}\"",
                "\"/ws?token=a b\"",
                "flows[0].steps[1].ws_connect.path",
                "WebSocket URL",
            ),
        ] {
            assert!(SMALL.contains(from), "{from}");
            let (_, _, found_field, message) = problem(&SMALL.replacen(from, to, 1));
            assert_eq!(found_field, field, "{to}: {message}");
            assert!(message.contains(hint), "{to}: {message}");
        }
    }

    #[test]
    fn unknown_keys_suggest_only_close_matches() {
        let problems = parse(&SMALL.replace("flows:", "flow:"))
            .unwrap_err()
            .to_string();
        assert!(
            problems.contains("unknown key `flow`; did you mean `flows`?"),
            "{problems}"
        );
        assert!(!problems.contains("`slo`"), "{problems}");
        let problems = parse(&SMALL.replace("timeout: 2s", "zzz: 2s"))
            .unwrap_err()
            .to_string();
        assert!(
            problems.contains("allowed: name, description"),
            "{problems}"
        );
    }
}

#[cfg(test)]
mod open_model_tests {
    use super::*;

    fn parse(load: &str) -> Result<Scenario, Diagnostics> {
        let text = format!(
            "name: open\nload:\n{load}flows:\n  - name: f\n    steps:\n      - http: {{ path: / }}\n"
        );
        parse_scenario(Path::new("open.yaml"), &text, &|_| None)
    }

    /// Every problem as `line:column field: message`.
    fn problems(load: &str) -> Vec<String> {
        parse(load).unwrap_err().lines()
    }

    #[test]
    fn rate_stages_make_an_open_model() {
        let s = parse(
            "  max_users: 400\n  arrivals: poisson\n  stages:\n    - { name: warm, rate: 50/s, over: 10s }\n    - { rate: 12000/m, over: 1m }\n",
        )
        .unwrap();
        assert_eq!(
            s.load.open,
            Some(OpenModel {
                max_users: 400,
                arrivals: Arrivals::Poisson
            })
        );
        let rates: Vec<Option<f64>> = s.load.stages.iter().map(|s| s.rate).collect();
        assert_eq!(rates, vec![Some(50.0), Some(200.0)]);
        assert!(s.load.stages.iter().all(|s| s.users == 400));
        let even = parse("  max_users: 4\n  stages:\n    - { rate: 1/s, over: 1s }\n").unwrap();
        assert_eq!(even.load.open.unwrap().arrivals, Arrivals::Even);
    }

    #[test]
    fn closed_scenarios_are_unchanged() {
        let s = parse("  stages:\n    - { users: 3, over: 1s }\n").unwrap();
        assert_eq!(s.load.open, None);
        assert_eq!(s.load.stages[0].rate, None);
        assert_eq!(s.load.stages[0].users, 3);
    }

    #[test]
    fn mixing_the_models_is_refused_where_it_happens() {
        let found = problems(
            "  max_users: 10\n  stages:\n    - { rate: 5/s, over: 1s }\n    - { users: 3, over: 1s }\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("6:16 load.stages[1].users: this scenario gives arrival rates"),
            "{found:?}"
        );
        let found = problems(
            "  stages:\n    - { users: 3, over: 1s }\n    - { users: 3, rate: 5/s, over: 1s }\n",
        );
        assert!(
            found[0].contains("load.stages[1].rate: this scenario gives users"),
            "{found:?}"
        );
    }

    #[test]
    fn the_open_model_settings_are_checked() {
        let found = problems("  stages:\n    - { rate: 5/s, over: 1s }\n");
        assert!(
            found[0].contains("load.max_users: stages with `rate:` need `max_users`"),
            "{found:?}"
        );
        let found = problems("  max_users: 2\n  stages:\n    - { users: 3, over: 1s }\n");
        assert!(
            found[0].starts_with("3:14 load.max_users: only open-model"),
            "{found:?}"
        );
        let found = problems(
            "  max_users: 2\n  arrivals: bursty\n  stages:\n    - { rate: 5/s, over: 1s }\n",
        );
        assert!(
            found[0].starts_with("4:13 load.arrivals: `bursty` is not a spacing"),
            "{found:?}"
        );
        let found = problems("  max_users: 2\n  stages:\n    - { rate: 5/d, over: 1s }\n");
        assert!(
            found[0].contains("load.stages[0].rate: `5/d`: unknown unit"),
            "{found:?}"
        );
        let found = problems("  max_users: 2\n  stages:\n    - { rate: 0/s, over: 1s }\n");
        assert!(
            found[0].contains("every stage has a rate of 0"),
            "{found:?}"
        );
    }

    #[test]
    fn users_own_their_connections_unless_shared() {
        let closed = "  stages:\n    - { users: 3, over: 1s }\n";
        let s = parse(closed).unwrap();
        assert_eq!(s.load.connections, Connections::PerUser);
        let s = parse(&format!("  connections: shared\n{closed}")).unwrap();
        assert_eq!(s.load.connections, Connections::Shared);
        let s = parse(
            "  connections: per_user\n  max_users: 2\n  stages:\n    - { rate: 5/s, over: 1s }\n",
        )
        .unwrap();
        assert_eq!(s.load.connections, Connections::PerUser);
        let found = problems(&format!("  connections: pooled\n{closed}"));
        assert!(
            found[0].starts_with("3:16 load.connections: `pooled` is not a choice"),
            "{found:?}"
        );
    }
}
