//! The open model end to end: iterations start on the arrival clock whatever the target
//! does; a stalled target shows in latency timed from the intended start; iterations no
//! user was free for are dropped and counted, never silently skipped.

mod common;
mod rogue;

use common::*;
use std::time::Duration;

/// An open-model scenario of one health-check flow.
fn scenario(max_users: usize, stages: &str) -> String {
    scenario_on(max_users, stages, "/health", "10s")
}

/// An open-model scenario whose one step gets `path`, giving up after `timeout`.
fn scenario_on(max_users: usize, stages: &str, path: &str, timeout: &str) -> String {
    format!(
        r#"name: open
timeout: {timeout}
load:
  max_users: {max_users}
  stages:
{stages}
flows:
  - name: f
    steps:
      - http: {{ name: health, path: {path} }}
"#
    )
}

fn arrivals(summary: &loadgate::summary::RunSummary) -> Vec<(f64, u64, u64)> {
    summary
        .metrics
        .stages
        .iter()
        .map(|s| {
            let a = s
                .arrivals
                .as_ref()
                .expect("open-model stages carry arrivals");
            (a.planned, a.started, a.dropped)
        })
        .collect()
}

#[test]
fn iterations_follow_the_clock_and_every_one_is_accounted_for() {
    let _heavy = one_heavy_run_at_a_time();
    let server = ServerProcess::start(&[]);
    let (dir, path) = scenario_file(&scenario(
        20,
        "    - { rate: 40/s, over: 0s }\n    - { name: hold, rate: 40/s, over: 3s }\n    - { name: up, rate: 80/s, over: 2s }",
    ));
    let out_dir = dir.path().join("out");
    let out = run_against(&path, &server.url, &out_dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read_summary(&out_dir);
    let stages = arrivals(&summary);
    // 40/s for 3 s, then 40 → 80/s over 2 s.
    assert_eq!(stages[1].0, 120.0);
    assert_eq!(stages[2].0, 120.0);
    for (planned, started, dropped) in &stages[1..] {
        assert_eq!(*dropped, 0, "a fast target with free users drops nothing");
        // Every slot due in the stage started in it; a few may start just across a
        // stage's edge (the clock is shared, the stage boundary is by completion time).
        assert!(
            (*started as f64 - planned).abs() <= 3.0,
            "started {started} of {planned}"
        );
    }
    let total: u64 = stages.iter().map(|s| s.1 + s.2).sum();
    assert_eq!(
        total, 240,
        "every intended iteration started or was dropped"
    );
    let health = &summary.metrics.steps["health"];
    assert_eq!(health.count, 240);
    let service = health.service.as_ref().expect("service time is kept");
    assert_eq!(service.count(), 240);
    assert!(health.latency.percentile(50.0) >= service.percentile(50.0));
}

#[test]
fn a_stalled_target_shows_in_latency_from_the_intended_start() {
    let _heavy = one_heavy_run_at_a_time();
    let server = ServerProcess::start(&[]);
    // 200 users launch in about 2 s, then the clock runs for 10 s; the stall falls in
    // its middle.
    let (dir, path) = scenario_file(&scenario(
        200,
        "    - { rate: 50/s, over: 0s }\n    - { rate: 50/s, over: 10s }",
    ));
    let out_dir = dir.path().join("out");
    let child = spawn_run(&path, &server.url, &out_dir);
    let pid = server.child.id().to_string();
    std::thread::sleep(Duration::from_secs(6));
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal("-STOP");
    std::thread::sleep(Duration::from_secs(2));
    signal("-CONT");
    let out = finish_within(child, RUN_DEADLINE);
    let summary = read_summary(&out_dir);
    let health = &summary.metrics.steps["health"];
    let p99 = health.latency.percentile(99.0);
    assert!(
        p99 >= 1_000_000,
        "p99 from the intended start covers the 2 s stall: {p99}µs\n{}",
        text(&out)
    );
    let stages = arrivals(&summary);
    let total: u64 = stages.iter().map(|s| s.1 + s.2).sum();
    assert_eq!(
        total, 500,
        "the clock kept going through the stall: 50/s for 10 s"
    );
}

#[test]
fn too_few_users_drop_iterations_and_count_them() {
    let _heavy = one_heavy_run_at_a_time();
    // The server never answers and each attempt gives up after 250 ms, so 2 users carry
    // at most 8 iterations a second of the 50 asked for.
    let server = rogue::Rogue::start();
    let (dir, path) = scenario_file(&scenario_on(
        2,
        "    - { rate: 50/s, over: 0s }\n    - { rate: 50/s, over: 3s }",
        "/hang",
        "250ms",
    ));
    let out_dir = dir.path().join("out");
    let out = run_against(&path, &server.url, &out_dir);
    let summary = read_summary(&out_dir);
    let stages = arrivals(&summary);
    let (started, dropped): (u64, u64) = stages.iter().fold((0, 0), |a, s| (a.0 + s.1, a.1 + s.2));
    assert_eq!(started + dropped, 150, "{}", text(&out));
    assert!(dropped >= 90, "dropped {dropped} of 150\n{}", text(&out));
    assert!(started >= 2, "the users did run: {started}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a load that was not delivered fails the gate\n{}",
        text(&out)
    );
    let check = summary
        .judgement
        .verdicts
        .iter()
        .find(|v| v.rule == "load delivered")
        .expect("the built-in check is judged");
    assert!(!check.passed);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL  load delivered"), "{stdout}");
}
