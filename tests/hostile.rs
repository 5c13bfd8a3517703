//! Hostile input: names and server error bodies carrying HTML and `<script>`, and a
//! scenario that sends secrets. No report file may run or contain the script unescaped,
//! and no report or log may contain the secrets.

mod common;
use common::*;

const SCRIPT: &str = "<script>alert(1)</script>";

/// A real server on loopback whose answers are hostile: HTML and script in error bodies.
fn start_hostile_server() -> (String, std::thread::JoinHandle<()>) {
    use axum::http::StatusCode;
    serve_on_loopback(
        axum::Router::new()
            .route("/", axum::routing::get(|| async { "ok" }))
            .route(
                "/boom",
                axum::routing::get(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "<script>alert(1)</script><img src=x onerror=alert(2)>",
                    )
                }),
            )
            .route(
                "/json",
                axum::routing::get(|| async { "<html><script>alert(3)</script>" }),
            ),
    )
}

#[test]
fn hostile_names_and_error_bodies_are_escaped_everywhere() {
    let (url, _server) = start_hostile_server();
    let scenario = format!(
        r#"name: hostile
description: "{SCRIPT} & 'quotes' | pipes"
budgets:
  - "p95 < 1s for {SCRIPT}"
  - error_rate < 1%
load:
  stages:
    - {{ users: 2, over: 2s }}
flows:
  - name: "{SCRIPT}"
    think: 50ms
    steps:
      - http: {{ name: "{SCRIPT}", path: /boom }}
      - http: {{ name: "json <b>bold</b> | pipe", path: /json, extract: {{ x: /x }} }}
"#
    );
    let (dir, path) = scenario_file(&scenario);
    let out_dir = dir.path().join("out");
    let out = run_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &url,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "budgets fail against the hostile server\n{}",
        text(&out)
    );
    let summary = read_summary(&out_dir);
    let boom = &summary.metrics.steps[SCRIPT];
    assert!(
        boom.failures["http 500"].example.contains("<script>"),
        "the raw body is kept in the data"
    );

    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        !html.to_lowercase().contains("<script"),
        "report.html must not contain a script tag"
    );
    assert!(!html.contains("<img src=x"), "no injected image tag");
    assert!(!html.contains("<b>bold</b>"), "no injected markup");
    assert!(
        html.contains("&#60;script&#62;alert(1)"),
        "the names are shown, escaped"
    );
    let markdown = std::fs::read_to_string(out_dir.join("summary.md")).unwrap();
    assert!(!markdown.to_lowercase().contains("<script"), "{markdown}");
    let junit = std::fs::read_to_string(out_dir.join("junit.xml")).unwrap();
    assert!(!junit.contains(SCRIPT), "junit.xml escapes the rule text");
    let mut reader = quick_xml::Reader::from_str(&junit);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("junit.xml is not well-formed XML: {e}\n{junit}"),
        }
    }
}

#[test]
fn secrets_never_reach_reports_or_logs() {
    let secret_token = "sk-TOPSECRET-token-4242";
    let secret_password = "TOPSECRET-hunter2";
    let scenario = r#"name: secrets
budgets:
  - error_rate <= 100%
load:
  stages:
    - { users: 2, over: 2s }
flows:
  - name: f
    think: 50ms
    setup:
      - http: { name: login, method: POST, path: /api/auth/login,
                json: { username: "u${user}", password: "${env.LG_TEST_PASSWORD}" } }
    steps:
      - http: { name: bots, path: /api/bots, headers: { Authorization: "Bearer ${env.LG_TEST_TOKEN}" } }
      - ws_connect: { name: ws, path: "/ws?token=${env.LG_TEST_TOKEN}", headers: { Authorization: "Bearer ${env.LG_TEST_TOKEN}" } }
"#;
    let (dir, path) = scenario_file(scenario);
    let out_dir = dir.path().join("out");
    let child = loadgate()
        .args([
            "run",
            path.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .env("LG_TEST_PASSWORD", secret_password)
        .env("LG_TEST_TOKEN", secret_token)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish_within(child, RUN_DEADLINE);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let summary = read_summary(&out_dir);
    assert!(
        summary.metrics.steps["login"]
            .failures
            .contains_key("http 401"),
        "wrong password is refused"
    );
    let logs = text(&out);
    for secret in [secret_token, secret_password, "TOPSECRET"] {
        assert!(!logs.contains(secret), "stdout/stderr leak {secret}");
        for entry in std::fs::read_dir(&out_dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(secret), "{} leaks {secret}", path.display());
        }
    }
}
