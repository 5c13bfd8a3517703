//! `RUST_LOG` reaches loadgate's own logger: silent by default (nothing from Goose, whose
//! console output the progress line replaces), and the usual env_logger filters when set.

mod common;
mod rogue;

use common::*;
use rogue::Rogue;

const SCENARIO: &str = r#"name: short
load:
  stages:
    - { users: 1, over: 1s }
flows:
  - name: f
    think: 100ms
    steps:
      - http: { name: ok, path: /ok }
"#;

fn stderr_of_a_run(rust_log: Option<&str>) -> String {
    let rogue = Rogue::start();
    let (dir, path) = scenario_file(SCENARIO);
    let out_dir = dir.path().join("out");
    let mut command = loadgate();
    command.env_remove("RUST_LOG");
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let child = command
        .args([
            "run",
            path.to_str().unwrap(),
            "--target",
            &rogue.url,
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("loadgate starts");
    let out = finish_within(child, RUN_DEADLINE);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn rust_log_turns_on_debug_logs_and_goose_stays_quiet_by_default() {
    let quiet = stderr_of_a_run(None);
    assert!(
        !quiet.contains("DEBUG") && !quiet.contains("goose"),
        "{quiet}"
    );
    let debug = stderr_of_a_run(Some("debug"));
    assert!(
        debug.contains("[DEBUG loadgate::engine] Goose test plan"),
        "{debug}"
    );
    assert!(!debug.contains("goose::"), "Goose only when asked: {debug}");
    let goose = stderr_of_a_run(Some("goose=trace"));
    assert!(goose.contains("goose::"), "{goose}");
}
