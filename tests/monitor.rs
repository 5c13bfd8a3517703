//! Watching the target while loading it, end to end over loopback: server budgets on
//! the reference server's Prometheus metrics (memory, the growth the leak switch
//! causes, the bot cache's hit rate), targets whose `/metrics` is missing or
//! malformed, and `monitor:` blocks that do not validate.

mod common;
use common::*;
use loadgate::summary::RunSummary;
use std::path::Path;

/// A short run of the bot list: login once, then `GET /api/bots` in a loop; a
/// 2-second ramp, then a hold of `hold` seconds.
fn scenario(users: usize, hold: u32, monitor: &str, budgets: &[&str]) -> String {
    let budgets: String = budgets.iter().map(|b| format!("  - \"{b}\"\n")).collect();
    format!(
        "name: watched
load:
  stages:
    - {{ users: {users}, over: 2s }}
    - {{ name: hold, users: {users}, over: {hold}s }}
{monitor}budgets:
{budgets}flows:
  - name: bots
    think: 10ms
    setup:
      - http: {{ name: login, method: POST, path: /api/auth/login,
                json: {{ username: \"u${{user}}\", password: demo }}, extract: {{ token: /token }} }}
    steps:
      - http: {{ name: list-bots, path: /api/bots, headers: {{ Authorization: \"Bearer ${{token}}\" }} }}
"
    )
}

const HIT_RATE: &str = "monitor:
  series:
    - name: cache_hit_rate
      ratio: { of: bot_cache_hits_total, over: [bot_cache_hits_total, bot_cache_misses_total] }
";

/// The verdict of `rule`.
fn verdict<'a>(summary: &'a RunSummary, rule: &str) -> &'a loadgate::slo::Verdict {
    summary
        .judgement
        .verdicts
        .iter()
        .find(|v| v.rule == rule)
        .unwrap_or_else(|| panic!("no verdict for {rule}: {:#?}", summary.judgement.verdicts))
}

fn run(yaml: &str, target: &str, out: &Path) -> (std::process::Output, RunSummary) {
    let (_dir, file) = scenario_file(yaml);
    let output = run_against(&file, target, out);
    let summary = read_summary(out);
    (output, summary)
}

#[test]
fn memory_budgets_and_the_cache_hit_rate_are_judged_from_the_servers_metrics() {
    let server = ServerProcess::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let yaml = scenario(
        4,
        4,
        HIT_RATE,
        &[
            "server_memory < 1MB",
            "server_memory < 4GB",
            "cache_hit_rate > 80%",
            "min(cache_hit_rate) < 10%",
        ],
    );
    let (output, summary) = run(&yaml, &server.url, &out);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let small = verdict(&summary, "server_memory < 1MB");
    assert!(!small.passed, "{small:?}");
    let resident = small.measured.expect("memory was measured");
    assert!(
        resident > 1_048_576.0 && resident < 4.0 * 1_073_741_824.0,
        "{resident}"
    );
    assert!(verdict(&summary, "server_memory < 4GB").passed);
    // The bot list is cached for 5 s: nearly every read is a hit.
    let hits = verdict(&summary, "cache_hit_rate > 80%");
    assert!(hits.passed, "{hits:?}");
    assert!(hits.measured.unwrap() > 0.8 && hits.measured.unwrap() <= 1.0);
    assert!(!verdict(&summary, "min(cache_hit_rate) < 10%").passed);
    let server_metrics = summary.metrics.server.as_ref().expect("metrics.server");
    assert_eq!(server_metrics.failed, 0, "{server_metrics:?}");
    assert!(server_metrics.scrapes >= 4);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Server: http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("cache_hit_rate"), "{stdout}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("### Server"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"server\"") && html.contains("Server resources"));
    assert!(out.join("server-resources.png").is_file());

    // `loadgate report` re-renders the server chart and table from summary.json alone.
    std::fs::remove_file(out.join("server-resources.png")).unwrap();
    std::fs::remove_file(out.join("summary.md")).unwrap();
    let again = run_loadgate(&["report", out.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(out.join("server-resources.png").is_file());
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("cache\\_hit\\_rate"), "{md}");
}

#[test]
fn the_growth_budget_catches_the_leak_switch_and_passes_without_it() {
    let _serial = one_heavy_run_at_a_time();
    // Measured on this 2-core machine: a healthy server's fitted growth over an 8 s
    // hold stays within about 500 %/h (noise, extrapolated to an hour); 64 KB per
    // request at a few hundred requests a second is tens of thousands of %/h.
    let rule = "server_memory_growth < 2000%/h";
    let dir = tempfile::tempdir().unwrap();
    let mut measured = Vec::new();
    for (leak, passes) in [("0", true), ("64", false)] {
        let server = ServerProcess::start(&["--leak-kb-per-request", leak]);
        let out = dir.path().join(format!("leak-{leak}"));
        let (output, summary) = run(&scenario(4, 8, "", &[rule]), &server.url, &out);
        let growth = verdict(&summary, rule);
        assert_eq!(
            growth.passed,
            passes,
            "leak {leak}: {growth:?}\n{}",
            text(&output)
        );
        assert_eq!(output.status.code(), Some(if passes { 0 } else { 1 }));
        measured.push(growth.measured.expect("a growth was fitted"));
    }
    assert!(measured[1] > 5.0 * measured[0].max(1.0), "{measured:?}");
}

#[test]
fn a_target_whose_metrics_are_missing_or_malformed_still_gets_its_run_and_report() {
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/garbage",
            get(|| async { "<html><body>This is not Prometheus text</body></html>" }),
        );
    let (url, _server) = serve_on_loopback(app);
    let dir = tempfile::tempdir().unwrap();
    for (path, reason) in [("/metrics", "status 404"), ("/garbage", "no samples")] {
        let out = dir.path().join(path.trim_start_matches('/'));
        let yaml = format!(
            "name: rogue
load:
  stages:
    - {{ users: 1, over: 3s }}
monitor:
  url: {path}
  interval: 500ms
budgets:
  - \"server_memory < 1GB\"
  - \"error_rate < 1%\"
flows:
  - name: f
    think: 50ms
    steps:
      - http: {{ name: home, path: / }}
"
        );
        let (output, summary) = run(&yaml, &url, &out);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
        assert!(verdict(&summary, "error_rate < 1%").passed, "the load ran");
        assert!(summary.metrics.steps["home"].count > 5);
        let memory = verdict(&summary, "server_memory < 1GB");
        let why = memory.reason.as_deref().unwrap_or_default();
        assert!(
            !memory.passed
                && why.starts_with("server_memory was never scraped")
                && why.contains(reason),
            "{path}: {memory:?}"
        );
        let server = summary.metrics.server.as_ref().unwrap();
        assert!(server.scrapes >= 3, "{server:?}");
        assert_eq!(
            server.failed, server.scrapes,
            "every scrape is counted as failed"
        );
        assert_eq!(server.failures[reason].count, server.failed);
        for file in [
            "report.html",
            "summary.md",
            "junit.xml",
            "server-resources.png",
        ] {
            assert!(out.join(file).is_file(), "{path}: {file}");
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!("scrape failed: {reason}")),
            "{stdout}"
        );
    }
}

#[test]
fn a_bad_monitor_block_names_file_line_and_field() {
    let yaml = scenario(
        1,
        1,
        "monitor:\n  interval: 5ms\n  series:\n    - { name: hits, ratio: { of: \"bad name\", over: x } }\n",
        &["server_memory < 1GB", "hits > 2GB"],
    );
    let (_dir, file) = scenario_file(&yaml);
    let output = run_loadgate(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("scenario.yaml:7:13: monitor.interval: must be from 100ms to 1m"),
        "{stderr}"
    );
    assert!(
        stderr.contains("scenario.yaml:9:34: monitor.series[0].ratio.of: `bad name` is not a Prometheus metric name"),
        "{stderr}"
    );
    // A budget on a series of the wrong unit is refused where it is written.
    let yaml = scenario(1, 1, HIT_RATE, &["cache_hit_rate > 2GB"]);
    let (_dir, file) = scenario_file(&yaml);
    let output = run_loadgate(&["validate", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "scenario.yaml:11:5: budgets[0]: `cache_hit_rate > 2GB`: cache_hit_rate is a ratio"
        ),
        "{stderr}"
    );
}
