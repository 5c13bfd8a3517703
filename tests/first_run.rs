//! What a newcomer meets first, through the real binary: `--help` with the exit codes,
//! clear errors for a missing file and a negative `--time-scale`, `validate` on the
//! budgets file, and a warning when `compare` or `run --baseline` pairs runs of
//! different plans.

mod common;
use common::*;
use loadgate::exit::Exit;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_lists_every_exit_code() {
    for args in [&["--help"][..], &["run", "--help"], &["compare", "--help"]] {
        let out = run_loadgate(args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let help = stdout(&out);
        assert!(help.contains("Exit codes:"), "{args:?}:\n{help}");
        for exit in Exit::ALL {
            let line = format!("{:>3}  {}", exit.code(), exit.meaning());
            assert!(help.contains(&line), "{args:?}: no `{line}` in\n{help}");
        }
    }
}

#[test]
fn a_missing_file_is_named_without_a_bogus_position() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    for command in ["validate", "run"] {
        let out = run_loadgate(&[command, missing.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", text(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "loadgate: cannot read scenario {}: No such file or directory\n",
                missing.display()
            ),
            "{command}"
        );
    }
    let out = run_loadgate(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("it is a directory, not a regular file")
            && !stderr(&out).contains(":0:0"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_negative_time_scale_is_told_what_is_wrong() {
    for args in [
        &["run", "scenarios/normal.yaml", "--time-scale", "-1"][..],
        &["run", "scenarios/normal.yaml", "--time-scale=-1"],
        &["run", "scenarios/normal.yaml", "--time-scale", "0"],
        &["run", "scenarios/normal.yaml", "--time-scale", "fast"],
    ] {
        let out = run_loadgate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = stderr(&out);
        assert!(err.contains("--time-scale"), "{args:?}: {err}");
        assert!(
            err.contains("must be greater than 0") || err.contains("is not a number"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
    }
}

#[test]
fn validate_knows_a_budgets_file() {
    let out = run_loadgate(&["validate", "scenarios/slo.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = stdout(&out);
    assert!(said.contains("a budgets file, not a scenario"), "{said}");
    assert!(said.contains("budget(s)"), "{said}");

    // It is validated as a budgets file: a bad rule is placed, and is not reported as
    // a scenario's missing `name`, `load` and `flows`.
    let (_dir, path) = scenario_file(
        "budgets:\n  - rule: p95 < 200ms for http\n    source: a requirement\n  - rule: p95 < soon\n",
    );
    let out = run_loadgate(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:4:11: budgets[1].rule", path.display())),
        "{err}"
    );
    assert!(!err.contains("missing required key"), "{err}");

    // A scenario that lists inline rules is still a scenario.
    let (_dir, path) = scenario_file("budgets: [\"p95 < 200ms\"]\n");
    let out = run_loadgate(&["validate", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).contains("missing required key `name`"),
        "{}",
        text(&out)
    );
}

/// A tiny scenario: one user for `seconds`, no budgets.
fn tiny(seconds: u32) -> String {
    format!(
        "name: tiny\nload:\n  stages:\n    - {{ users: 1, over: {seconds}s }}\nflows:\n  - name: f\n    think: 50ms\n    steps:\n      - http: {{ name: health, path: /health }}\n"
    )
}

#[test]
fn compare_warns_when_the_runs_followed_different_plans() {
    let _one = one_heavy_run_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("tiny.yaml");
    std::fs::write(&scenario, tiny(2)).unwrap();
    let scenario = scenario.to_str().unwrap();
    let run = |name: &str, scale: &str, extra: &[&str]| {
        let out_dir = dir.path().join(name);
        let mut args = vec!["run", scenario, "--time-scale", scale, "--out"];
        args.push(out_dir.to_str().unwrap());
        args.extend_from_slice(extra);
        let out = run_loadgate(&args);
        (out_dir, out)
    };
    let (a, out) = run("a", "1", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!stderr(&out).contains("warning"), "{}", text(&out));
    let (b, out) = run("b", "0.5", &["--baseline", a.to_str().unwrap()]);
    assert!(
        stderr(&out).contains(
            "loadgate: warning: the runs used different time scales: --time-scale 1 in the baseline, 0.5 now"
        ),
        "run --baseline: {}",
        text(&out)
    );

    let out = run_loadgate(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    let err = stderr(&out);
    assert!(err.contains("different time scales"), "{}", text(&out));
    assert!(err.contains("followed different plans"), "{}", text(&out));

    let out = run_loadgate(&[
        "compare",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let differences = json["plan_differences"]
        .as_array()
        .expect("plan_differences");
    assert_eq!(differences.len(), 1, "{differences:?}");

    // Same plan: nothing to warn about.
    let out = run_loadgate(&["compare", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!stderr(&out).contains("warning"), "{}", text(&out));

    // Another stage plan at the same scale: the stage is named.
    std::fs::write(dir.path().join("tiny.yaml"), tiny(3)).unwrap();
    let (c, out) = run("c", "1", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run_loadgate(&["compare", a.to_str().unwrap(), c.to_str().unwrap()]);
    assert!(
        stderr(&out)
            .contains("stage 1 differs: 1 user over 2s in the baseline, 1 user over 3s now"),
        "{}",
        text(&out)
    );
}
