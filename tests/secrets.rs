//! Nothing leaks: secrets inside `--target` (user, password, query values) and every
//! credential a scenario sends or extracts stay out of stdout, stderr and every report
//! file, even when the server echoes the whole request back into a failure example.

mod common;
mod rogue;

use common::*;
use rogue::Rogue;

const TARGET_PASSWORD: &str = "TARGETPASS-31";
const TARGET_KEY: &str = "TARGETKEY-42";
const ENV_TOKEN: &str = "tk-ENVTOKEN-1234567";
const QUERY_SECRET: &str = "qk-QUERYSECRET-77";
const COOKIE_SECRET: &str = "ck-COOKIESECRET-55";
const PASSWORD_SECRET: &str = "pw-PASSWORDSECRET-99";

#[test]
fn an_echoing_server_cannot_copy_credentials_into_reports_or_logs() {
    let rogue = Rogue::start();
    let scenario = format!(
        r#"name: echo
timeout: 5s
load:
  stages:
    - {{ users: 1, over: 2s }}
flows:
  - name: f
    think: 300ms
    setup:
      - http: {{ name: login, method: POST, path: /login, extract: {{ token: /token }} }}
    steps:
      - http: {{ name: echo-headers, path: "/echo?api_key={QUERY_SECRET}",
                headers: {{ Authorization: "Bearer ${{env.LG_SECRET_TOKEN}}",
                           Cookie: "sid={COOKIE_SECRET}", X-Trace: "${{token}}" }} }}
      - http: {{ name: echo-body, method: POST, path: /echo,
                json: {{ username: someone, password: "{PASSWORD_SECRET}" }} }}
"#
    );
    let (dir, path) = scenario_file(&scenario);
    let out_dir = dir.path().join("out");
    let authority = rogue.url.trim_start_matches("http://");
    let target = format!("http://tuser:{TARGET_PASSWORD}@{authority}/?api_key={TARGET_KEY}");
    let child = loadgate()
        .args([
            "run",
            path.to_str().unwrap(),
            "--target",
            &target,
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .env("LG_SECRET_TOKEN", ENV_TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish_within(child, RUN_DEADLINE);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The server did get every credential: redaction is about what loadgate shows.
    let requests = rogue.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains(QUERY_SECRET) && r.contains(TARGET_KEY)),
        "{requests:#?}"
    );

    let summary = read_summary(&out_dir);
    let echoed = &summary.metrics.steps["echo-headers"].failures["http 500"].example;
    assert!(
        echoed.contains("[redacted]") && echoed.to_lowercase().contains("cookie"),
        "the echo is kept, its secrets redacted: {echoed}"
    );
    assert!(
        summary.settings.target.contains("[redacted]@")
            && summary.settings.target.contains("api_key=[redacted]"),
        "{}",
        summary.settings.target
    );

    let basic = "dHVzZXI6VEFSR0VUUEFTUy0zMQ"; // base64("tuser:TARGETPASS-31"), unpadded
    let secrets = [
        TARGET_PASSWORD,
        TARGET_KEY,
        ENV_TOKEN,
        QUERY_SECRET,
        COOKIE_SECRET,
        PASSWORD_SECRET,
        rogue::TOKEN,
        basic,
    ];
    let logs = text(&out);
    for secret in secrets {
        assert!(
            !logs.contains(secret),
            "stdout/stderr leak {secret}:\n{logs}"
        );
        for entry in std::fs::read_dir(&out_dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let content = String::from_utf8_lossy(&bytes);
            assert!(
                !content.contains(secret),
                "{} leaks {secret}",
                path.display()
            );
        }
    }
}

#[test]
fn an_unreachable_target_is_named_without_its_secrets() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("http://tuser:{TARGET_PASSWORD}@127.0.0.1:{port}/?api_key={TARGET_KEY}");
    let out = run_loadgate(&["run", "scenarios/normal.yaml", "--target", &target]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let logs = text(&out);
    assert!(logs.contains(&format!("127.0.0.1:{port}")), "{logs}");
    assert!(
        !logs.contains(TARGET_PASSWORD) && !logs.contains(TARGET_KEY),
        "{logs}"
    );
}
