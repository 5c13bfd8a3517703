//! Focused unit tests of [`parse_scenario`]: what the checked model holds (stages, flows,
//! weights, budgets, defaults) and where each kind of problem is placed. The end-to-end
//! table of invalid files, through the real binary, is in `tests/validate.rs`; hostile
//! input is in `tests/corpus.rs` and `tests/mutations.rs`.

use super::diagnostic::{Diagnostics, Position};
use super::model::*;
use super::parse::{parse_scenario, DEFAULT_TIMEOUT};
use super::template::Vars;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FILE: &str = "plans/chat.yaml";

fn parse(text: &str) -> Result<Scenario, Diagnostics> {
    parse_scenario(Path::new(FILE), text, &|_| None)
}

fn parsed(text: &str) -> Scenario {
    parse(text).unwrap_or_else(|problems| panic!("should parse:\n{problems}"))
}

/// Every problem as (line, column, field).
fn places(text: &str) -> Vec<(usize, usize, String)> {
    parse(text)
        .expect_err("should be refused")
        .0
        .into_iter()
        .map(|d| (d.position.line, d.position.column, d.field))
        .collect()
}

/// A minimal valid scenario: one stage, one flow of one step.
const MINIMAL: &str = "\
name: minimal
load:
  stages:
    - { users: 1, over: 1s }
flows:
  - name: only
    steps:
      - http: { path: /health }
";

fn rendered(template: &super::template::Template) -> String {
    template.render(&Vars::default()).expect("no variables")
}

#[test]
fn defaults_fill_what_the_file_leaves_out() {
    let s = parsed(MINIMAL);
    assert_eq!(s.name, "minimal");
    assert_eq!(s.description, None);
    assert_eq!(s.source, PathBuf::from(FILE));
    assert_eq!(s.slo_file, None);
    assert!(s.budgets.is_empty());
    assert_eq!(s.timeout, DEFAULT_TIMEOUT);
    let flow = &s.flows[0];
    assert_eq!(flow.weight, 1, "weight defaults to 1");
    assert!(flow.think.is_none() && flow.setup.is_empty());
    let step = &flow.steps[0];
    assert_eq!(step.name, "GET /health", "default name: method and path");
    let Action::Http(http) = &step.action else {
        panic!("an http step");
    };
    assert_eq!(http.method, reqwest::Method::GET);
    assert_eq!(rendered(&http.path), "/health");
    assert!(http.query.is_empty() && http.headers.is_empty() && http.extract.is_empty());
    assert!(http.body.is_none() && http.timeout.is_none());
    assert!(
        http.expect.status.is_none() && http.expect.json.is_empty(),
        "no expectations: any status below 400 passes"
    );
}

#[test]
fn stages_keep_their_order_names_users_and_lengths() {
    let s = parsed(&MINIMAL.replace(
        "    - { users: 1, over: 1s }\n",
        "    - { name: warm, users: 10, over: 30s }\n    - { users: 10, over: 1m }\n    - { name: down, users: 0, over: 500ms }\n",
    ));
    assert_eq!(
        s.load.stages,
        [
            Stage {
                name: Some("warm".into()),
                users: 10,
                rate: None,
                over: Duration::from_secs(30)
            },
            Stage {
                name: None,
                users: 10,
                rate: None,
                over: Duration::from_secs(60)
            },
            Stage {
                name: Some("down".into()),
                users: 0,
                rate: None,
                over: Duration::from_millis(500)
            },
        ]
    );
    assert_eq!(s.peak_users(), 10);
    assert_eq!(s.planned_duration(), Duration::from_millis(90_500));
}

#[test]
fn flows_keep_their_weights_think_times_and_setup() {
    let text = "\
name: two
load:
  stages:
    - { users: 4, over: 1s }
flows:
  - name: readers
    weight: 3
    think: 1s
    steps:
      - http: { name: list, path: /api/bots }
  - name: chatters
    think: 100ms..2s
    setup:
      - http: { method: post, path: /login, extract: { token: /token } }
    steps:
      - ws_connect: { path: \"/ws?token=${token}\" }
      - ws_send: { json: { text: hi } }
      - ws_receive: { until: { pointer: /type, equals: done }, first: first-token }
      - ws_close:
";
    let s = parsed(text);
    let weights: Vec<(&str, usize)> = s
        .flows
        .iter()
        .map(|f| (f.name.as_str(), f.weight))
        .collect();
    assert_eq!(weights, [("readers", 3), ("chatters", 1)]);
    let fixed = s.flows[0].think.unwrap();
    assert_eq!(
        (fixed.min, fixed.max),
        (Duration::from_secs(1), Duration::from_secs(1))
    );
    let range = s.flows[1].think.unwrap();
    assert_eq!(
        (range.min, range.max),
        (Duration::from_millis(100), Duration::from_secs(2))
    );
    let chatters = &s.flows[1];
    assert_eq!(chatters.setup[0].name, "POST /login");
    let Action::Http(login) = &chatters.setup[0].action else {
        panic!("http");
    };
    assert_eq!(
        login.method,
        reqwest::Method::POST,
        "methods are case-insensitive"
    );
    assert_eq!(
        login.extract,
        [Extract {
            var: "token".into(),
            pointer: "/token".into()
        }]
    );
    let names: Vec<&str> = chatters.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ws-connect", "ws-send", "ws-receive", "ws-close"]);
    let Action::WsReceive(receive) = &chatters.steps[2].action else {
        panic!("ws_receive");
    };
    assert_eq!(receive.first.as_deref(), Some("first-token"));
    assert_eq!(
        receive
            .until
            .as_ref()
            .map(|u| (u.pointer.as_str(), u.equals.clone())),
        Some(("/type", serde_json::json!("done")))
    );
    assert_eq!(
        s.metric_names(),
        [
            "list",
            "POST /login",
            "ws-connect",
            "ws-send",
            "ws-receive",
            "first-token",
            "ws-close"
        ]
    );
}

#[test]
fn budgets_keep_their_text_and_place_and_slo_is_relative_to_the_scenario() {
    let text = format!(
        "{MINIMAL}budgets:\n  - p95 < 200ms for http\n  - \"error_rate < 1%\"\nslo: ../slo.yaml\ntimeout: 2s\n"
    );
    // The budgets file does not exist: that is reported, at the `slo:` value.
    assert_eq!(places(&text), [(12, 6, "slo".to_string())]);
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("plans").join("chat.yaml");
    std::fs::create_dir_all(scenario.parent().unwrap()).unwrap();
    std::fs::write(dir.path().join("slo.yaml"), "budgets: []\n").unwrap();
    let s = parse_scenario(&scenario, &text, &|_| None).unwrap();
    assert_eq!(
        s.slo_file,
        Some(dir.path().join("plans").join("../slo.yaml")),
        "resolved against the scenario's folder, not the working directory"
    );
    assert_eq!(
        s.budgets,
        [
            (
                "p95 < 200ms for http".to_string(),
                Position {
                    line: 10,
                    column: 5
                }
            ),
            (
                "error_rate < 1%".to_string(),
                Position {
                    line: 11,
                    column: 5
                }
            ),
        ],
        "rules are kept as written, each with its place for later messages"
    );
    assert_eq!(s.timeout, Duration::from_secs(2));
}

#[test]
fn each_kind_of_problem_is_placed_where_it_stands() {
    // A wrong value: at the value.
    assert_eq!(
        places(&MINIMAL.replace("users: 1,", "users: lots,")),
        [(4, 16, "load.stages[0].users".to_string())]
    );
    // An unknown key: at the key.
    assert_eq!(
        places(&MINIMAL.replace("    steps:", "    wieght: 2\n    steps:")),
        [(7, 5, "flows[0].wieght".to_string())]
    );
    // A missing key: at the mapping that lacks it.
    assert_eq!(
        places(&MINIMAL.replace("{ path: /health }", "{ method: GET }")),
        [(8, 15, "flows[0].steps[0].http.path".to_string())]
    );
    // A wrong type: at the node that has it.
    assert_eq!(
        places(&MINIMAL.replace(
            "  stages:\n    - { users: 1, over: 1s }\n",
            "  stages: soon\n"
        )),
        [(3, 11, "load.stages".to_string())]
    );
    // A document-level problem: no field, placed at the top mapping.
    assert_eq!(
        places("load:\n  stages:\n    - { users: 1, over: 1s }\nflows: []\n"),
        [(1, 1, "name".to_string()), (4, 8, "flows".to_string())]
    );
}

#[test]
fn problems_in_several_places_are_all_reported_in_file_order() {
    let text = MINIMAL
        .replace("name: minimal", "name: minimal\ntimeout: never")
        .replace("over: 1s", "over: 1 fortnight")
        .replace("{ path: /health }", "{ path: health }");
    assert_eq!(
        places(&text),
        [
            (2, 10, "timeout".to_string()),
            (5, 25, "load.stages[0].over".to_string()),
            (9, 23, "flows[0].steps[0].http.path".to_string()),
        ]
    );
}
