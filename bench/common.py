"""What the engine benches share: building loadgate and the Goose baseline, a
throwaway nginx serving a 200-byte file, target-server as its own process, running a
command pinned to one core with its CPU time measured, and reading loadgate's
summary.json.

Every server here listens on 127.0.0.1 only, and every load is bounded in time.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOADGATE = ROOT / "target" / "release" / "loadgate"
TARGET_SERVER = ROOT / "target" / "release" / "target-server"
GOOSE_DIR = ROOT / "bench" / "goose-baseline"
GOOSE = ROOT / "target" / "goose-baseline" / "release" / "goose-baseline"

# The server gets core 0, the tool under test core 1 (as the issue measured).
SERVER_CORE = "0"
TOOL_CORE = "1"


def check_cores():
    """The benches pin a server and a tool to two different cores."""
    if len(os.sched_getaffinity(0)) < 2 or not shutil.which("taskset"):
        raise SystemExit("the benches need two cores and taskset (Debian: util-linux)")


def build(goose=False):
    """Release builds of loadgate and target-server (and the Goose baseline)."""
    subprocess.run(["cargo", "build", "--release", "--workspace", "--quiet"], cwd=ROOT, check=True)
    if goose:
        env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target" / "goose-baseline"))
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=GOOSE_DIR, env=env, check=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Nginx:
    """nginx, one worker pinned to SERVER_CORE, serving a 200-byte file at `/`."""

    def __init__(self):
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
        if not nginx:
            raise SystemExit("nginx is not installed (Debian: apt-get install nginx)")
        self.dir = Path(tempfile.mkdtemp(prefix="loadgate-nginx-"))
        (self.dir / "www").mkdir()
        (self.dir / "tmp").mkdir()
        (self.dir / "www" / "index.html").write_text("x" * 199 + "\n")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        (self.dir / "nginx.conf").write_text(
            f"""worker_processes 1;
daemon off;
master_process off;
pid nginx.pid;
error_log error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server_tokens off;
  keepalive_requests 100000000;
  keepalive_timeout 75s;
  client_body_temp_path tmp/body; proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fcgi; uwsgi_temp_path tmp/uwsgi; scgi_temp_path tmp/scgi;
  server {{
    listen 127.0.0.1:{self.port};
    root www;
    location = / {{ try_files /index.html =404; }}
  }}
}}
"""
        )
        self.process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
             "-e", str(self.dir / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port)
        except SystemExit:
            log = (self.dir / "error.log").read_text() if (self.dir / "error.log").exists() else ""
            self.stop()
            raise SystemExit(f"nginx did not start: {log}")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class TargetServer:
    """target-server as its own process, pinned to SERVER_CORE."""

    def __init__(self, *args):
        self.port = free_port()
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            ["taskset", "-c", SERVER_CORE, str(TARGET_SERVER), "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            wait_for_port(self.port)
        except SystemExit:
            self.process.kill()
            self.log.seek(0)
            raise SystemExit(f"target-server did not start: {self.log.read()}")
        self.url = f"http://127.0.0.1:{self.port}"

    def token(self):
        """A bearer token of a fresh user, for tools that send one header."""
        import urllib.request
        body = json.dumps({"username": "bench", "password": "demo"}).encode()
        request = urllib.request.Request(self.url + "/api/auth/login", body,
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)["token"]

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def cpu_of(argv, env=None):
    """Runs argv pinned to TOOL_CORE; returns (stdout, stderr, exit code, CPU seconds,
    wall seconds). The CPU is the child's own user + system time (taskset execs
    into the tool, so it is one process)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        process = subprocess.Popen(["taskset", "-c", TOOL_CORE, *argv], stdout=out, stderr=err,
                                   env=env, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return out.read(), err.read(), process.returncode, usage.ru_utime + usage.ru_stime, wall


def summary(folder):
    return json.loads((Path(folder) / "summary.json").read_text())


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2
