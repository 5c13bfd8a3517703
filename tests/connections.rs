//! What a user owns, seen from the server: with `load.connections: per_user` every
//! user opens its own HTTP connection, with `shared` the users' requests reuse one
//! pool. The reference server's `http_connections_open` gauge, scraped during the run
//! by the scenario's `monitor:`, counts them.

mod common;
use common::*;

const USERS: usize = 30;

fn scenario(connections: &str) -> String {
    format!(
        "name: owned
load:
  connections: {connections}
  stages:
    - {{ users: {USERS}, over: 2s }}
    - {{ name: hold, users: {USERS}, over: 3s }}
monitor:
  interval: 250ms
  series:
    - name: open_connections
      gauge: http_connections_open
budgets:
  - \"max(open_connections) < 100000\"
flows:
  - name: f
    think: 500ms
    steps:
      - http: {{ name: health, path: /health }}
"
    )
}

/// The most connections the server held at once during a run with `connections`.
fn peak_connections(server: &ServerProcess, connections: &str) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let (_scenario_dir, file) = scenario_file(&scenario(connections));
    let output = run_against(&file, &server.url, &out);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let summary = read_summary(&out);
    assert!(summary.metrics.steps["health"].count > 60);
    let recorded = serde_json::to_value(summary.settings.connections).unwrap();
    assert_eq!(recorded, connections, "summary.json says which mode ran");
    summary
        .judgement
        .verdicts
        .iter()
        .find(|v| v.rule.starts_with("max(open_connections)"))
        .and_then(|v| v.measured)
        .expect("the gauge was scraped")
}

#[test]
fn per_user_users_open_their_own_connections_and_shared_users_reuse_a_pool() {
    let _serial = one_heavy_run_at_a_time();
    // A fresh server for each, so no connection outlives its run into the other's.
    let own = peak_connections(&ServerProcess::start(&[]), "per_user");
    let shared = peak_connections(&ServerProcess::start(&[]), "shared");
    eprintln!("peak connections held: per_user {own}, shared {shared}");
    // Every user's own connection (the scraper holds one more).
    assert!(own >= USERS as f64, "per_user: {own}");
    // 30 users, each sending every 500 ms a request that takes a millisecond or so:
    // a few requests are in flight at once, and the pool holds about that many.
    assert!(shared <= own / 2.0, "shared: {shared}, per_user: {own}");
}
