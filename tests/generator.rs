//! The generator watches itself, end to end: a loadgate process stopped mid-run
//! (SIGSTOP, then SIGCONT) finds its own timers fired late, fails the built-in
//! `load delivered` check with exit 1 and says it was the bottleneck; healthy runs, closed
//! and open, pass it and keep the generator's figures in every report file.

mod common;

use common::*;
use loadgate::summary::RunSummary;
use std::time::Duration;

/// A closed-model scenario of one health-check flow: `users` users for `secs` seconds
/// after a one-second ramp, no budgets.
fn closed(users: usize, secs: u64) -> String {
    format!(
        r#"name: watched
timeout: 10s
load:
  stages:
    - {{ name: ramp, users: {users}, over: 1s }}
    - {{ name: hold, users: {users}, over: {secs}s }}
flows:
  - name: f
    think: 20ms..40ms
    steps:
      - http: {{ name: health, path: /health }}
"#
    )
}

/// An open-model scenario of the same flow at `rate` per second for `secs` seconds.
fn open(rate: u32, secs: u64) -> String {
    format!(
        r#"name: watched-open
timeout: 10s
load:
  max_users: 20
  stages:
    - {{ rate: {rate}/s, over: 0s }}
    - {{ name: hold, rate: {rate}/s, over: {secs}s }}
flows:
  - name: f
    steps:
      - http: {{ name: health, path: /health }}
"#
    )
}

fn load_delivered(summary: &RunSummary) -> &loadgate::slo::Verdict {
    summary
        .judgement
        .verdicts
        .iter()
        .find(|v| v.rule == "load delivered")
        .expect("the built-in check is judged")
}

fn signal(name: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([name, &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill {name} {pid}");
}

#[cfg(unix)]
#[test]
fn a_stopped_generator_fails_load_delivered_with_the_lag_reason() {
    let _heavy = one_heavy_run_at_a_time();
    let server = ServerProcess::start(&[]);
    let (dir, path) = scenario_file(&closed(5, 8));
    let out_dir = dir.path().join("out");
    let child = spawn_run(&path, &server.url, &out_dir);
    let pid = child.id();
    // Well inside the 8 s `hold` stage (the clock starts with the first user, a few
    // hundred milliseconds after the process does).
    std::thread::sleep(Duration::from_secs(4));
    signal("-STOP", pid);
    std::thread::sleep(Duration::from_millis(1500));
    signal("-CONT", pid);
    let out = finish_within(child, RUN_DEADLINE);
    let summary = read_summary(&out_dir);
    let generator = summary.metrics.generator.as_ref().expect("figures kept");
    let worst = generator
        .stages
        .iter()
        .map(|w| w.timer_lag.max())
        .max()
        .unwrap_or(0);
    assert!(
        worst >= 1_000_000,
        "a stage's timers were late by the stop: {worst}µs\n{}",
        text(&out)
    );
    assert!(generator.run.timer_lag.max() >= 1_000_000);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let check = load_delivered(&summary);
    assert!(!check.passed, "{check:?}");
    assert_eq!(check.measure, "timer_lag_p99");
    assert!(check.measured.unwrap() > 50_000.0, "{check:?}");
    let reason = check.reason.as_deref().unwrap();
    assert!(
        reason.contains("the generator's timers fired late in stage 2 · hold"),
        "{reason}"
    );
    assert!(reason.contains("more cores"), "{reason}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL  load delivered"), "{stdout}");
    let flat = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "loadgate itself was the bottleneck: these latencies measure the generator, not the target."
        ),
        "{stdout}"
    );
    for file in ["summary.md", "report.html", "junit.xml"] {
        let body = std::fs::read_to_string(out_dir.join(file)).unwrap();
        assert!(
            body.contains("loadgate itself was the bottleneck"),
            "{file} says it"
        );
    }
}

#[test]
fn a_healthy_closed_run_passes_and_keeps_the_generator_figures() {
    let _heavy = one_heavy_run_at_a_time();
    let server = ServerProcess::start(&[]);
    let (dir, path) = scenario_file(&closed(5, 4));
    let out_dir = dir.path().join("out");
    let out = run_against(&path, &server.url, &out_dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read_summary(&out_dir);
    let check = load_delivered(&summary);
    assert!(check.passed, "{check:?}");
    assert_eq!(check.reason, None);
    let generator = summary.metrics.generator.as_ref().expect("figures kept");
    assert!(generator.cores >= 1);
    assert_eq!(generator.stages.len(), 2);
    assert_eq!(generator.cpu_measured, cfg!(target_os = "linux"));
    let hold = &generator.stages[1];
    // About 100 wake-ups a second over the 4 s stage.
    assert!(hold.timer_lag.count() >= 200, "{}", hold.timer_lag.count());
    assert!(hold.slot_lateness.is_none(), "closed model");
    if generator.cpu_measured {
        let cpu = hold.cpu.expect("a 4 s stage holds CPU samples");
        assert!(cpu.seconds >= 2, "{cpu:?}");
        assert!(
            (0.0..=1.0).contains(&cpu.mean) && cpu.peak >= cpu.mean,
            "{cpu:?}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("lag p99"), "{stdout}");
    assert!(stdout.contains("PASS  load delivered"), "{stdout}");
    assert!(!stdout.contains("bottleneck:"), "{stdout}");
    let read = |file: &str| std::fs::read_to_string(out_dir.join(file)).unwrap();
    assert!(read("summary.md").contains("### Generator"));
    assert!(read("report.html").contains("<section id=\"generator\">"));
    assert!(read("junit.xml").contains("generator.timer_lag_p99"));
    let json = read("summary.json");
    assert!(
        json.contains("\"generator\""),
        "summary.json keeps the figures"
    );
}

#[test]
fn a_healthy_open_run_keeps_slot_lateness_per_stage() {
    let _heavy = one_heavy_run_at_a_time();
    let server = ServerProcess::start(&[]);
    let (dir, path) = scenario_file(&open(20, 3));
    let out_dir = dir.path().join("out");
    let out = run_against(&path, &server.url, &out_dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read_summary(&out_dir);
    assert!(load_delivered(&summary).passed);
    let generator = summary.metrics.generator.as_ref().expect("figures kept");
    let slots = generator.stages[1]
        .slot_lateness
        .as_ref()
        .expect("open model: slot lateness per stage");
    let started = summary.metrics.stages[1].arrivals.as_ref().unwrap().started;
    // Each started iteration reported its lateness against the stage it was due in
    // (one may start just across the stage's edge).
    assert!(
        slots.count().abs_diff(started) <= 2,
        "{} lateness samples, {started} started",
        slots.count()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("slot p99"), "{stdout}");
}
