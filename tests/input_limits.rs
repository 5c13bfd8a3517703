//! Inputs that cannot crash or fool loadgate (issue 7, section 4), end to end through the
//! real binary: deep nesting, NUL bytes and byte-order marks, oversized and non-regular
//! files, what `validate` used to accept and `run` then failed on, units and hints, and
//! control characters in names. Runs use the bundled server and one-second plans.

mod common;
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

const BASE: &str = "name: limits
budgets:
  - error_rate < 1%
load:
  stages:
    - { users: 1, over: 1s }
flows:
  - name: f
    steps:
      - http: { path: /health }
";

/// `validate FILE`: its output, failing the test on a panic or a raw escape in stderr.
fn validate(path: &Path) -> std::process::Output {
    let out = run_loadgate(&["validate", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{}", text(&out));
    assert!(!stderr.contains("overflow"), "{}", text(&out));
    out
}

/// Asserts exit 2 with `file:line:column:` and `needle` on stderr.
fn assert_refused(
    out: &std::process::Output,
    path: &Path,
    line: usize,
    column: usize,
    needle: &str,
) {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let located = format!("{}:{line}:{column}:", path.display());
    assert!(
        stderr.contains(&located),
        "expected `{located}` in\n{stderr}"
    );
    assert!(stderr.contains(needle), "expected `{needle}` in\n{stderr}");
}

/// `run FILE` with a short plan into `dir/out`; returns the output.
fn run_short(path: &Path, dir: &Path) -> std::process::Output {
    let out_dir = dir.join("out");
    let out = run_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--time-scale",
        "0.01",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "{}",
        text(&out)
    );
    out
}

#[test]
fn deep_nesting_is_refused_at_its_position_instead_of_overflowing_the_stack() {
    let (_dir, path) = scenario_file(&format!("{}1\n", "- ".repeat(50_000)));
    assert_refused(&validate(&path), &path, 1, 129, "nesting is deeper than 64");

    // A 5,000-deep JSON body: `validate` used to pass it and `run` crashed (exit 134).
    let body = format!(
        "      - http:\n          path: /health\n          method: POST\n          json:\n            {}1\n",
        "- ".repeat(5_000)
    );
    let yaml = BASE.replace("      - http: { path: /health }\n", &body);
    let (dir, path) = scenario_file(&yaml);
    assert_refused(
        &validate(&path),
        &path,
        14,
        129,
        "nesting is deeper than 64",
    );
    let out = run_short(&path, dir.path());
    assert_refused(&out, &path, 14, 129, "nesting is deeper than 64");
    assert!(!dir.path().join("out").exists(), "nothing was run");
}

#[test]
fn a_nul_byte_is_refused_instead_of_dropping_the_budgets_after_it() {
    // Before: everything after the NUL vanished, with the failing budget, and `run` exited 0.
    let yaml = format!(
        "{}budgets:\n  - error_rate < 1%\n\0  - p95 < 1us\n",
        BASE.replace("budgets:\n  - error_rate < 1%\n", "")
    );
    let (dir, path) = scenario_file(&yaml);
    assert_refused(&validate(&path), &path, 11, 1, "U+0000 (NUL)");
    let out = run_short(&path, dir.path());
    assert_refused(&out, &path, 11, 1, "NUL");
    assert!(!dir.path().join("out").exists(), "nothing was run");
}

#[test]
fn a_byte_order_mark_is_skipped_and_the_scenario_runs() {
    let (dir, path) = scenario_file(&format!("\u{FEFF}{BASE}"));
    let out = validate(&path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let _heavy = one_heavy_run_at_a_time();
    let out = run_short(&path, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        read_summary(&dir.path().join("out")).scenario.name,
        "limits"
    );
}

#[test]
fn oversized_and_non_regular_files_are_refused_up_front() {
    let limit = loadgate::scenario::source::MAX_FILE_BYTES as usize;
    let (_dir, path) = scenario_file(&format!("{BASE}#{}\n", "x".repeat(limit)));
    let started = Instant::now();
    assert_refused(&validate(&path), &path, 1, 1, "too large");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "refused without parsing"
    );

    // `/dev/zero` used to be read until memory ran out; a pipe used to block forever.
    let out = validate(Path::new("/dev/zero"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a device, not a regular file"));
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = validate(&fifo);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a pipe, not a regular file"));

    // The budgets file named by `slo:` gets the same limits.
    let (dir, path) =
        scenario_file(&BASE.replace("name: limits\n", "name: limits\nslo: slo.yaml\n"));
    let slo = dir.path().join("slo.yaml");
    std::fs::write(&slo, format!("budgets: []\n#{}\n", "x".repeat(limit))).unwrap();
    assert_refused(&validate(&path), &slo, 1, 1, "budgets file is too large");
    let (_dir, path) =
        scenario_file(&BASE.replace("name: limits\n", "name: limits\nslo: /dev/zero\n"));
    assert_refused(&validate(&path), &path, 2, 6, "not a regular file");
}

/// Each of these passed `validate` and then failed (or silently misbehaved) in `run`.
#[test]
fn validate_refuses_what_run_cannot_run() {
    let step = |s: &str| BASE.replace("http: { path: /health }", s);
    let cases: Vec<(String, usize, usize, &str)> = vec![
        (
            BASE.replace("name: limits", &format!("name: {}", "n".repeat(300))),
            1,
            7,
            "at most 64",
        ),
        (
            step("http: { path: /health, headers: { \"Bad Name\": x } }"),
            10,
            43,
            "not a valid HTTP header name",
        ),
        (
            step("http: { path: /health, headers: { X-A: \"a\\r\\nX-Injected: 1\" } }"),
            10,
            48,
            "line break",
        ),
        (
            step("http: { path: /health, extract: { v: \"/a~2\" } }"),
            10,
            46,
            "bad escape",
        ),
        (
            step("http: { path: /health, extract: { v: \"/a~\" } }"),
            10,
            46,
            "bad escape",
        ),
        (
            step("http: { path: \"http://[::1/health\" }"),
            10,
            23,
            "not a valid URL",
        ),
        (
            BASE.replace("name: limits\n", "name: limits\ntimeout: 0s\n"),
            2,
            10,
            "timeout of 0",
        ),
        (
            step("http: { path: /nope, expect: { status: [] } }"),
            10,
            48,
            "empty list",
        ),
        (
            step("http: { path: \"/health?u=${env.LG_UNSET_X:-${user}}\" }"),
            10,
            23,
            "cannot hold another",
        ),
        (
            format!("{BASE}---\nname: second\n"),
            11,
            1,
            "second YAML document",
        ),
    ];
    for (yaml, line, column, needle) in cases {
        let (dir, path) = scenario_file(&yaml);
        assert_refused(&validate(&path), &path, line, column, needle);
        if needle == "second YAML document" {
            let out = run_short(&path, dir.path());
            assert_refused(&out, &path, line, column, needle);
        }
    }
}

#[test]
fn a_header_value_from_the_environment_is_checked_without_echoing_it() {
    let yaml = BASE.replace(
        "http: { path: /health }",
        "http: { path: /health, headers: { Authorization: \"Bearer ${env.LG_TEST_BAD_TOKEN}\" } }",
    );
    let (_dir, path) = scenario_file(&yaml);
    let child = loadgate()
        .args(["validate", path.to_str().unwrap()])
        .env("LG_TEST_BAD_TOKEN", "s3cret-value\r\nX-Injected: 1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish_within(child, RUN_DEADLINE);
    assert_refused(&out, &path, 10, 58, "line break");
    assert!(
        !text(&out).contains("s3cret"),
        "the value is not shown\n{}",
        text(&out)
    );
}

#[test]
fn micro_seconds_are_a_unit_and_hints_are_right() {
    let (dir, path) = scenario_file(
        &BASE
            .replace("error_rate < 1%", "p95 < 900000µs")
            .replace("over: 1s", "over: 1000000us"),
    );
    let out = validate(&path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let _heavy = one_heavy_run_at_a_time();
    let out = run_short(&path, dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "µs budget judged\n{}",
        text(&out)
    );

    let (_dir, path) = scenario_file(&BASE.replace("over: 1s", "over: 1 second"));
    let out = validate(&path);
    assert_refused(&out, &path, 6, 25, "did you mean `1s`?");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("1 seconds") && !stderr.contains("secondms"),
        "{stderr}"
    );
    let (_dir, path) = scenario_file(&BASE.replace("error_rate < 1%", "p95 < 393"));
    let out = validate(&path);
    assert_refused(&out, &path, 3, 5, "`393s`");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("µss"));
    let (_dir, path) = scenario_file(&BASE.replace("flows:", "flow:"));
    let out = validate(&path);
    assert_refused(&out, &path, 7, 1, "did you mean `flows`?");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("`slo`"));
}

#[test]
fn control_characters_in_names_are_refused_and_never_printed_raw() {
    let escape = "\\e[31mRED\\e[0m";
    for (yaml, line, column) in [
        (
            BASE.replace("name: limits", &format!("name: \"{escape}\"")),
            1,
            7,
        ),
        (
            BASE.replace("name: f", &format!("name: \"{escape}\"")),
            8,
            11,
        ),
        (
            BASE.replace(
                "{ path: /health }",
                &format!("{{ name: \"{escape}\", path: /health }}"),
            ),
            10,
            23,
        ),
        (
            BASE.replace("{ users: 1,", &format!("{{ name: \"{escape}\", users: 1,")),
            6,
            15,
        ),
        (
            BASE.replace(
                "name: limits\n",
                &format!("name: limits\ndescription: \"{escape}\"\n"),
            ),
            2,
            14,
        ),
    ] {
        let (_dir, path) = scenario_file(&yaml);
        let out = validate(&path);
        assert_refused(&out, &path, line, column, "U+001B (ESC)");
        assert!(
            !out.stderr.contains(&0x1b),
            "a raw escape reached the terminal\n{}",
            text(&out)
        );
    }
}
