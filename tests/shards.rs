//! Split runs end to end: one scenario as 3 shard processes (`run --shard I/3`) against
//! one target-server process, then `loadgate merge`. The merged counts equal the sum of
//! the shards and what the server counted on `/metrics`; merged percentiles are those of
//! the summed histograms; budgets are judged on the whole (a shard never fails on them);
//! `${user}` numbers never collide across shards; the open model's arrivals partition
//! exactly; a missing, duplicated or mismatched shard is refused with exit 2.

mod common;

use common::*;
use loadgate::metrics::LatencyHistogram;
use loadgate::summary::RunSummary;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Six users (three per flow): each of the 3 shards runs one REST and one WebSocket
/// user. `ws_connections >= 3` holds only for the whole run.
const SCENARIO: &str = r#"name: split
timeout: 5s
budgets: ["error_rate < 1%", "ws_connections >= 3", "p95 < 2s for http"]
load:
  stages:
    - { users: 6, over: 1s }
    - { name: hold, users: 6, over: 3s }
    - { users: 0, over: 1s }
flows:
  - name: rest
    think: 50ms..100ms
    setup:
      - http: { name: login, method: POST, path: /api/auth/login,
                json: { username: "r-${user}", password: demo }, expect: { status: 200 },
                extract: { token: /token } }
      - http: { name: create-conversation, method: POST, path: /api/conversations,
                headers: { Authorization: "Bearer ${token}" }, json: { bot_id: 1 },
                expect: { status: 201 }, extract: { conv: /id } }
    steps:
      - http: { name: list-bots, path: /api/bots, headers: { Authorization: "Bearer ${token}" } }
      - http: { name: send-message, method: POST, path: "/api/conversations/${conv}/messages",
                headers: { Authorization: "Bearer ${token}" }, json: { text: hi },
                expect: { status: 201 } }
  - name: ws
    think: 50ms..100ms
    setup:
      - http: { name: login, method: POST, path: /api/auth/login,
                json: { username: "w-${user}", password: demo }, expect: { status: 200 },
                extract: { token: /token } }
      - ws_connect: { name: ws-connect, path: "/ws?token=${token}" }
    steps:
      - ws_send: { name: ws-send-ping, json: { type: ping, t: 1 } }
      - ws_receive: { name: ws-ping, until: { pointer: /type, equals: pong } }
"#;

/// Runs `loadgate run SCENARIO --shard I/N` for every I at once, each into `out/shard-I`.
fn run_shards(scenario: &Path, target: &str, out: &Path, count: usize) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = (1..=count)
        .map(|i| out.join(format!("shard-{i}")))
        .collect();
    let children: Vec<_> = folders
        .iter()
        .enumerate()
        .map(|(i, folder)| {
            let shard = format!("{}/{count}", i + 1);
            spawn_loadgate(&[
                "run",
                scenario.to_str().unwrap(),
                "--target",
                target,
                "--shard",
                &shard,
                "--out",
                folder.to_str().unwrap(),
            ])
        })
        .collect();
    for child in children {
        let out = finish_within(child, RUN_DEADLINE);
        assert_eq!(
            out.status.code(),
            Some(0),
            "a shard exits 0 whatever its budgets: {}",
            text(&out)
        );
    }
    folders
}

fn merge(folders: &[&Path], out: &Path) -> Output {
    let mut args = vec!["merge"];
    args.extend(folders.iter().map(|f| f.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    run_loadgate(&args)
}

/// `http_requests_total` per (method, route) from the server's `/metrics`.
fn server_counts(url: &str) -> BTreeMap<(String, String), u64> {
    let metrics = reqwest::blocking::get(format!("{url}/metrics"))
        .unwrap()
        .text()
        .unwrap();
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
fn three_shards_merge_into_exactly_the_whole_run() {
    let _heavy = one_heavy_run_at_a_time();
    let server = ServerProcess::start(&[]);
    let (dir, path) = scenario_file(SCENARIO);
    let folders = run_shards(&path, &server.url, dir.path(), 3);
    let shards: Vec<RunSummary> = folders.iter().map(|f| read_summary(f)).collect();
    for (i, shard) in shards.iter().enumerate() {
        let record = shard.shard.as_ref().expect("a shard records its identity");
        assert_eq!((record.index, record.count), (i + 1, 3));
        assert_eq!(record.plan.stages[1].users, 6, "the whole plan");
        assert_eq!(shard.settings.stages[1].users, 2, "its share");
        assert_eq!(record.budgets.len(), 3);
        assert_eq!(shard.metrics.peak_ws_connections, 1);
        let ws = shard
            .judgement
            .verdicts
            .iter()
            .find(|v| v.measure == "ws_connections")
            .unwrap();
        assert!(!ws.passed, "one shard alone holds 1 WebSocket, not 3");
    }
    let merged_dir = dir.path().join("merged");
    let out = merge(&[&folders[2], &folders[0], &folders[1]], &merged_dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("merged 3 shards"), "{}", text(&out));
    for file in [
        "summary.json",
        "report.html",
        "summary.md",
        "junit.xml",
        "latency-over-time.png",
    ] {
        assert!(merged_dir.join(file).is_file(), "{file}");
    }
    let html = std::fs::read_to_string(merged_dir.join("report.html")).unwrap();
    assert!(html.contains("merged from 3 shards"));
    let html = std::fs::read_to_string(folders[1].join("report.html")).unwrap();
    assert!(html.contains("shard 2 of 3"));
    let merged = read_summary(&merged_dir);
    assert!(merged.judgement.passed(), "{:?}", merged.judgement.verdicts);
    assert_eq!(merged.metrics.peak_ws_connections, 3);
    let record = merged.merged.as_ref().expect("merged runs say so");
    let indices: Vec<usize> = record.shards.iter().map(|s| s.index).collect();
    assert_eq!(indices, [1, 2, 3]);
    assert_eq!(merged.settings.stages[1].users, 6);

    // Counts: merged = sum of shards = what the server counted.
    let counted = server_counts(&server.url);
    let theirs = |method: &str, route: &str| {
        counted
            .get(&(method.to_string(), route.to_string()))
            .copied()
            .unwrap_or(0)
    };
    for (step, method, route) in [
        ("login", "POST", "/api/auth/login"),
        ("create-conversation", "POST", "/api/conversations"),
        ("list-bots", "GET", "/api/bots"),
        ("send-message", "POST", "/api/conversations/{id}/messages"),
        ("ws-connect", "GET", "/ws"),
    ] {
        let sum: u64 = shards.iter().map(|s| s.metrics.steps[step].count).sum();
        assert_eq!(merged.metrics.steps[step].count, sum, "{step}");
        assert_eq!(sum, theirs(method, route), "{step} against /metrics");
    }
    assert_eq!(merged.metrics.steps["login"].count, 6);
    let seconds = |s: &RunSummary| s.metrics.series.iter().map(|x| x.requests).sum::<u64>();
    assert_eq!(
        seconds(&merged),
        shards.iter().map(seconds).sum::<u64>(),
        "the per-second series add up too"
    );
    assert_eq!(
        merged.metrics.total_count(),
        shards.iter().map(|s| s.metrics.total_count()).sum::<u64>()
    );

    // Percentiles: those of the shards' histograms added up.
    for (step, metrics) in &merged.metrics.steps {
        let mut sum = LatencyHistogram::default();
        for shard in &shards {
            if let Some(theirs) = shard.metrics.steps.get(step) {
                sum.merge(&theirs.latency);
            }
        }
        assert_eq!(metrics.latency.count(), sum.count(), "{step}");
        for p in [50.0, 95.0, 99.0, 100.0] {
            assert_eq!(
                metrics.latency.percentile(p),
                sum.percentile(p),
                "{step} p{p}"
            );
        }
    }
    let mut http = LatencyHistogram::default();
    for shard in &shards {
        for step in shard
            .metrics
            .steps
            .values()
            .filter(|s| !s.kind.is_websocket())
        {
            http.merge(&step.latency);
        }
    }
    let p95 = merged
        .judgement
        .verdicts
        .iter()
        .find(|v| v.measure == "p95")
        .unwrap();
    assert_eq!(p95.measured, Some(http.percentile(95.0) as f64));

    // `loadgate report` re-renders the merged folder like any other.
    let out = run_loadgate(&["report", merged_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // A shard missing, given twice or from another run: exit 2, nothing written.
    let refused = dir.path().join("refused");
    let out = merge(&[&folders[0], &folders[2]], &refused);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("shard 2/3 is missing"),
        "{}",
        text(&out)
    );
    let out = merge(&[&folders[0], &folders[1], &folders[1]], &refused);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("are both shard 2/3"),
        "{}",
        text(&out)
    );
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folders[1].join("summary.json")).unwrap())
            .unwrap();
    summary["shard"]["scenario_sha256"] = "0".repeat(64).into();
    summary["shard"]["plan"]["time_scale"] = 0.5.into();
    std::fs::write(other.join("summary.json"), summary.to_string()).unwrap();
    let out = merge(&[&folders[0], &other, &folders[2]], &refused);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("other (shard 2/3): ran a different scenario")
            && stderr.contains("--time-scale 0.5 against 1"),
        "{}",
        text(&out)
    );
    let out = merge(&[&folders[0], &merged_dir, &folders[2]], &refused);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a shard's run"),
        "{}",
        text(&out)
    );
    let out = merge(&[&folders[0], &folders[1], &folders[2]], &folders[1]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("that is shard 2's folder"),
        "{}",
        text(&out)
    );
    assert!(!refused.exists(), "a refused merge writes nothing");
}

#[test]
fn user_numbers_never_collide_across_shards() {
    // A server that notes every `${user}` a login sends.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let notes = seen.clone();
    let app = axum::Router::new().route(
        "/login/{user}",
        axum::routing::get(
            move |axum::extract::Path(user): axum::extract::Path<String>| {
                let notes = notes.clone();
                async move {
                    notes.lock().unwrap().push(user);
                    "ok"
                }
            },
        ),
    );
    let (url, _server) = serve_on_loopback(app);
    // 5 users, down to 2, up to 5 again: 8 users launched in all, over 3 shards.
    let (dir, path) = scenario_file(
        r#"name: numbers
load:
  stages:
    - { users: 5, over: 1s }
    - { users: 2, over: 1s }
    - { users: 5, over: 1s }
    - { users: 0, over: 1s }
flows:
  - name: f
    think: 50ms
    setup:
      - http: { name: login, path: "/login/${user}" }
    steps:
      - http: { name: idle, path: "/login/step" }
"#,
    );
    run_shards(&path, &url, dir.path(), 3);
    let mut numbers: Vec<u64> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|user| user.parse().ok())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=8).collect::<Vec<u64>>(), "each number once");
}

#[test]
fn open_model_shards_run_every_slot_of_the_whole_plan_once() {
    let _heavy = one_heavy_run_at_a_time();
    let server = ServerProcess::start(&[]);
    let (dir, path) = scenario_file(
        r#"name: open-split
budgets: ["error_rate < 1%"]
load:
  max_users: 6
  stages:
    - { rate: 30/s, over: 0s }
    - { name: hold, rate: 30/s, over: 2s }
flows:
  - name: f
    steps:
      - http: { name: health, path: /health }
"#,
    );
    let folders = run_shards(&path, &server.url, dir.path(), 3);
    let merged_dir = dir.path().join("merged");
    let refs: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
    let out = merge(&refs, &merged_dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let accounted = |s: &RunSummary| -> u64 {
        s.metrics
            .stages
            .iter()
            .filter_map(|stage| stage.arrivals.as_ref())
            .map(|a| a.started + a.dropped)
            .sum()
    };
    for folder in &folders {
        let shard = read_summary(folder);
        assert_eq!(accounted(&shard), 20, "every third of the 60 slots");
        let hold = shard.metrics.stages[1].arrivals.as_ref().unwrap();
        assert_eq!((hold.end_rate, hold.planned), (10.0, 20.0), "its share");
    }
    let merged = read_summary(&merged_dir);
    assert_eq!(accounted(&merged), 60);
    let hold = merged.metrics.stages[1].arrivals.as_ref().unwrap();
    assert_eq!((hold.end_rate, hold.planned), (30.0, 60.0));
    assert_eq!(
        merged.metrics.steps["health"].count,
        merged
            .metrics
            .stages
            .iter()
            .filter_map(|s| s.arrivals.as_ref())
            .map(|a| a.started)
            .sum::<u64>()
    );
}
