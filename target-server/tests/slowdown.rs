//! `--slowdown F` stretches every answer to (1 + F) times its time, over real
//! loopback HTTP and WebSocket. Only lower bounds and orderings are asserted
//! (a wait can never be shorter than asked for), never a speed.

mod common;

use std::time::{Duration, Instant};

use clap::Parser;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use target_server::cli::Cli;
use target_server::ServerConfig;

/// Injected latency each API request gets in these tests.
const LATENCY: Duration = Duration::from_millis(20);

fn config(slowdown: f64) -> ServerConfig {
    ServerConfig {
        latency: LATENCY,
        slowdown,
        ..fast_config()
    }
}

/// Times `n` authenticated GET /api/bots calls, returned sorted.
async fn bot_list_times(server: &TestServer, n: usize) -> Vec<Duration> {
    let token = server.login("slow").await;
    let mut times = Vec::new();
    for _ in 0..n {
        let started = Instant::now();
        let (status, body) = server
            .call(Method::GET, "/api/bots", Some(&token), None)
            .await;
        times.push(started.elapsed());
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    times.sort();
    times
}

#[tokio::test]
async fn http_answers_take_one_plus_f_times_as_long() {
    let plain = start(config(0.0)).await;
    let slowed = start(config(1.0)).await;
    let plain_times = bot_list_times(&plain, 9).await;
    let slowed_times = bot_list_times(&slowed, 9).await;
    // Each slowed answer waited at least the injected latency twice over.
    assert!(
        slowed_times[0] >= LATENCY * 2,
        "fastest slowed answer {:?}",
        slowed_times[0]
    );
    assert!(
        slowed_times[4] > plain_times[4],
        "median slowed {:?} vs plain {:?}",
        slowed_times[4],
        plain_times[4]
    );
    plain.server.shutdown().await;
    slowed.server.shutdown().await;
}

#[tokio::test]
async fn websocket_replies_are_stretched_frame_by_frame() {
    let token_delay = Duration::from_millis(5);
    let inference = Duration::from_millis(20);
    let server = start(ServerConfig {
        slowdown: 1.0,
        token_delay,
        inference,
        ..fast_config()
    })
    .await;
    let token = server.login("ws-slow").await;
    let conversation = server.conversation(&token, 1).await;
    let mut ws = server.ws(&token).await;
    let sent = Instant::now();
    send_json(
        &mut ws,
        json!({"type": "message", "id": "m1", "conversation_id": conversation, "text": "hello"}),
    )
    .await;
    let mut frames = Vec::new();
    let done = loop {
        let frame = next_json(&mut ws).await;
        let kind = frame["type"].as_str().unwrap_or_default().to_owned();
        frames.push(kind.clone());
        if kind == "done" {
            break Instant::now();
        }
        assert!(kind == "ack" || kind == "token", "unexpected frame {frame}");
    };
    assert_eq!(frames[0], "ack");
    let tokens = frames.iter().filter(|k| *k == "token").count() as u32;
    assert!(tokens >= 2, "a reply of several tokens: {frames:?}");
    // Unslowed, the server spends at least inference + (tokens − 1) token delays
    // between receiving the message and sending done; slowed by F = 1, every gap
    // between two frames is doubled. The client's clock started before the send.
    let unslowed_floor = inference + token_delay * (tokens - 1);
    assert!(
        done - sent >= unslowed_floor * 2,
        "send → done took {:?}, expected at least {:?}",
        done - sent,
        unslowed_floor * 2
    );
    server.server.shutdown().await;
}

#[test]
fn the_flag_sets_the_slowdown_and_refuses_nonsense() {
    let cli = Cli::try_parse_from(["target-server", "--slowdown", "0.10"]).unwrap();
    assert_eq!(cli.config().slowdown, 0.10);
    assert_eq!(
        Cli::try_parse_from(["target-server"])
            .unwrap()
            .config()
            .slowdown,
        0.0
    );
    for bad in ["-0.1", "10", "NaN", "fast"] {
        assert!(
            Cli::try_parse_from(["target-server", "--slowdown", bad]).is_err(),
            "{bad} accepted"
        );
    }
    let invalid = ServerConfig {
        slowdown: -1.0,
        ..ServerConfig::default()
    };
    assert!(invalid.validate().is_err());
}
