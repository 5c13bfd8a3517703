//! Operational behaviour: exact request counts in `/metrics`, injected
//! latency and errors, and the in-flight limit answering 503.

mod common;

use std::time::{Duration, Instant};

use common::{fast_config, metric, requests, start};
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use target_server::ServerConfig;

#[tokio::test]
async fn metrics_count_every_request_exactly_once() {
    let ts = start(fast_config()).await;
    let token = ts.login("metered").await;
    let (status, _) = ts
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "metered", "password": "wrong"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for _ in 0..3 {
        ts.call(Method::GET, "/api/bots", Some(&token), None).await;
    }
    ts.call(Method::GET, "/api/bots", None, None).await;
    let conv = ts.conversation(&token, 1).await;
    ts.call(
        Method::POST,
        "/api/conversations",
        Some(&token),
        Some(json!({"bot_id": 77})),
    )
    .await;
    let messages = format!("/api/conversations/{conv}/messages");
    for _ in 0..2 {
        ts.call(
            Method::POST,
            &messages,
            Some(&token),
            Some(json!({"text": "hi"})),
        )
        .await;
    }
    ts.call(Method::POST, &messages, Some(&token), Some(json!({})))
        .await;
    ts.call(Method::GET, &messages, Some(&token), None).await;
    ts.call(
        Method::GET,
        "/api/conversations?limit=500",
        Some(&token),
        None,
    )
    .await;
    ts.call(Method::GET, "/health", None, None).await;
    ts.call(Method::GET, "/nowhere", None, None).await;
    ts.call(Method::PUT, "/api/bots", Some(&token), None).await;

    // Scraping twice shows the same numbers: /metrics does not count itself.
    let first = ts.metrics().await;
    let text = ts.metrics().await;
    let counters = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("http_requests_total{"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(counters(&first), counters(&text));

    let expect = [
        ("POST", "/api/auth/login", 200, 1),
        ("POST", "/api/auth/login", 401, 1),
        ("GET", "/api/bots", 200, 3),
        ("GET", "/api/bots", 401, 1),
        ("PUT", "/api/bots", 405, 1),
        ("POST", "/api/conversations", 201, 1),
        ("POST", "/api/conversations", 404, 1),
        ("GET", "/api/conversations", 400, 1),
        ("POST", "/api/conversations/{id}/messages", 201, 2),
        ("POST", "/api/conversations/{id}/messages", 400, 1),
        ("GET", "/api/conversations/{id}/messages", 200, 1),
        ("GET", "/health", 200, 1),
        ("GET", "unmatched", 404, 1),
    ];
    for (method, route, status, count) in expect {
        assert_eq!(
            requests(&text, method, route, status),
            count,
            "{method} {route} {status}\n{text}"
        );
    }
    let total: u64 = text
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, expect.iter().map(|e| e.3).sum::<u64>());
    assert!(!text.contains("route=\"/metrics\""));

    // The histogram saw the same requests.
    assert_eq!(
        metric(
            &text,
            "http_request_duration_seconds_count{method=\"GET\",route=\"/api/bots\"}"
        ),
        4.0
    );
    assert_eq!(
        metric(
            &text,
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/bots\",le=\"+Inf\"}"
        ),
        4.0
    );
    assert!(metric(&text, "process_resident_memory_bytes") > 1_000_000.0);
    assert!(metric(&text, "bot_cache_misses_total") >= 1.0);
    assert!(metric(&text, "bot_cache_hits_total") >= 3.0);
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn injected_latency_is_visible() {
    let ts = start(ServerConfig {
        latency: Duration::from_millis(150),
        ..fast_config()
    })
    .await;
    let started = Instant::now();
    let token = ts.login("slow").await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    let started = Instant::now();
    let (status, _) = ts.call(Method::GET, "/api/bots", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn injected_jitter_adds_random_delay() {
    let ts = start(ServerConfig {
        jitter: Duration::from_millis(100),
        ..fast_config()
    })
    .await;
    let token = ts.login("jittery").await;
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        ts.call(Method::GET, "/api/bots", Some(&token), None).await;
        slowest = slowest.max(started.elapsed());
    }
    // Ten draws from 0..100 ms all under 10 ms has probability 1e-10.
    assert!(slowest >= Duration::from_millis(10), "{slowest:?}");
}

#[tokio::test]
async fn error_rate_one_fails_every_api_request_but_not_health() {
    let ts = start(ServerConfig {
        error_rate: 1.0,
        ..fast_config()
    })
    .await;
    for _ in 0..10 {
        let (status, body) = ts
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": "x", "password": "demo"})),
            )
            .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, json!({"error": "injected fault"}));
        let (status, _) = ts.call(Method::GET, "/api/bots", None, None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(
        ts.call(Method::GET, "/health", None, None).await.0,
        StatusCode::OK
    );
    let text = ts.metrics().await;
    assert_eq!(requests(&text, "POST", "/api/auth/login", 500), 10);
    assert_eq!(requests(&text, "GET", "/api/bots", 500), 10);
    assert_eq!(requests(&text, "GET", "/health", 200), 1);
}

#[tokio::test]
async fn error_rate_half_fails_about_half() {
    let ts = start(ServerConfig {
        error_rate: 0.5,
        ..fast_config()
    })
    .await;
    // Log in through the fault injection: retry until it gets through.
    let token = loop {
        let (status, body) = ts
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": "coin", "password": "demo"})),
            )
            .await;
        if status == StatusCode::OK {
            break body["token"].as_str().unwrap().to_owned();
        }
    };
    let mut failed = 0;
    for _ in 0..200 {
        let (status, _) = ts.call(Method::GET, "/api/bots", Some(&token), None).await;
        match status {
            StatusCode::OK => {}
            StatusCode::INTERNAL_SERVER_ERROR => failed += 1,
            other => panic!("unexpected {other}"),
        }
    }
    // Binomial(200, 0.5): mean 100, sd ~7; these bounds are > 5 sd wide.
    assert!((60..=140).contains(&failed), "{failed} of 200 failed");
    let text = ts.metrics().await;
    assert_eq!(requests(&text, "GET", "/api/bots", 500), failed);
    assert_eq!(requests(&text, "GET", "/api/bots", 200), 200 - failed);
}

#[tokio::test]
async fn inflight_limit_answers_503_with_retry_after() {
    let ts = start(ServerConfig {
        max_inflight: 2,
        latency: Duration::from_millis(300),
        ..fast_config()
    })
    .await;
    let token = ts.login("crowd").await;
    let responses =
        join_all((0..20).map(|_| ts.http.get(ts.url("/api/bots")).bearer_auth(&token).send()))
            .await;
    let mut ok = 0;
    let mut busy = 0;
    for resp in responses {
        let resp = resp.unwrap();
        match resp.status() {
            StatusCode::OK => ok += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert_eq!(resp.headers()["retry-after"], "1");
                let body: Value = resp.json().await.unwrap();
                assert!(body["error"].as_str().unwrap().contains("busy"));
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok + busy, 20);
    assert!(ok >= 1, "some requests get through");
    assert!(busy >= 10, "most are turned away at once: {busy}");

    // Health and metrics bypass the limit, and rejections are counted.
    assert_eq!(
        ts.call(Method::GET, "/health", None, None).await.0,
        StatusCode::OK
    );
    let text = ts.metrics().await;
    assert_eq!(requests(&text, "GET", "/api/bots", 503), busy);
    assert_eq!(requests(&text, "GET", "/api/bots", 200), ok);
    assert_eq!(metric(&text, "http_requests_rejected_total"), busy as f64);
}
