//! `loadgate validate` and `run` on bad scenarios: exit 2, every problem listed with its
//! file, line and field, and nothing run.

mod common;
use common::*;

const VALID_FLOW: &str = "flows:\n  - name: f\n    steps:\n      - http: { path: / }\n";
const VALID_LOAD: &str = "load:\n  stages:\n    - { users: 1, over: 1s }\n";

/// (what is wrong, the YAML, the line and field the error must name)
fn invalid_cases() -> Vec<(&'static str, String, usize, &'static str)> {
    vec![
        ("unknown top-level key", format!("name: t\nloda: 1\n{VALID_LOAD}{VALID_FLOW}"), 2, "loda"),
        ("missing name", format!("{VALID_LOAD}{VALID_FLOW}"), 1, "name"),
        ("users not a number", format!("name: t\nload:\n  stages:\n    - {{ users: many, over: 1s }}\n{VALID_FLOW}"), 4, "load.stages[0].users"),
        ("duration without unit", format!("name: t\nload:\n  stages:\n    - {{ users: 1, over: 10 }}\n{VALID_FLOW}"), 4, "load.stages[0].over"),
        ("duration garbage", format!("name: t\nload:\n  stages:\n    - {{ users: 1, over: 5 parsecs }}\n{VALID_FLOW}"), 4, "load.stages[0].over"),
        ("empty stages", format!("name: t\nload:\n  stages: []\n{VALID_FLOW}"), 3, "load.stages"),
        ("empty flow", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps: []\n"), 7, "flows[0].steps"),
        ("no flows", format!("name: t\n{VALID_LOAD}flows: []\n"), 5, "flows"),
        ("unknown step kind", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - grpc: {{ path: / }}\n"), 8, "flows[0].steps[0].grpc"),
        ("unknown http key", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - http: {{ path: /, methd: GET }}\n"), 8, "flows[0].steps[0].http.methd"),
        ("bad method", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - http: {{ path: /, method: FETCH }}\n"), 8, "flows[0].steps[0].http.method"),
        ("variable used before set", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - http: {{ path: \"/c/${{conv}}\" }}\n"), 8, "flows[0].steps[0]"),
        ("unclosed template", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - http: {{ path: \"/c/${{conv\" }}\n"), 8, "flows[0].steps[0].http.path"),
        ("status out of range", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - http: {{ path: /, expect: {{ status: 999 }} }}\n"), 8, "flows[0].steps[0].http.expect.status"),
        ("pointer without slash", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - http: {{ path: /, extract: {{ tok: token }} }}\n"), 8, "flows[0].steps[0].http.extract.tok"),
        ("ws before connect", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - ws_send: {{ body: hi }}\n"), 8, "flows[0].steps[0]"),
        ("wrong type for flows", format!("name: t\n{VALID_LOAD}flows: lots\n"), 5, "flows"),
        ("weight zero", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    weight: 0\n    steps:\n      - http: {{ path: / }}\n"), 7, "flows[0].weight"),
        ("think runs backwards", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    think: 2s..1s\n    steps:\n      - http: {{ path: / }}\n"), 7, "flows[0].think"),
        ("not YAML", "name: [unclosed\n".to_string(), 2, ""),
        ("duplicate key", format!("name: t\nname: u\n{VALID_LOAD}{VALID_FLOW}"), 2, "duplicate key"),
        ("missing env without default", format!("name: t\n{VALID_LOAD}flows:\n  - name: f\n    steps:\n      - http: {{ path: \"/${{env.LOADGATE_TEST_SURELY_UNSET}}\" }}\n"), 8, "LOADGATE_TEST_SURELY_UNSET"),
        ("fewer users than flows", format!("name: t\n{VALID_LOAD}flows:\n  - name: a\n    steps:\n      - http: {{ path: / }}\n  - name: b\n    steps:\n      - http: {{ path: / }}\n"), 4, "load.stages"),
    ]
}

#[test]
fn each_invalid_scenario_gets_exit_2_naming_line_and_field() {
    for (what, yaml, line, field) in invalid_cases() {
        let (_dir, path) = scenario_file(&yaml);
        let out = run_loadgate(&["validate", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        let located = format!("{}:{line}:", path.display());
        assert!(
            stderr.contains(&located),
            "{what}: expected `{located}` in\n{stderr}"
        );
        assert!(
            stderr.contains(field),
            "{what}: expected field `{field}` in\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{what}: panicked\n{stderr}");
    }
}

#[test]
fn validate_lists_every_problem_not_just_the_first() {
    let yaml = "name: t\nload:\n  stages:\n    - { users: x, over: 1s }\n    - { users: 1, over: nope }\nflows:\n  - name: f\n    steps:\n      - http: { path: \"/${missing}\" }\n      - http: { path: /, method: FETCH }\n";
    let (_dir, path) = scenario_file(yaml);
    let out = run_loadgate(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [":4:", ":5:", ":9:", ":10:", "4 problems found"] {
        assert!(stderr.contains(needle), "expected `{needle}` in\n{stderr}");
    }
}

#[test]
fn run_with_invalid_scenario_runs_nothing_and_writes_nothing() {
    let (dir, path) = scenario_file("name: t\nload: {}\nflows: []\n");
    let out_dir = dir.path().join("out");
    let out = run_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        !out_dir.exists(),
        "no report folder for an invalid scenario"
    );
}

#[test]
fn bad_flags_are_exit_2() {
    let out = run_loadgate(&["run", "scenarios/normal.yaml", "--time-scale", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--time-scale"));
    let out = run_loadgate(&["run", "scenarios/normal.yaml", "--target", "ftp://example"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target"));
    let out = run_loadgate(&["run", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.yaml"));
}

#[test]
fn shipped_scenarios_validate() {
    for name in ["normal", "stress", "spike"] {
        let out = run_loadgate(&["validate", &format!("scenarios/{name}.yaml")]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
    }
}
