#!/usr/bin/env python3
"""Slow and idle clients against a running target-server (loopback only).

Measures whether slow clients can starve the others:

  trickle: N clients send a POST /api/auth/login head announcing BODY bytes,
           then trickle one body byte per second; meanwhile one well-behaved
           client logs in once a second. Prints each login's status and time,
           then what the trickling clients were answered.
  idle:    N clients connect and send nothing; then GET /health is timed, and
           after WAIT seconds the script counts how many of the idle
           connections the server has closed.

  slow_clients.py http://127.0.0.1:PORT trickle --clients 520 --body 1073741824
  slow_clients.py http://127.0.0.1:PORT idle --clients 1100 --wait 15

Everything is bounded in time (--seconds, --wait) and uses only the standard
library. The client needs one file descriptor per connection (see ulimit -n).
"""

import argparse
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request


def login(base, timeout):
    body = json.dumps({"username": "probe", "password": "demo"}).encode()
    req = urllib.request.Request(
        base + "/api/auth/login", data=body, method="POST",
        headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
    except Exception as err:  # timeout, reset, refused
        status = type(err).__name__
    return status, time.monotonic() - started


def health(base, timeout):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + "/health", timeout=timeout) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
    except Exception as err:
        status = type(err).__name__
    return status, time.monotonic() - started


def connect_many(host, port, count):
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((host, port))
        except OSError as err:
            s.close()
            print(f"connect failed after {len(socks)} connections: {err}")
            break
        s.setblocking(False)
        socks.append(s)
    return socks


def answered(sock):
    """'closed', 'answered <status line>', or 'open' (nothing yet)."""
    try:
        data = sock.recv(4096)
    except BlockingIOError:
        return "open"
    except OSError:
        return "closed"
    if not data:
        return "closed"
    line = data.split(b"\r\n", 1)[0].decode(errors="replace")
    return "answered " + line


def tally(socks):
    counts = {}
    for s in socks:
        state = answered(s)
        counts[state] = counts.get(state, 0) + 1
    return counts


def trickle(base, host, port, args):
    head = (
        "POST /api/auth/login HTTP/1.1\r\nHost: {}:{}\r\n"
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n"
    ).format(host, port, args.body).encode()
    socks = connect_many(host, port, args.clients)
    for s in socks:
        try:
            s.send(head)
        except OSError:
            pass
    print(f"{len(socks)} clients sent a head announcing {args.body} bytes")
    time.sleep(1)  # let the server take them all in before the first login
    started = time.monotonic()
    while time.monotonic() - started < args.seconds:
        for s in socks:
            try:
                s.send(b" ")
            except OSError:
                pass
        status, took = login(base, timeout=10)
        print(f"t={time.monotonic() - started:5.1f}s login -> {status} in {took * 1000:.0f} ms")
        time.sleep(1)
    print("trickling clients:", tally(socks))
    for s in socks:
        s.close()


def idle(base, host, port, args):
    socks = connect_many(host, port, args.clients)
    print(f"{len(socks)} idle connections open")
    time.sleep(0.5)
    status, took = health(base, timeout=args.health_timeout)
    print(f"GET /health -> {status} in {took * 1000:.0f} ms")
    time.sleep(args.wait)
    print(f"after {args.wait}s:", tally(socks))
    status, took = health(base, timeout=args.health_timeout)
    print(f"GET /health -> {status} in {took * 1000:.0f} ms")
    for s in socks:
        s.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="server URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("mode", choices=["trickle", "idle"])
    parser.add_argument("--clients", type=int, default=520)
    parser.add_argument("--body", type=int, default=1 << 30,
                        help="Content-Length the trickling clients announce")
    parser.add_argument("--seconds", type=float, default=5,
                        help="how long to trickle (trickle mode)")
    parser.add_argument("--wait", type=float, default=15,
                        help="seconds before counting closed connections (idle mode)")
    parser.add_argument("--health-timeout", type=float, default=20)
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("loopback targets only")
    base = args.base.rstrip("/")
    if args.mode == "trickle":
        trickle(base, url.hostname, url.port, args)
    else:
        idle(base, url.hostname, url.port, args)


if __name__ == "__main__":
    main()
