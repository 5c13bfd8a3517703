//! Graceful shutdown and durability: nothing acknowledged is lost across a
//! shutdown under load and a restart on the same database file; WebSockets
//! finish streaming acknowledged replies and close with 1001; the real
//! binary prints its address, serves, and exits 0 on SIGTERM / SIGINT.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{fast_config, next_json, send_json, start, Ws};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use target_server::ServerConfig;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// What one WebSocket client saw before the server closed on it.
#[derive(Default, Debug)]
struct WsOutcome {
    acked: Vec<String>,
    done: HashMap<String, i64>,
    close: Option<CloseCode>,
}

/// Keeps three messages in flight on `ws` until the server closes it.
async fn chatty_ws_client(mut ws: Ws, conversation_id: i64, prefix: String) -> WsOutcome {
    let mut outcome = WsOutcome::default();
    let mut next = 0;
    let mut in_flight = 0;
    let mut can_send = true;
    loop {
        while can_send && in_flight < 3 {
            let id = format!("{prefix}-{next}");
            let frame = json!({"type": "message", "id": id, "conversation_id": conversation_id, "text": id});
            if ws.send(WsMessage::text(frame.to_string())).await.is_err() {
                can_send = false;
                break;
            }
            next += 1;
            in_flight += 1;
        }
        let frame = match tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
            Ok(Some(Ok(frame))) => frame,
            _ => break,
        };
        match frame {
            WsMessage::Text(text) => {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                let id = frame["id"].as_str().unwrap_or_default().to_owned();
                match frame["type"].as_str().unwrap() {
                    "ack" => outcome.acked.push(id),
                    "token" => {}
                    "done" => {
                        outcome
                            .done
                            .insert(id, frame["message_id"].as_i64().unwrap());
                        in_flight -= 1;
                    }
                    _ => panic!("unexpected frame {frame}"),
                }
            }
            WsMessage::Close(frame) => {
                outcome.close = frame.map(|f| f.code);
                break;
            }
            _ => {}
        }
    }
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_survive_shutdown_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        db_path: Some(dir.path().join("chat.db")),
        inference: Duration::from_millis(2),
        token_delay: Duration::from_millis(3),
        ..ServerConfig::default()
    };
    let ts = start(config.clone()).await;
    let token = ts.login("durable").await;

    // REST writers: each posts messages back to back and records every 201.
    let rest_acked: Arc<Mutex<Vec<(String, i64, i64)>>> = Arc::default();
    let mut rest_tasks = Vec::new();
    for c in 0..8 {
        let conv = ts.conversation(&token, 1 + c % 5).await;
        let (http, url, token, acked) = (
            ts.http.clone(),
            ts.url(&format!("/api/conversations/{conv}/messages")),
            token.clone(),
            Arc::clone(&rest_acked),
        );
        rest_tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let text = format!("rest-{c}-{i}");
                let sent = http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"text": text}))
                    .send()
                    .await;
                let Ok(resp) = sent else { break };
                if resp.status() != StatusCode::CREATED {
                    break;
                }
                let Ok(body) = resp.json::<Value>().await else {
                    break;
                };
                acked.lock().await.push((
                    text,
                    body["message"]["id"].as_i64().unwrap(),
                    body["reply"]["id"].as_i64().unwrap(),
                ));
            }
        }));
    }
    // WebSocket writers: several messages in flight per connection.
    let mut ws_tasks = Vec::new();
    for c in 0..4 {
        let conv = ts.conversation(&token, 5).await;
        let ws = ts.ws(&token).await;
        ws_tasks.push((
            conv,
            tokio::spawn(chatty_ws_client(ws, conv, format!("ws-{c}"))),
        ));
    }

    tokio::time::sleep(Duration::from_millis(600)).await;
    let common::TestServer { server, .. } = ts;
    let began = Instant::now();
    server.shutdown().await;
    eprintln!("shutdown took {:?}", began.elapsed());

    for task in rest_tasks {
        task.await.unwrap();
    }
    let mut ws_outcomes = Vec::new();
    for (conv, task) in ws_tasks {
        let outcome = task.await.unwrap();
        assert_eq!(outcome.close, Some(CloseCode::Away), "{outcome:?}");
        for id in &outcome.acked {
            assert!(
                outcome.done.contains_key(id),
                "acked {id} was not fully streamed before close"
            );
        }
        ws_outcomes.push((conv, outcome));
    }
    let rest_acked = rest_acked.lock().await.clone();
    assert!(
        !rest_acked.is_empty(),
        "REST traffic flowed before shutdown"
    );
    assert!(
        ws_outcomes.iter().any(|(_, o)| !o.acked.is_empty()),
        "WebSocket traffic flowed before shutdown"
    );

    // Restart on the same file: every acknowledged message is there, and
    // the old token still works (sessions are stored too).
    let ts = start(config).await;
    let (status, _) = ts.call(Method::GET, "/api/bots", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (conversations, _) = ts.walk("/api/conversations", &token, 100).await;
    assert_eq!(conversations.len(), 12);
    let mut stored: HashMap<i64, (String, String)> = HashMap::new();
    for conv in &conversations {
        let path = format!("/api/conversations/{}/messages", conv["id"]);
        let (items, _) = ts.walk(&path, &token, 100).await;
        for m in items {
            stored.insert(
                m["id"].as_i64().unwrap(),
                (
                    m["role"].as_str().unwrap().to_owned(),
                    m["text"].as_str().unwrap().to_owned(),
                ),
            );
        }
    }
    for (text, message_id, reply_id) in &rest_acked {
        assert_eq!(
            stored.get(message_id),
            Some(&("user".to_owned(), text.clone()))
        );
        assert_eq!(stored.get(reply_id).map(|m| m.0.as_str()), Some("bot"));
    }
    let user_texts: HashSet<&str> = stored
        .values()
        .filter(|(role, _)| role == "user")
        .map(|(_, text)| text.as_str())
        .collect();
    let mut ws_acked = 0;
    for (_, outcome) in &ws_outcomes {
        for id in &outcome.acked {
            assert!(user_texts.contains(id.as_str()), "acked {id} is lost");
            ws_acked += 1;
        }
        for reply_id in outcome.done.values() {
            assert_eq!(stored.get(reply_id).map(|m| m.0.as_str()), Some("bot"));
        }
    }
    eprintln!(
        "{} REST and {ws_acked} WebSocket messages acknowledged, all stored",
        rest_acked.len()
    );
    ts.server.shutdown().await;
}

#[tokio::test]
async fn shutdown_finishes_a_streaming_reply_then_closes_1001() {
    let ts = start(ServerConfig {
        token_delay: Duration::from_millis(15),
        ..fast_config()
    })
    .await;
    let token = ts.login("streamer").await;
    let conv = ts.conversation(&token, 3).await;
    let mut ws = ts.ws(&token).await;
    send_json(
        &mut ws,
        json!({"type": "message", "id": "long", "conversation_id": conv, "text": "tell me a long story please"}),
    )
    .await;
    assert_eq!(next_json(&mut ws).await["type"], "ack");
    let first = next_json(&mut ws).await;
    assert_eq!(first["type"], "token");

    let common::TestServer { server, .. } = ts;
    let shutdown = tokio::spawn(server.shutdown());

    let mut tokens = 1;
    let close = loop {
        match ws.next().await.expect("socket open").expect("frame") {
            WsMessage::Text(text) => {
                let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                match frame["type"].as_str().unwrap() {
                    "token" => tokens += 1,
                    "done" => assert!(frame["message_id"].as_i64().is_some()),
                    other => panic!("unexpected {other}"),
                }
            }
            WsMessage::Close(frame) => break frame.unwrap(),
            _ => {}
        }
    };
    assert!(
        tokens > 5,
        "the whole reply was streamed first ({tokens} tokens)"
    );
    assert_eq!(close.code, CloseCode::Away);
    drop(ws);
    tokio::time::timeout(Duration::from_secs(10), shutdown)
        .await
        .expect("shutdown completes")
        .unwrap();
}

/// Starts the real binary with `args` and returns it with its base URL
/// (from the first stdout line).
fn start_binary(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_target-server"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line:?}");
    assert_eq!(line, format!("listening on {url}\n"));
    (child, url)
}

/// Sends `signal` and waits (bounded) for the process to exit.
fn stop_binary(mut child: Child, signal: libc::c_int) -> std::process::ExitStatus {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill only sends a signal to the child we spawned.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("binary did not exit after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn binary_serves_persists_and_exits_zero_on_signals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bin.db");
    let db = db.to_str().unwrap();
    let http = reqwest::Client::new();

    let (child, url) = start_binary(&["--db", db, "--inference", "0"]);
    let health = http.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let login: Value = http
        .post(format!("{url}/api/auth/login"))
        .json(&json!({"username": "cli", "password": "demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let conv: Value = http
        .post(format!("{url}/api/conversations"))
        .bearer_auth(&token)
        .json(&json!({"bot_id": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = format!("/api/conversations/{}/messages", conv["id"]);
    let sent = http
        .post(format!("{url}{messages}"))
        .bearer_auth(&token)
        .json(&json!({"text": "remember me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let status = stop_binary(child, libc::SIGTERM);
    assert!(status.success(), "SIGTERM exit: {status:?}");

    let (child, url) = start_binary(&["--db", db]);
    let history: Value = http
        .get(format!("{url}{messages}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["items"][0]["text"], "remember me");
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    let status = stop_binary(child, libc::SIGINT);
    assert!(status.success(), "SIGINT exit: {status:?}");
}

#[test]
fn binary_rejects_bad_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_target-server"))
        .args(["--error-rate", "2"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 0 and 1"));
}
