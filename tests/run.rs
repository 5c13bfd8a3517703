//! `loadgate run` end to end against the reference server over real loopback sockets:
//! in-process and as a separate process, with wrong expectations, a target that dies
//! mid-run, exact request counts against the server's /metrics, an unreachable target
//! and Ctrl-C.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A small two-flow scenario touching every REST route and the WebSocket protocol.
fn small_scenario(extra_top: &str, list_bots_expect: &str) -> String {
    format!(
        r#"name: small
{extra_top}
timeout: 5s
load:
  stages:
    - {{ users: 4, over: 1s }}
    - {{ users: 4, over: 2s }}
    - {{ users: 0, over: 1s }}
flows:
  - name: rest
    weight: 1
    think: 50ms..100ms
    setup:
      - http: {{ name: login, method: POST, path: /api/auth/login,
                json: {{ username: "t-${{user}}", password: demo }}, expect: {{ status: 200 }},
                extract: {{ token: /token }} }}
      - http: {{ name: create-conversation, method: POST, path: /api/conversations,
                headers: {{ Authorization: "Bearer ${{token}}" }}, json: {{ bot_id: 1 }},
                expect: {{ status: 201 }}, extract: {{ conv: /id }} }}
    steps:
      - http: {{ name: list-bots, path: /api/bots, headers: {{ Authorization: "Bearer ${{token}}" }},
                expect: {list_bots_expect} }}
      - http: {{ name: send-message, method: POST, path: "/api/conversations/${{conv}}/messages",
                headers: {{ Authorization: "Bearer ${{token}}" }}, json: {{ text: hi }},
                expect: {{ status: 201, json: {{ /reply/role: bot }} }} }}
      - http: {{ name: read-history, path: "/api/conversations/${{conv}}/messages",
                query: {{ limit: "5" }}, headers: {{ Authorization: "Bearer ${{token}}" }} }}
  - name: ws
    weight: 1
    think: 50ms..100ms
    setup:
      - http: {{ name: login, method: POST, path: /api/auth/login,
                json: {{ username: "w-${{user}}", password: demo }}, extract: {{ token: /token }} }}
      - http: {{ name: create-conversation, method: POST, path: /api/conversations,
                headers: {{ Authorization: "Bearer ${{token}}" }}, json: {{ bot_id: 2 }},
                extract: {{ conv: /id }} }}
      - ws_connect: {{ name: ws-connect, path: "/ws?token=${{token}}" }}
    steps:
      - ws_send: {{ name: ws-send, json: {{ type: message, id: "m${{user}}", conversation_id: "${{conv}}", text: hello }} }}
      - ws_receive: {{ name: ws-ack, until: {{ pointer: /type, equals: ack }} }}
      - ws_receive: {{ name: ws-reply, first: ws-first-token, until: {{ pointer: /type, equals: done }} }}
      - ws_send: {{ name: ws-ping-send, json: {{ type: ping, t: 7 }} }}
      - ws_receive: {{ name: ws-ping, until: {{ pointer: /type, equals: pong }} }}
"#
    )
}

fn run_to(args: &[&str], out: &std::path::Path) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--out", out.to_str().unwrap()]);
    run_loadgate(&all)
}

/// Runs a shipped scenario at a small time scale and checks what any healthy run shows:
/// every step ran, the exit code agrees with the verdicts, the generator watched itself
/// and the built-in `load delivered` check was judged, and (but under stress and the
/// rate ramp, which exist to find where things break) nothing failed. The time scale
/// shortens stages, not the open model's rates or the launch of its `max_users` (100
/// a second): rate.yaml still takes about 25 s. The hour-long soak runs at a tenth of
/// that scale (18 s), and must have watched the server's memory throughout.
fn check_shipped_scenario(name: &str, target: Option<&str>) {
    let _serial = one_heavy_run_at_a_time();
    let out_dir = tempfile::tempdir().unwrap();
    let file = format!("scenarios/{name}.yaml");
    let scale = if name == "soak" { "0.005" } else { "0.05" };
    let mut args = vec![
        "run",
        file.as_str(),
        "--time-scale",
        scale,
        "--out",
        out_dir.path().to_str().unwrap(),
    ];
    if let Some(url) = target {
        args.extend(["--target", url]);
    }
    let out = run_loadgate(&args);
    let summary = read_summary(out_dir.path());
    assert_eq!(summary.settings.embedded_target, target.is_none(), "{name}");
    assert_eq!(
        out.status.code(),
        Some(loadgate::run::exit_for(&summary) as i32),
        "{name}: exit code must follow the verdicts\n{}",
        text(&out)
    );
    assert!(
        !summary.judgement.verdicts.is_empty(),
        "{name} is judged against slo.yaml"
    );
    for step in &summary.step_order {
        let metrics = &summary.metrics.steps[step];
        assert!(
            metrics.count > 0,
            "{name}: step {step} never ran\n{}",
            text(&out)
        );
        if !matches!(name, "stress" | "rate") {
            assert_eq!(
                metrics.errors, 0,
                "{name}: step {step} failed: {:?}",
                metrics.failures
            );
        }
    }
    let generator = summary
        .metrics
        .generator
        .as_ref()
        .unwrap_or_else(|| panic!("{name}: the generator's figures are kept"));
    assert_eq!(
        generator.stages.len(),
        summary.metrics.stages.len(),
        "{name}"
    );
    assert!(generator.run.timer_lag.count() > 0, "{name}: the probe ran");
    assert!(
        summary
            .judgement
            .verdicts
            .iter()
            .any(|v| v.rule == "load delivered"),
        "{name}: the built-in check is judged"
    );
    if name == "rate" {
        assert!(
            summary.metrics.stages.iter().all(|s| s.arrivals.is_some()),
            "rate.yaml is an open model"
        );
        assert!(
            generator.run.slot_lateness.is_some(),
            "slot lateness is kept"
        );
    }
    if name == "soak" {
        let server = summary
            .metrics
            .server
            .as_ref()
            .expect("soak watches the server");
        let memory = server.series_named("server_memory").expect("server_memory");
        assert!(memory.points.len() >= 10, "{server:?}");
        assert_eq!(server.failed, 0, "{server:?}");
        assert!(
            summary
                .judgement
                .verdicts
                .iter()
                .any(|v| v.rule == "server_memory_growth < 5%/h" && v.measured.is_some()),
            "the growth is fitted: {:?}",
            summary.judgement.verdicts
        );
    }
    if name == "stress" {
        assert!(
            summary.judgement.capacity.is_some(),
            "stress states the capacity"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Capacity:"),
            "{}",
            text(&out)
        );
    }
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("run files:"),
        "{}",
        text(&out)
    );
}

#[test]
fn shipped_scenarios_run_against_the_in_process_server() {
    for name in ["normal", "spike", "stress", "rate"] {
        check_shipped_scenario(name, None);
    }
}

#[test]
fn shipped_scenarios_run_against_a_separate_server_process() {
    let server = ServerProcess::start(&[]);
    for name in ["normal", "spike", "stress", "soak"] {
        check_shipped_scenario(name, Some(&server.url));
    }
}

#[test]
fn a_wrong_expectation_fails_exactly_those_steps_with_that_reason() {
    let (dir, path) = scenario_file(&small_scenario("", "{ status: 201 }"));
    let out_dir = dir.path().join("out");
    let out = run_to(&["run", path.to_str().unwrap()], &out_dir);
    let summary = read_summary(&out_dir);
    let list_bots = &summary.metrics.steps["list-bots"];
    assert!(list_bots.count > 0, "{}", text(&out));
    assert_eq!(
        list_bots.errors, list_bots.count,
        "every list-bots attempt fails"
    );
    let failure = &list_bots.failures["expectation failed: status"];
    assert_eq!(failure.count, list_bots.count);
    assert_eq!(failure.example, "expected status 201, got 200");
    for (name, step) in &summary.metrics.steps {
        if name != "list-bots" {
            assert_eq!(step.errors, 0, "{name} should pass: {:?}", step.failures);
        }
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("list-bots: expectation failed: status"),
        "{}",
        text(&out)
    );
}

#[test]
fn every_websocket_measure_is_recorded() {
    let (dir, path) = scenario_file(&small_scenario("", "{ status: 200 }"));
    let out_dir = dir.path().join("out");
    let out = run_to(&["run", path.to_str().unwrap()], &out_dir);
    let summary = read_summary(&out_dir);
    for step in [
        "ws-connect",
        "ws-send",
        "ws-ack",
        "ws-reply",
        "ws-first-token",
        "ws-ping",
    ] {
        let m = summary
            .metrics
            .steps
            .get(step)
            .unwrap_or_else(|| panic!("{step} missing\n{}", text(&out)));
        assert!(m.count > 0 && m.errors == 0, "{step}: {m:?}");
    }
    let reply = &summary.metrics.steps["ws-reply"];
    let first = &summary.metrics.steps["ws-first-token"];
    assert!(
        reply.frames >= 2 * reply.count,
        "a reply streams several token frames then done"
    );
    assert!(
        first.latency.percentile(50.0) <= reply.latency.percentile(50.0),
        "first token comes before the whole reply"
    );
    assert!(summary.metrics.peak_ws_connections >= 1);
}

/// Parses `http_requests_total{method="GET",route="/api/bots",status="200"} 12` lines.
fn server_counts(metrics: &str) -> BTreeMap<(String, String), u64> {
    let mut counts = BTreeMap::new();
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
    {
        let (labels, value) = line.rsplit_once(' ').unwrap();
        let label = |key: &str| {
            let start = labels.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
            labels[start..].split('"').next().unwrap().to_string()
        };
        *counts.entry((label("method"), label("route"))).or_default() +=
            value.parse::<u64>().unwrap();
    }
    counts
}

#[test]
fn request_counts_equal_what_the_server_counted() {
    let server = ServerProcess::start(&[]);
    let (dir, path) = scenario_file(&small_scenario("", "{ status: 200 }"));
    let out_dir = dir.path().join("out");
    let out = run_to(
        &["run", path.to_str().unwrap(), "--target", &server.url],
        &out_dir,
    );
    let summary = read_summary(&out_dir);
    let metrics = reqwest::blocking::get(format!("{}/metrics", server.url))
        .unwrap()
        .text()
        .unwrap();
    let counted = server_counts(&metrics);
    let ours = |step: &str| {
        summary
            .metrics
            .steps
            .get(step)
            .map(|s| s.count)
            .unwrap_or(0)
    };
    let theirs = |method: &str, route: &str| {
        counted
            .get(&(method.to_string(), route.to_string()))
            .copied()
            .unwrap_or(0)
    };
    assert!(ours("list-bots") > 0, "{}", text(&out));
    assert_eq!(ours("login"), theirs("POST", "/api/auth/login"));
    assert_eq!(
        ours("create-conversation"),
        theirs("POST", "/api/conversations")
    );
    assert_eq!(ours("list-bots"), theirs("GET", "/api/bots"));
    assert_eq!(
        ours("send-message"),
        theirs("POST", "/api/conversations/{id}/messages")
    );
    assert_eq!(
        ours("read-history"),
        theirs("GET", "/api/conversations/{id}/messages")
    );
    assert_eq!(ours("ws-connect"), theirs("GET", "/ws"));
}

#[test]
fn a_target_that_dies_mid_run_is_counted_as_failures_not_a_crash() {
    let mut server = ServerProcess::start(&[]);
    let scenario = small_scenario("", "{ status: 200 }").replace("over: 2s", "over: 4s");
    let (dir, path) = scenario_file(&scenario);
    let out_dir = dir.path().join("out");
    let child = spawn_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &server.url,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    std::thread::sleep(Duration::from_millis(2500));
    server.kill();
    let out = finish_within(child, RUN_DEADLINE);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        text(&out)
    );
    let summary = read_summary(&out_dir);
    let failures: BTreeMap<String, u64> = summary
        .metrics
        .steps
        .values()
        .flat_map(|s| s.failures.iter().map(|(k, v)| (k.clone(), v.count)))
        .fold(BTreeMap::new(), |mut acc, (k, v)| {
            *acc.entry(k).or_default() += v;
            acc
        });
    let connection_failures: u64 = [
        "connection refused",
        "connection reset",
        "connection closed",
        "websocket closed early",
        "transport error",
    ]
    .iter()
    .filter_map(|k| failures.get(*k))
    .sum();
    assert!(
        connection_failures > 0,
        "failures by kind: {failures:?}\n{}",
        text(&out)
    );
    assert_eq!(
        summary.metrics.total_errors(),
        failures.values().sum::<u64>()
    );
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        text(&out)
    );
}

#[test]
fn an_unreachable_target_is_exit_3_within_5_seconds_and_runs_nothing() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let started = Instant::now();
    let target = format!("http://127.0.0.1:{port}");
    let out = run_to(
        &["run", "scenarios/normal.yaml", "--target", &target],
        &out_dir,
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not be reached") && stderr.contains(&target),
        "{stderr}"
    );
    assert!(
        !out_dir.exists(),
        "nothing written for a run that never started"
    );
}

#[test]
fn ctrl_c_keeps_what_was_measured_and_exits_130() {
    let scenario = small_scenario("", "{ status: 200 }").replace("over: 2s", "over: 30s");
    let (dir, path) = scenario_file(&scenario);
    let out_dir = dir.path().join("out");
    let child = spawn_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    std::thread::sleep(Duration::from_secs(3));
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = finish_within(child, RUN_DEADLINE);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "stops promptly, not at the plan's end"
    );
    let summary = read_summary(&out_dir);
    assert!(summary.interrupted);
    assert!(summary.metrics.total_count() > 0);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("interrupted"),
        "{}",
        text(&out)
    );
}
