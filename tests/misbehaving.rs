//! A target that misbehaves cannot hurt the run: the real binary against a rogue server
//! on loopback that floods WebSocket frames, never answers, answers garbage or truncated
//! bodies, breaks the WebSocket protocol and sends terminal escape sequences; and a
//! target with a base path, which HTTP and WebSocket steps must both keep.

mod common;
mod rogue;

use common::*;
use rogue::Rogue;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

/// Waits for `child` like [`finish_within`], sampling its peak resident memory (VmHWM,
/// in KiB) from /proc while it runs.
fn finish_sampling_rss(child: Child, deadline: Duration) -> (Output, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            use std::sync::atomic::Ordering;
            while !done.load(Ordering::Relaxed) {
                if let Ok(status) = std::fs::read_to_string(&status_file) {
                    let hwm = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
                    if let Some(kib) = hwm {
                        peak.fetch_max(kib, Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let output = finish_within(child, deadline);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    (output, peak.load(std::sync::atomic::Ordering::Relaxed))
}

fn run_against(rogue: &Rogue, scenario: &str) -> (tempfile::TempDir, Output) {
    let (dir, path) = scenario_file(scenario);
    let out_dir = dir.path().join("out");
    let out = run_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &rogue.url,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    (dir, out)
}

#[test]
fn a_websocket_flood_is_dropped_and_counted_with_memory_bounded() {
    let rogue = Rogue::start();
    let scenario = r#"name: flood
timeout: 10s
load:
  stages:
    - { users: 1, over: 4s }
flows:
  - name: slow-reader
    think: 1s
    setup:
      - ws_connect: { name: connect, path: /ws-flood }
    steps:
      - ws_receive: { name: recv }
"#;
    let (dir, path) = scenario_file(scenario);
    let out_dir = dir.path().join("out");
    let child = spawn_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &rogue.url,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let (out, peak_kib) = finish_sampling_rss(child, RUN_DEADLINE);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let flood_mib = rogue::FLOOD_FRAMES as u64;
    assert!(
        peak_kib > 0 && peak_kib < 200 * 1024,
        "peak RSS {} MiB while the server pushed {flood_mib} MiB",
        peak_kib / 1024
    );
    let summary = read_summary(&out_dir);
    let recv = &summary.metrics.steps["recv"];
    assert!(recv.frames_dropped > 0, "dropped frames are counted");
    let overflow = &recv.failures["websocket overflow"];
    assert!(overflow.count >= 1, "a receive after the gap fails");
    assert!(
        overflow.example.contains("dropped unread"),
        "{}",
        overflow.example
    );
    assert!(
        recv.frames + recv.frames_dropped <= flood_mib,
        "no frame counted twice"
    );
}

#[test]
fn a_silent_server_cannot_stretch_the_run_past_its_plan() {
    let rogue = Rogue::start();
    let scenario = r#"name: silent
timeout: 60s
load:
  stages:
    - { users: 2, over: 2s }
flows:
  - name: f
    steps:
      - http: { name: hang, path: /hang }
"#;
    let started = Instant::now();
    let (dir, out) = run_against(&rogue, scenario);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        took < Duration::from_secs(30),
        "the 60 s request timeout must not hold the run: it took {took:?}"
    );
    let summary = read_summary(&dir.path().join("out"));
    let hang = &summary.metrics.steps["hang"];
    assert_eq!(hang.cancelled, 2, "each user's request was cut off");
    assert_eq!(hang.errors, 0, "cancelled is not a failure of the target");
    assert_eq!(hang.count, 0, "nothing completed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("hang: cancelled ×2"), "{stdout}");
}

#[test]
fn ctrl_c_acts_promptly_while_a_request_hangs() {
    let rogue = Rogue::start();
    let scenario = r#"name: silent-interrupted
timeout: 60s
load:
  stages:
    - { users: 2, over: 1s }
    - { users: 2, over: 60s }
flows:
  - name: f
    steps:
      - http: { name: hang, path: /hang }
"#;
    let (dir, path) = scenario_file(scenario);
    let out_dir = dir.path().join("out");
    let child = spawn_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &rogue.url,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    std::thread::sleep(Duration::from_secs(2));
    let signalled = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = finish_within(child, RUN_DEADLINE);
    let took = signalled.elapsed();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        took < Duration::from_secs(30),
        "Ctrl-C must not wait for the 60 s timeout: {took:?}"
    );
    let summary = read_summary(&out_dir);
    assert!(summary.interrupted);
    assert_eq!(summary.metrics.steps["hang"].cancelled, 2);
}

#[test]
fn failure_classes_say_what_happened_and_server_text_cannot_reach_the_terminal_raw() {
    let rogue = Rogue::start();
    let scenario = r#"name: garbage
timeout: 5s
load:
  stages:
    - { users: 1, over: 2s }
flows:
  - name: f
    think: 100ms
    steps:
      - http: { name: garbage, path: /garbage }
      - http: { name: truncated, path: /truncated }
      - http: { name: escape, path: /escape }
      - ws_connect: { name: badop-connect, path: /ws-badop }
      - ws_receive: { name: badop-recv, timeout: 2s }
      - ws_connect: { name: esc-connect, path: /ws-close-esc }
      - ws_receive: { name: esc-recv, timeout: 2s }
"#;
    let (dir, out) = run_against(&rogue, scenario);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read_summary(&dir.path().join("out"));
    let classes = |step: &str| -> Vec<String> {
        summary.metrics.steps[step]
            .failures
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(classes("garbage"), ["invalid response"]);
    assert_eq!(classes("truncated"), ["truncated body"]);
    assert_eq!(classes("badop-recv"), ["protocol error"]);
    assert_eq!(classes("escape"), ["http 500"]);
    assert_eq!(classes("esc-recv"), ["websocket closed early"]);
    let esc = &summary.metrics.steps["esc-recv"].failures["websocket closed early"].example;
    assert!(esc.contains("\\u{1b}[31mRED"), "shown escaped: {esc}");
    for step in summary.metrics.steps.values() {
        for failure in step.failures.values() {
            assert!(
                !failure.example.chars().any(char::is_control),
                "no control characters stored: {:?}",
                failure.example
            );
        }
    }
    for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let shown = String::from_utf8_lossy(stream);
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{9b}') && !shown.contains('\u{7}'),
            "{name} carries a raw escape sequence:\n{shown}"
        );
    }
}

#[test]
fn http_and_websocket_steps_both_keep_the_targets_base_path() {
    let rogue = Rogue::start();
    let scenario = r#"name: prefix
timeout: 5s
load:
  stages:
    - { users: 1, over: 1s }
flows:
  - name: f
    think: 200ms
    steps:
      - http: { name: bots, path: /api/bots }
      - ws_connect: { name: ws, path: /ws-hold }
      - ws_close: { name: close }
"#;
    let (dir, path) = scenario_file(scenario);
    let out_dir = dir.path().join("out");
    let target = format!("{}/prefix/?api_key=K-123456", rogue.url);
    let out = run_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &target,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let requests = rogue.requests();
    let saw = |line: &str| requests.iter().any(|r| r == line);
    assert!(
        saw("GET /prefix/api/bots?api_key=K-123456 HTTP/1.1"),
        "{requests:#?}"
    );
    assert!(
        saw("GET /prefix/ws-hold?api_key=K-123456 HTTP/1.1"),
        "{requests:#?}"
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.starts_with("GET /api/") || r.starts_with("GET /ws")),
        "nothing drops the prefix: {requests:#?}"
    );
    let summary = read_summary(&out_dir);
    assert_eq!(summary.metrics.total_errors(), 0);
}
