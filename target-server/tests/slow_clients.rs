//! Slow and idle clients cannot starve the others: bodies are read before
//! the in-flight limit and within the body timeout, an announced body over
//! the limit is refused before it is read, a chunked one is cut at the
//! limit, trickled headers and idle connections are closed after their
//! timeouts, and a flood of idle connections past `max_connections` evicts
//! the oldest idle ones instead of locking `/health` out. Raw TCP clients
//! on loopback play the misbehaving parts; every wait is bounded.

mod common;

use std::time::Duration;

use common::{fast_config, metric, requests, start};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use target_server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Upper bound of any single wait in these tests; generous, so a loaded
/// machine does not fail them. Nothing here asserts speed.
const PATIENCE: Duration = Duration::from_secs(15);

/// Opens a raw connection to the server.
async fn connect(base: &str) -> TcpStream {
    let addr = base.strip_prefix("http://").unwrap();
    TcpStream::connect(addr).await.unwrap()
}

/// A request head for `POST path` announcing `length` body bytes.
fn post_head(path: &str, length: u64) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// Reads one response: its status, headers (lowercased) and body. `None` if
/// the connection closed or nothing complete arrived within `PATIENCE`.
async fn read_response(stream: &mut TcpStream) -> Option<(u16, String, String)> {
    let mut buf = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let status = head.split(' ').nth(1)?.parse().ok()?;
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap_or(0));
            if buf.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
                return Some((status, head, body));
            }
        }
        let mut chunk = [0u8; 4096];
        match timeout(deadline - Instant::now(), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Whether the server closes `stream` (EOF or reset) within `PATIENCE`,
/// discarding anything it sends first.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let deadline = Instant::now() + PATIENCE;
    let mut chunk = [0u8; 4096];
    loop {
        match timeout(deadline - Instant::now(), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// Whether `stream` is still open right now: nothing to read, no EOF.
async fn still_open(stream: &mut TcpStream) -> bool {
    let mut chunk = [0u8; 1];
    timeout(Duration::from_millis(50), stream.read(&mut chunk))
        .await
        .is_err()
}

/// Logs in over reqwest; returns the status.
async fn login_status(http: &reqwest::Client, base: &str, user: &str) -> StatusCode {
    http.post(format!("{base}/api/auth/login"))
        .json(&json!({"username": user, "password": "demo"}))
        .send()
        .await
        .expect("login gets an answer")
        .status()
}

#[tokio::test]
async fn trickled_bodies_do_not_hold_the_permits_login_needs() {
    let ts = start(ServerConfig {
        max_inflight: 4,
        body_timeout: Duration::from_secs(2),
        ..fast_config()
    })
    .await;
    // Four times as many slow uploads as there are permits, each under the
    // size limit, each sending a byte now and then.
    let mut slow = Vec::new();
    for _ in 0..16 {
        let mut stream = connect(&ts.base).await;
        stream
            .write_all(post_head("/api/auth/login", 1000).as_bytes())
            .await
            .unwrap();
        slow.push(stream);
    }
    for round in 0..5 {
        for stream in &mut slow {
            let _ = stream.write_all(b" ").await;
        }
        let status = login_status(&ts.http, &ts.base, &format!("eager{round}")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "login {round} while 16 uploads trickle"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each slow upload ends with 408 after the body timeout, and its
    // connection is closed.
    for stream in &mut slow {
        let (status, head, body) = read_response(stream).await.expect("an answer");
        assert_eq!(status, 408, "{head}\n{body}");
        assert!(head.contains("connection: close"), "{head}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert!(
            error["error"].as_str().unwrap().contains("did not arrive"),
            "{body}"
        );
        assert!(closed_by_server(stream).await);
    }
    let text = ts.metrics().await;
    assert_eq!(metric(&text, "http_requests_rejected_total"), 0.0);
    assert_eq!(requests(&text, "POST", "/api/auth/login", 408), 16);
    assert_eq!(requests(&text, "POST", "/api/auth/login", 200), 5);
}

#[tokio::test]
async fn an_announced_body_over_the_limit_is_refused_before_it_is_read() {
    // The body timeout is long: a 413 that comes back anyway was decided
    // from the head alone.
    let ts = start(ServerConfig {
        body_timeout: Duration::from_secs(600),
        ..fast_config()
    })
    .await;
    let mut stream = connect(&ts.base).await;
    stream
        .write_all(post_head("/api/auth/login", 1 << 30).as_bytes())
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut stream)
        .await
        .expect("413 without sending the body");
    assert_eq!(status, 413, "{head}");
    assert!(head.contains("connection: close"), "{head}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert!(error["error"].as_str().unwrap().contains("65536"), "{body}");
    assert!(closed_by_server(&mut stream).await);

    // Even on a route that takes no body, and however many of them.
    let mut streams = Vec::new();
    for _ in 0..20 {
        let mut stream = connect(&ts.base).await;
        stream
            .write_all(post_head("/api/conversations", u64::MAX / 2).as_bytes())
            .await
            .unwrap();
        streams.push(stream);
    }
    for stream in &mut streams {
        assert_eq!(read_response(stream).await.unwrap().0, 413);
    }
    assert_eq!(
        login_status(&ts.http, &ts.base, "after").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_limit() {
    let ts = start(ServerConfig {
        body_timeout: Duration::from_secs(600),
        ..fast_config()
    })
    .await;
    let mut stream = connect(&ts.base).await;
    stream
        .write_all(
            b"POST /api/auth/login HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n",
        )
        .await
        .unwrap();
    // 70 chunks of 1 KiB, then the client stalls without ending the body.
    let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
    for _ in 0..70 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break; // the server may already have answered and closed
        }
    }
    let (status, _, body) = read_response(&mut stream)
        .await
        .expect("413 once the limit is passed");
    assert_eq!(status, 413, "{body}");
    assert!(closed_by_server(&mut stream).await);

    // A chunked body under the limit is read as usual.
    let mut stream = connect(&ts.base).await;
    let login = json!({"username": "chunky", "password": "demo"}).to_string();
    let request = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{login}\r\n0\r\n\r\n",
        login.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await.unwrap();
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn trickled_headers_and_silent_connections_are_closed_after_the_header_timeout() {
    let ts = start(ServerConfig {
        header_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_secs(600),
        ..fast_config()
    })
    .await;
    // A connection that never sends anything.
    let mut silent = connect(&ts.base).await;
    // A head that grows by one header line every 100 ms and never ends.
    let mut trickler = connect(&ts.base).await;
    trickler
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let trickle = async {
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if trickler
                .write_all(format!("X-Slow-{i}: yes\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
        closed_by_server(&mut trickler).await
    };
    let (trickler_closed, silent_closed) = tokio::join!(trickle, closed_by_server(&mut silent));
    assert!(
        trickler_closed,
        "a trickled head outlived the header timeout"
    );
    assert!(
        silent_closed,
        "a silent connection outlived the header timeout"
    );
    let text = ts.metrics().await;
    assert!(
        metric(
            &text,
            "http_connections_dropped_total{reason=\"header_timeout\"}"
        ) >= 2.0,
        "{text}"
    );
    // A head that arrives in time is served.
    let mut prompt = connect(&ts.base).await;
    prompt
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut prompt).await.unwrap().0, 200);
}

#[tokio::test]
async fn idle_connections_are_closed_and_health_keeps_answering() {
    let ts = start(ServerConfig {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_secs(3),
        ..fast_config()
    })
    .await;
    // A few hundred connections that connect and say nothing.
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(connect(&ts.base).await);
    }
    let health = ts.http.get(ts.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    for stream in &mut idle {
        assert!(closed_by_server(stream).await, "an idle connection stayed");
    }

    // A keep-alive connection resting after a response gets the idle
    // timeout, not the (much shorter) header timeout.
    let mut rested = connect(&ts.base).await;
    rested
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut rested).await.unwrap().0, 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        still_open(&mut rested).await,
        "closed before the idle timeout"
    );
    // It still serves a request, which restarts its idle clock...
    rested
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut rested).await.unwrap().0, 200);
    // ...and is closed once it has rested for the idle timeout.
    assert!(closed_by_server(&mut rested).await);
    let text = ts.metrics().await;
    assert!(
        metric(
            &text,
            "http_connections_dropped_total{reason=\"idle_timeout\"}"
        ) >= 1.0
    );
    assert!(
        metric(
            &text,
            "http_connections_dropped_total{reason=\"header_timeout\"}"
        ) >= 300.0
    );
}

#[tokio::test]
async fn past_the_connection_cap_the_oldest_idle_connections_make_room() {
    // Timeouts far beyond the test: only the cap can free a place.
    let ts = start(ServerConfig {
        max_connections: 50,
        header_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        ..fast_config()
    })
    .await;
    let token = ts.login("early").await;
    // The oldest connection is a WebSocket: busy, so never evicted.
    let mut ws = ts.ws(&token).await;
    let mut idle = Vec::new();
    for _ in 0..120 {
        idle.push(connect(&ts.base).await);
    }
    // A fresh client still gets its answer: it evicts an idle connection.
    let http = reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let health = http.get(ts.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // The oldest idle connections were closed; the newest are still open.
    for stream in &mut idle[..60] {
        assert!(
            closed_by_server(stream).await,
            "an old idle connection stayed"
        );
    }
    let mut open = 0;
    for stream in &mut idle[60..] {
        if still_open(stream).await {
            open += 1;
        }
    }
    assert!(open > 0 && open < 50, "{open} of the newest stayed open");
    // The WebSocket was never a candidate.
    ws.send(WsMessage::text(json!({"type": "ping", "t": 5}).to_string()))
        .await
        .unwrap();
    let pong = timeout(PATIENCE, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(pong.to_text().unwrap().contains("pong"), "{pong:?}");

    let text = ts.metrics().await;
    assert!(metric(&text, "http_connections_dropped_total{reason=\"evicted\"}") >= 70.0);
    assert!(metric(&text, "http_connections_open") <= 50.0, "{text}");
}

#[tokio::test]
async fn shutdown_does_not_wait_for_silent_or_resting_connections() {
    // Timeouts far beyond the test: shutdown itself must close these.
    let ts = start(ServerConfig {
        header_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        ..fast_config()
    })
    .await;
    let mut silent = connect(&ts.base).await;
    let mut resting = connect(&ts.base).await;
    resting
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut resting).await.unwrap().0, 200);
    timeout(PATIENCE, ts.server.shutdown())
        .await
        .expect("shutdown completes without waiting for the timeouts");
    assert!(closed_by_server(&mut silent).await);
    assert!(closed_by_server(&mut resting).await);
}
