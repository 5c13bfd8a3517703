//! Tests of the `monitor:` block: what it reads into, and every problem placed at its
//! file, line, column and field.

use super::diagnostic::Diagnostics;
use super::monitor::*;
use super::parse::parse_scenario;
use super::Scenario;
use std::path::Path;
use std::time::Duration;

const HEAD: &str = "name: watched
load:
  stages:
    - { users: 1, over: 1s }
flows:
  - name: f
    steps:
      - http: { path: / }
";

fn parse(monitor: &str) -> Result<Scenario, Diagnostics> {
    parse_scenario(
        Path::new("watched.yaml"),
        &format!("{HEAD}{monitor}"),
        &|_| None,
    )
}

/// Every problem as `line:column field: message`.
fn problems(monitor: &str) -> Vec<String> {
    parse(monitor).unwrap_err().lines()
}

#[test]
fn a_scenario_without_the_block_has_no_monitor() {
    assert_eq!(parse("").unwrap().monitor, None);
}

#[test]
fn the_block_reads_into_series_with_the_built_in_ones_first() {
    let s = parse(
        "monitor:
  url: http://127.0.0.1:9100/metrics
  interval: 500ms
  cores: 2
  series:
    - name: cache_hit_rate
      ratio: { of: bot_cache_hits_total, over: [bot_cache_hits_total, bot_cache_misses_total] }
    - name: api_5xx
      rate: { metric: http_requests_total, labels: { route: /api/bots, status: { matches: \"5..\" }, method: { not: HEAD } } }
    - name: open
      gauge: http_connections_open
",
    )
    .unwrap();
    let m = s.monitor.unwrap();
    assert_eq!(
        m.url,
        MetricsUrl::Absolute("http://127.0.0.1:9100/metrics".into())
    );
    assert_eq!(m.interval, Duration::from_millis(500));
    assert_eq!(
        m.timeout,
        Duration::from_millis(500),
        "the interval by default"
    );
    assert_eq!(m.cores, 2.0);
    let names: Vec<&str> = m.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "server_memory",
            "server_cpu",
            "cache_hit_rate",
            "api_5xx",
            "open"
        ]
    );
    let hit = m.series_named("cache_hit_rate").unwrap();
    assert_eq!(
        hit.source.describe(),
        "increase of bot_cache_hits_total over increase of bot_cache_hits_total + bot_cache_misses_total"
    );
    assert_eq!(hit.position.unwrap().line, 14);
    let api = m.series_named("api_5xx").unwrap();
    assert_eq!(
        api.source.describe(),
        "rate of http_requests_total{route=\"/api/bots\",status=~\"5..\",method!=\"HEAD\"}"
    );
}

#[test]
fn defaults_and_replacing_a_built_in_series() {
    let m = parse("monitor: {}\n").unwrap().monitor.unwrap();
    assert_eq!(m, Monitor::default());
    assert_eq!(m.url, MetricsUrl::Path("/metrics".into()));
    let m = parse(
        "monitor:\n  series:\n    - { name: server_memory, gauge: { metric: container_memory_working_set_bytes, labels: { container: api } } }\n",
    )
    .unwrap()
    .monitor
    .unwrap();
    let names: Vec<&str> = m.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["server_cpu", "server_memory"]);
    assert!(m.series[1].source.describe().contains("container_memory"));
}

#[test]
fn every_problem_names_its_line_column_and_field() {
    let found = problems(
        "monitor:
  url: ftp://host/metrics
  interval: 10ms
  cores: 0
  series:
    - name: Cache-Rate
      gauge: x
    - name: p95
      rate: up
    - name: both
      gauge: a
      rate: b
    - name: bad_metric
      gauge: 9lives
    - name: bad_regex
      rate: { metric: a, labels: { s: { matches: \"(\" } } }
    - name: again
      gauge: a
    - name: again
      gauge: b
    - name: none
",
    );
    let expected = [
        "10:8 monitor.url: must start with `/`",
        "11:13 monitor.interval: must be from 100ms to 1m",
        "12:10 monitor.cores: expected a number of cores above 0",
        "14:13 monitor.series[0].name: `Cache-Rate` cannot name a series",
        "16:13 monitor.series[1].name: `p95` is a budget measure already",
        "18:7 monitor.series[2]: a series has exactly one of `gauge`, `rate` or `ratio`",
        "22:14 monitor.series[3].gauge: `9lives` is not a Prometheus metric name",
        "24:50 monitor.series[4].rate.labels.s.matches: not a regular expression",
        "27:7 monitor.series: series `again` is named twice",
        "29:7 monitor.series[7]: a series has exactly one of `gauge`, `rate` or `ratio`",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (found, expected) in found.iter().zip(expected) {
        assert!(found.starts_with(expected), "{found}\nexpected {expected}");
    }
}

#[test]
fn the_timeout_fits_in_the_interval() {
    let found = problems("monitor:\n  interval: 1s\n  timeout: 2s\n");
    assert!(
        found[0].starts_with("11:12 monitor.timeout: must be at most `interval`"),
        "{found:?}"
    );
    let m = parse("monitor:\n  interval: 5s\n  timeout: 2s\n")
        .unwrap()
        .monitor
        .unwrap();
    assert_eq!(m.timeout, Duration::from_secs(2));
    let found = problems("monitor:\n  unknown: 1\n");
    assert!(found[0].contains("unknown key `unknown`"), "{found:?}");
}
