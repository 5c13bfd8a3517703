//! What the gate says is true, end to end through the real binary over loopback:
//! latency budgets judge successes (a step whose every attempt fails cannot pass a
//! latency budget); the capacity names the highest load that held, not the last stage,
//! and rules pinned to a stage break that stage; an interrupted run says what it could
//! not judge; the charts' series follow the budgets' scopes.

mod common;
use common::*;
use std::time::Duration;

/// A server on loopback whose `/fail` answers 500 at once and `/ok` answers 200.
fn start_failing_server() -> (String, std::thread::JoinHandle<()>) {
    use axum::http::StatusCode;
    serve_on_loopback(
        axum::Router::new()
            .route("/", axum::routing::get(|| async { "ok" }))
            .route("/ok", axum::routing::get(|| async { "ok" }))
            .route(
                "/fail",
                axum::routing::get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "no") }),
            ),
    )
}

#[test]
fn a_step_whose_every_attempt_failed_fails_its_latency_budget() {
    let (url, _server) = start_failing_server();
    let (_dir, file) = scenario_file(
        r#"name: all-fail
budgets:
  - p95 < 500ms for always-fails
  - mean < 500ms for always-fails
  - p95 < 500ms for fine
load:
  stages:
    - { users: 3, over: 2s }
flows:
  - name: f
    think: 20ms
    steps:
      - http: { name: fine, path: /ok, expect: { status: 200 } }
      - http: { name: always-fails, path: /fail, expect: { status: 200 } }
"#,
    );
    let out_dir = tempfile::tempdir().unwrap();
    let out = run_loadgate(&[
        "run",
        file.to_str().unwrap(),
        "--target",
        &url,
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let summary = read_summary(out_dir.path());
    let failing = &summary.metrics.steps["always-fails"];
    assert!(failing.count > 10 && failing.errors == failing.count);
    assert_eq!(failing.latency.count(), 0, "failures are not timed");
    let [p95, mean, fine, delivered] = &summary.judgement.verdicts[..] else {
        panic!("three budgets and the built-in check")
    };
    assert_eq!(delivered.rule, "load delivered");
    for v in [p95, mean] {
        assert!(!v.passed, "{v:?}");
        assert_eq!(v.measured, None);
        let reason = v.reason.as_deref().unwrap();
        assert!(
            reason.contains(&format!("none of the {} attempts succeeded", failing.count)),
            "{reason}"
        );
    }
    assert!(fine.passed, "{fine:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL  p95 < 500ms for always-fails"),
        "{stdout}"
    );
    assert!(!stdout.contains("measured 7µs"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("always-fails"))
        .expect("a row for the step");
    assert!(
        !row.contains("µs") && !row.contains("ms"),
        "no latency: {row}"
    );
    let junit = std::fs::read_to_string(out_dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("none of the"), "{junit}");
}

/// A spike whose recovery stage breaks a rule pinned to it.
const SPIKE: &str = r#"name: mini-spike
budgets:
  - p95 < 5s
  - error_rate < 50%
  - throughput >= 100000/s for http in stage recovery
load:
  stages:
    - { name: ramp, users: 2, over: 1s }
    - { name: base, users: 2, over: 2s }
    - { name: jump, users: 6, over: 1s }
    - { name: spike, users: 6, over: 3s }
    - { name: drop, users: 2, over: 1s }
    - { name: recovery, users: 2, over: 2s }
    - { name: down, users: 0, over: 1s }
flows:
  - name: f
    think: 50ms
    steps:
      - http: { name: health, path: /health, expect: { status: 200 } }
"#;

#[test]
fn capacity_is_the_highest_load_that_held_and_pinned_rules_break_their_stage() {
    let _serial = one_heavy_run_at_a_time();
    let (_dir, file) = scenario_file(SPIKE);
    let out_dir = tempfile::tempdir().unwrap();
    let out = run_loadgate(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let summary = read_summary(out_dir.path());
    let capacity = summary.judgement.capacity.clone().expect("a capacity");
    let held = capacity.held.clone().expect("a stage held");
    assert_eq!(
        (held.users, held.name.as_deref()),
        (6, Some("spike")),
        "the highest load that held, not the last stage: {capacity:?}"
    );
    let broke = capacity.broke.expect("recovery broke its pinned rule");
    assert_eq!(broke.name.as_deref(), Some("recovery"));
    assert_eq!(
        capacity.broken_rules,
        vec!["throughput >= 100000/s for http in stage recovery".to_string()]
    );
    let recovery = summary
        .judgement
        .stages
        .iter()
        .find(|s| s.name.as_deref() == Some("recovery"))
        .unwrap();
    assert!(!recovery.passed);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Capacity:"), "{stdout}");
    assert!(!stdout.contains("No stage broke"), "{stdout}");
    for file in ["summary.md", "report.html", "junit.xml"] {
        let body = std::fs::read_to_string(out_dir.path().join(file)).unwrap();
        assert!(
            body.contains("The lowest load that broke a budget: 2 users"),
            "{file} states the same capacity"
        );
        assert!(!body.contains("No stage broke"), "{file}");
    }
}

#[test]
fn an_interrupted_run_says_what_it_could_not_judge() {
    let _serial = one_heavy_run_at_a_time();
    let (_dir, file) = scenario_file(
        r#"name: cut-short
budgets:
  - p95 < 5s
  - p95 < 5s for health in stage long
  - throughput >= 1/s for health in stage never
load:
  stages:
    - { name: up, users: 2, over: 1s }
    - { name: held, users: 2, over: 2s }
    - { name: long, users: 2, over: 60s }
    - { name: never, users: 2, over: 10s }
flows:
  - name: f
    think: 50ms
    steps:
      - http: { name: health, path: /health, expect: { status: 200 } }
"#,
    );
    let out_dir = tempfile::tempdir().unwrap();
    let child = spawn_loadgate(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    let summary_path = out_dir.path().join("summary.json");
    // Wait until the run is well into `long`, then interrupt it.
    std::thread::sleep(Duration::from_secs(7));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = finish_within(child, Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(summary_path.is_file());
    let summary = read_summary(out_dir.path());
    assert!(summary.interrupted);
    let [whole, long, never, delivered] = &summary.judgement.verdicts[..] else {
        panic!("three budgets and the built-in check")
    };
    assert_eq!(delivered.rule, "load delivered");
    assert!(whole.partial && whole.measured.is_some(), "{whole:?}");
    assert!(long.partial && long.measured.is_some(), "{long:?}");
    let reason = never.reason.as_deref().unwrap();
    assert!(
        reason.contains("interrupted before stage 4 `never`"),
        "{reason}"
    );
    assert!(
        !summary
            .judgement
            .capacity
            .as_ref()
            .unwrap()
            .run_wide_broken
            .contains(&never.rule),
        "a rule pinned to a stage that never ran is not a run-wide failure"
    );
    let capacity = summary.judgement.capacity.clone().unwrap();
    assert_eq!(capacity.not_judged, vec![2, 3], "{capacity:?}");
    let held = capacity.held.expect("`held` ran to its end");
    assert_eq!(held.name.as_deref(), Some("held"));
    assert!(held.requests_per_sec > 1.0, "{held:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("never ran"), "{stdout}");
    assert!(
        stdout.contains("partial: the run was interrupted"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Not counted: stage 3 · long, stage 4 · never"),
        "{stdout}"
    );
}

#[test]
fn the_per_second_series_follow_the_budget_scopes() {
    let _serial = one_heavy_run_at_a_time();
    let out_dir = tempfile::tempdir().unwrap();
    let out = run_loadgate(&[
        "run",
        "scenarios/normal.yaml",
        "--time-scale",
        "0.05",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read_summary(out_dir.path());
    let mut keys: Vec<&str> = summary
        .metrics
        .series
        .iter()
        .flat_map(|s| s.latency.keys().map(String::as_str))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(
        keys,
        [
            "all HTTP steps",
            "send-message",
            "ws-ack, ws-ping",
            "ws-reply"
        ]
    );
    // The WebSocket budget's series holds only ws-ack and ws-ping: fast round trips,
    // never the streamed reply that takes ~100 ms.
    let ack_ping: u64 = summary
        .metrics
        .series
        .iter()
        .filter_map(|s| s.latency.get("ws-ack, ws-ping"))
        .map(|h| h.count())
        .sum();
    let steps = &summary.metrics.steps;
    assert_eq!(
        ack_ping,
        steps["ws-ack"].latency.count() + steps["ws-ping"].latency.count()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some(line) = stderr.lines().find(|l| l.contains("req/s")) {
        assert!(line.contains("p95 http"), "{line}");
        assert!(line.contains("ws-ack,ws-ping"), "{line}");
    }
}
