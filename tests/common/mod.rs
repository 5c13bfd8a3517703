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

/// No loadgate run in these tests may take longer than this; a hang fails the test.
pub const RUN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(180);

/// Runs loadgate with `args`, returning its output (killed and failed past [`RUN_DEADLINE`]).
pub fn run_loadgate(args: &[&str]) -> Output {
    finish_within(spawn_loadgate(args), RUN_DEADLINE)
}

/// Collects a child's output, killing it (and failing the test) if it outlives `deadline`.
pub fn finish_within(mut child: Child, deadline: std::time::Duration) -> Output {
    use std::io::Read;
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait on loadgate") {
            break status;
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("loadgate did not finish within {deadline:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Starts `loadgate run SCENARIO --target URL --out DIR` in the background.
pub fn spawn_run(scenario: &Path, target: &str, out: &Path) -> Child {
    spawn_loadgate(&[
        "run",
        scenario.to_str().expect("utf-8 path"),
        "--target",
        target,
        "--out",
        out.to_str().expect("utf-8 path"),
    ])
}

/// Runs `loadgate run SCENARIO --target URL --out DIR` to its end.
pub fn run_against(scenario: &Path, target: &str, out: &Path) -> Output {
    finish_within(spawn_run(scenario, target, out), RUN_DEADLINE)
}

/// Starts loadgate in the background with its output captured.
pub fn spawn_loadgate(args: &[&str]) -> Child {
    loadgate()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("loadgate starts")
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

/// Runs that judge latency budgets take this lock, so that two of them never share the
/// two cores at once: the test then asserts what the server does, not how busy the
/// machine is.
pub fn one_heavy_run_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Serves `app` on a free 127.0.0.1 port from its own thread for at most a minute, and
/// returns its `http://` URL: a small misbehaving server written for one test.
pub fn serve_on_loopback(app: axum::Router) -> (String, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            let serve = axum::serve(listener, app);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(60), serve).await;
        });
    });
    (rx.recv().unwrap(), handle)
}
