//! The end-of-run summary on a real terminal: the binary runs under `script(1)`, which
//! gives it a pseudo-terminal set to 80 columns, against a small server on loopback.
//! Every line fits 80 columns (counted in characters, not bytes); PASS and FAIL are
//! coloured on the terminal, and not at all with `NO_COLOR` set or without a terminal.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

/// util-linux's `script`, which runs a command on a fresh pseudo-terminal (Debian's
/// essential `bsdutils` package has it).
const SCRIPT: &str = "/usr/bin/script";

/// A scenario with long step names and one budget that holds, one that breaks.
const SCENARIO: &str = r#"name: narrow-terminal
budgets:
  - p95 < 5s for http
  - p95 < 1us for list-conversations-for-the-signed-in-user-with-paging
load:
  stages:
    - { users: 2, over: 1s }
flows:
  - name: f
    think: 20ms
    steps:
      - http: { name: list-conversations-for-the-signed-in-user-with-paging, path: /ok, expect: { status: 200 } }
      - http: { name: fetch-the-bot-catalogue-and-its-localised-descriptions, path: /ok, expect: { status: 200 } }
      - http: { name: health, path: /ok, expect: { status: 200 } }
"#;

fn ok_server() -> (String, std::thread::JoinHandle<()>) {
    serve_on_loopback(
        axum::Router::new()
            .route("/", axum::routing::get(|| async { "ok" }))
            .route("/ok", axum::routing::get(|| async { "ok" })),
    )
}

/// Runs `loadgate run` on an 80-column pseudo-terminal (stderr, the progress line,
/// goes to /dev/null) and returns what the terminal showed.
fn run_on_a_terminal(no_color: Option<&str>) -> String {
    let (url, _server) = ok_server();
    let (_dir, file) = scenario_file(SCENARIO);
    let out = tempfile::tempdir().unwrap();
    let command = format!(
        "stty cols 80 rows 50; exec '{}' run '{}' --target '{}' --out '{}' 2>/dev/null",
        env!("CARGO_BIN_EXE_loadgate"),
        file.display(),
        url,
        out.path().display()
    );
    let mut cmd = Command::new(SCRIPT);
    cmd.args(["-qec", &command, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(value) = no_color {
        cmd.env("NO_COLOR", value);
    }
    let output = finish_within(cmd.spawn().expect("script runs"), Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).replace('\r', "")
}

/// The text without ANSI SGR sequences (`ESC [ … m`).
fn strip_colour(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn assert_fits_80(shown: &str) {
    let plain = strip_colour(shown);
    assert!(
        plain.contains("│ step"),
        "the step table is shown:\n{plain}"
    );
    for line in plain.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} characters: {line}\n{plain}",
            line.chars().count()
        );
    }
}

#[test]
fn on_a_terminal_it_fits_80_columns_and_colours_the_verdicts() {
    let shown = run_on_a_terminal(None);
    assert_fits_80(&shown);
    assert!(
        shown.contains("\u{1b}[") && strip_colour(&shown).contains("FAIL  p95 < 1us"),
        "PASS/FAIL coloured on a terminal:\n{shown:?}"
    );
}

#[test]
fn no_color_turns_colour_off_on_a_terminal() {
    let shown = run_on_a_terminal(Some("1"));
    assert_fits_80(&shown);
    assert!(
        !shown.contains('\u{1b}'),
        "escape with NO_COLOR=1:\n{shown:?}"
    );
    assert!(shown.contains("FAIL  p95 < 1us"), "{shown}");
}

#[test]
fn an_empty_no_color_does_not_turn_colour_off() {
    let shown = run_on_a_terminal(Some(""));
    assert!(
        shown.contains("\u{1b}["),
        "NO_COLOR= (empty) keeps colour:\n{shown:?}"
    );
}

#[test]
fn without_a_terminal_there_is_no_colour_and_80_columns() {
    let (url, _server) = ok_server();
    let (_dir, file) = scenario_file(SCENARIO);
    let out = tempfile::tempdir().unwrap();
    let output = run_loadgate(&[
        "run",
        file.to_str().unwrap(),
        "--target",
        &url,
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains('\u{1b}'),
        "escape without a terminal:\n{stdout:?}"
    );
    assert_fits_80(&stdout);
    assert!(stdout.contains("FAIL  p95 < 1us"), "{stdout}");
}
