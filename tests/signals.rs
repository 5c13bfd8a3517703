//! Nothing is lost: SIGTERM (what CI sends when it cancels a job) keeps a partial report
//! like Ctrl-C; an `--out` folder that cannot be written is refused before any load is
//! sent; and when the files still cannot be written at the end, summary.json is kept in
//! the temp folder the error names, ready for `loadgate report`.

mod common;
mod rogue;

use common::*;
use rogue::Rogue;
use std::time::Duration;

fn scenario(over: &str) -> String {
    format!(
        r#"name: steady
timeout: 5s
load:
  stages:
    - {{ users: 2, over: {over} }}
flows:
  - name: f
    think: 100ms
    steps:
      - http: {{ name: ok, path: /ok }}
"#
    )
}

#[test]
fn sigterm_keeps_a_partial_report_and_exits_143() {
    let rogue = Rogue::start();
    let (dir, path) = scenario_file(&scenario("60s"));
    let out_dir = dir.path().join("out");
    let child = spawn_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &rogue.url,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    std::thread::sleep(Duration::from_secs(2));
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = finish_within(child, RUN_DEADLINE);
    assert_eq!(out.status.code(), Some(143), "{}", text(&out));
    let summary = read_summary(&out_dir);
    assert!(summary.interrupted, "marked interrupted");
    assert!(
        summary.metrics.steps["ok"].count > 0,
        "what was measured is kept"
    );
    for file in ["report.html", "junit.xml", "summary.md"] {
        assert!(out_dir.join(file).exists(), "{file} written");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("interrupted by SIGTERM"), "{}", text(&out));
}

#[test]
fn an_out_folder_that_cannot_be_written_is_refused_before_any_load() {
    let rogue = Rogue::start();
    let (_dir, path) = scenario_file(&scenario("3s"));
    // /proc exists but takes no files, even for root (which chmod cannot stop).
    let out = run_loadgate(&[
        "run",
        path.to_str().unwrap(),
        "--target",
        &rogue.url,
        "--out",
        "/proc",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--out /proc: cannot write there") && stderr.contains("nothing was run"),
        "{stderr}"
    );
    let requests = rogue.requests();
    assert!(
        !requests.iter().any(|r| r.contains("/ok")),
        "no load was sent: {requests:#?}"
    );
}

#[test]
fn files_that_fail_at_the_end_leave_summary_json_where_the_error_says() {
    let rogue = Rogue::start();
    let (dir, path) = scenario_file(&scenario("3s"));
    let out_dir = dir.path().join("out");
    let temp = dir.path().join("tmp");
    std::fs::create_dir(&temp).unwrap();
    let child = loadgate()
        .args([
            "run",
            path.to_str().unwrap(),
            "--target",
            &rogue.url,
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .env("TMPDIR", &temp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the run is under way, the folder turns into a file: nothing can go there.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !out_dir.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    std::fs::remove_dir_all(&out_dir).unwrap();
    std::fs::write(&out_dir, b"in the way").unwrap();
    let out = finish_within(child, RUN_DEADLINE);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kept = stderr
        .split("loadgate report ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("the error names where summary.json went:\n{stderr}"));
    let kept = std::path::Path::new(kept);
    assert!(
        kept.starts_with(&temp),
        "kept under TMPDIR: {}",
        kept.display()
    );
    let summary = read_summary(kept);
    assert!(
        summary.metrics.steps["ok"].count > 0,
        "the measurements survive"
    );

    let rerender = run_loadgate(&["report", kept.to_str().unwrap()]);
    assert_eq!(rerender.status.code(), Some(0), "{}", text(&rerender));
    assert!(kept.join("report.html").exists());
}

#[test]
fn a_signal_during_start_up_is_not_lost() {
    // Goose clears its killswitch as it starts; a Ctrl-C caught just before used to be
    // dropped, and the run went on for its whole plan.
    let rogue = Rogue::start();
    let (dir, path) = scenario_file(&scenario("60s"));
    let out_dir = dir.path().join("out");
    let log = dir.path().join("stderr.txt");
    let mut child = loadgate()
        .args([
            "run",
            path.to_str().unwrap(),
            "--target",
            &rogue.url,
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("loadgate starts");
    // `running … against …` is printed just before the engine starts Goose.
    let waiting = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("running")
    {
        assert!(
            waiting.elapsed() < Duration::from_secs(60),
            "loadgate never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // The plan is 60 s; an interrupt that was lost would run all of it.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if waiting.elapsed() > Duration::from_secs(45) {
            let _ = child.kill();
            panic!(
                "the interrupt was lost: still running\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(read_summary(&out_dir).interrupted, "{stderr}");
}
