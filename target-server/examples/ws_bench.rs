//! WebSocket benchmark for target-server: N connections in parallel, each
//! doing strict request/response round trips for a bounded time, then the
//! totals and latency percentiles are printed.
//!
//! ```text
//! cargo run --release -p target-server --example ws_bench -- http://127.0.0.1:8080 \
//!     [--connections 32] [--seconds 10] [--mode ping|message] [--password demo]
//! ```
//!
//! `ping` mode measures pure round trips (`ping` -> `pong`); `message` mode
//! sends chat messages and waits for each reply's `done` frame (so it
//! includes storage, inference time and token streaming).
//! Only use it against a server on this machine.

use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// What each round trip is.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// `ping` answered by `pong`.
    Ping,
    /// `message` answered by ack, tokens and `done`.
    Message,
}

/// Flags of the benchmark.
#[derive(Debug, Parser)]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080.
    url: String,
    /// Connections running in parallel.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Round-trip kind.
    #[arg(long, value_enum, default_value_t = Mode::Ping)]
    mode: Mode,
    /// Login password of the server.
    #[arg(long, default_value = "demo")]
    password: String,
}

/// What one connection measured.
struct ConnStats {
    round_trips: u64,
    tokens: u64,
    latencies_us: Vec<u32>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let base = args.url.trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "ws-bench", "password": args.password}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .ok_or("no token in login answer")?
        .to_owned();

    let mut conversations = Vec::new();
    if let Mode::Message = args.mode {
        for i in 0..args.connections {
            let conv: Value = http
                .post(format!("{base}/api/conversations"))
                .bearer_auth(&token)
                .json(&json!({"bot_id": 1 + i % 5}))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            conversations.push(conv["id"].as_i64().ok_or("no conversation id")?);
        }
    }

    let ws_url = format!("{}/ws?token={token}", base.replacen("http", "ws", 1));
    let mut sockets = Vec::new();
    for _ in 0..args.connections {
        let (ws, _) = tokio_tungstenite::connect_async(ws_url.as_str()).await?;
        sockets.push(ws);
    }

    let duration = Duration::from_secs(args.seconds);
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, ws)| {
            let conversation = conversations.get(i).copied();
            tokio::spawn(run_connection(ws, args.mode, conversation, deadline))
        })
        .collect();
    let mut total = ConnStats {
        round_trips: 0,
        tokens: 0,
        latencies_us: Vec::new(),
    };
    for task in tasks {
        let stats = task.await??;
        total.round_trips += stats.round_trips;
        total.tokens += stats.tokens;
        total.latencies_us.extend(stats.latencies_us);
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if total.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((total.latencies_us.len() as f64 * p).ceil() as usize)
            .clamp(1, total.latencies_us.len());
        f64::from(total.latencies_us[i - 1]) / 1000.0
    };
    let kind = match args.mode {
        Mode::Ping => "ping round trips",
        Mode::Message => "chat messages (ack + streamed reply + done)",
    };
    println!(
        "ws_bench: {} connections, {elapsed:.1} s, {kind}",
        args.connections
    );
    println!(
        "  total {}  rate {:.0}/s  latency ms p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        total.round_trips,
        total.round_trips as f64 / elapsed,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    if let Mode::Message = args.mode {
        println!(
            "  tokens streamed {}  rate {:.0}/s",
            total.tokens,
            total.tokens as f64 / elapsed
        );
    }
    Ok(())
}

/// Runs round trips on one socket until `deadline`, then closes it.
async fn run_connection(
    mut ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    mode: Mode,
    conversation: Option<i64>,
    deadline: Instant,
) -> Result<ConnStats, String> {
    let mut stats = ConnStats {
        round_trips: 0,
        tokens: 0,
        latencies_us: Vec::new(),
    };
    let mut seq: u64 = 0;
    while Instant::now() < deadline {
        seq += 1;
        let frame = match mode {
            Mode::Ping => json!({"type": "ping", "t": seq}),
            Mode::Message => json!({
                "type": "message",
                "id": seq.to_string(),
                "conversation_id": conversation,
                "text": format!("benchmark message {seq}"),
            }),
        };
        let sent = Instant::now();
        ws.send(Message::text(frame.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .map_err(|_| "no answer within 30 s".to_owned())?
                .ok_or("connection closed")?
                .map_err(|e| e.to_string())?;
            let Message::Text(text) = msg else { continue };
            let answer: Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
            match answer["type"].as_str() {
                Some("pong") | Some("done") => break,
                Some("token") => stats.tokens += 1,
                Some("ack") => {}
                _ => return Err(format!("unexpected frame {answer}")),
            }
        }
        stats.round_trips += 1;
        let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
        stats.latencies_us.push(micros);
    }
    let _ = ws.close(None).await;
    Ok(stats)
}
