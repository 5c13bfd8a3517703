#!/usr/bin/env bash
# Benchmark target-server on this machine (loopback only, bounded in time).
#
#   target-server/bench/run.sh
#
# Builds the release binary and the ws_bench example, starts the server on a
# free 127.0.0.1 port, then runs:
#   1. wrk: GET /api/bots with a bearer token          (DURATION, CONNECTIONS)
#   2. wrk: POST /api/conversations/{id}/messages       (DURATION, CONNECTIONS)
#   3. ws_bench: WebSocket ping round trips             (WS_SECONDS, WS_CONNECTIONS)
#   4. ws_bench: WebSocket chat messages, streamed      (WS_SECONDS, WS_CONNECTIONS)
# and stops the server with SIGTERM. Installs wrk with apt-get if missing.
# Tunables (environment): DURATION=10s CONNECTIONS=64 THREADS=2
# WS_SECONDS=10 WS_CONNECTIONS=32 SERVER_ARGS="".
set -euo pipefail

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WS_SECONDS=${WS_SECONDS:-10}
WS_CONNECTIONS=${WS_CONNECTIONS:-32}
SERVER_ARGS=${SERVER_ARGS:-}

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq wrk >/dev/null
fi

echo "== building (release)"
(cd "$ROOT" && cargo build --release -q -p target-server --bin target-server --example ws_bench)

LOG=$(mktemp)
# shellcheck disable=SC2086
"$TARGET_DIR/release/target-server" --port 0 $SERVER_ARGS >"$LOG" 2>&1 &
SERVER=$!
cleanup() {
  if kill -0 "$SERVER" 2>/dev/null; then
    kill -TERM "$SERVER"
    wait "$SERVER" || true
  fi
  rm -f "$LOG"
}
trap cleanup EXIT

for _ in $(seq 100); do
  grep -q '^listening on ' "$LOG" && break
  sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$LOG" | head -1)
[ -n "$URL" ] || { echo "server did not start:"; cat "$LOG"; exit 1; }
case "$URL" in http://127.0.0.1:*) ;; *) echo "refusing non-loopback URL $URL"; exit 1;; esac

echo "== machine: $(nproc) cores, $(uname -sr); server $URL ${SERVER_ARGS}"
echo "== wrk GET /api/bots ($THREADS threads, $CONNECTIONS connections, $DURATION)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/chat.lua" "$URL" -- bots
echo "== wrk POST /api/conversations/{id}/messages ($THREADS threads, $CONNECTIONS connections, $DURATION)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/chat.lua" "$URL" -- messages
echo "== ws_bench ping ($WS_CONNECTIONS connections, ${WS_SECONDS}s)"
"$TARGET_DIR/release/examples/ws_bench" "$URL" --connections "$WS_CONNECTIONS" --seconds "$WS_SECONDS" --mode ping
echo "== ws_bench message ($WS_CONNECTIONS connections, ${WS_SECONDS}s)"
"$TARGET_DIR/release/examples/ws_bench" "$URL" --connections "$WS_CONNECTIONS" --seconds "$WS_SECONDS" --mode message
echo "== server metrics (excerpt)"
command -v curl >/dev/null && curl -s "$URL/metrics" | grep -E '^(http_requests_total|websocket_|bot_cache_|process_resident)' || true
