//! Shared helpers for loadgate's integration tests: temp scenarios, the loadgate binary,
//! the reference server as a separate process on a free loopback port.

#![allow(dead_code)]

use loadgate::summary::RunSummary;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The loadgate binary built for these tests.
pub fn loadgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loadgate"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Runs loadgate with `args`, returning its output.
pub fn run_loadgate(args: &[&str]) -> Output {
    loadgate().args(args).output().expect("loadgate runs")
}

/// A scenario file written into a fresh temp dir (kept alive by the returned guard).
pub fn scenario_file(yaml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("scenario.yaml");
    std::fs::write(&path, yaml).expect("write scenario");
    (dir, path)
}

/// Reads `summary.json` from a run folder.
pub fn read_summary(dir: &Path) -> RunSummary {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json exists");
    serde_json::from_str(&text).expect("summary.json parses")
}

/// Path to the target-server binary, building it if this test run has not.
pub fn target_server_binary() -> PathBuf {
    let loadgate = PathBuf::from(env!("CARGO_BIN_EXE_loadgate"));
    let binary = loadgate.with_file_name(format!("target-server{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "target-server", "--bin", "target-server"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo builds target-server");
        assert!(status.success(), "building target-server failed");
    }
    binary
}

/// A target-server process on 127.0.0.1 with a free port; killed on drop.
pub struct ServerProcess {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl ServerProcess {
    /// Starts the server with extra flags and waits for its `listening on` line.
    pub fn start(flags: &[&str]) -> Self {
        let mut child = Command::new(target_server_binary())
            .args(["--port", "0"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("target-server starts");
        let stdout = child.stdout.take().expect("stdout piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        ServerProcess { child, url }
    }

    /// Sends SIGKILL now (a crashed server, as far as clients can tell).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Output as text, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
