//! Helpers shared by the integration tests: start a real server on a free
//! loopback port, talk to it over HTTP and WebSocket, read `/metrics`.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use target_server::{RunningServer, ServerConfig};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A WebSocket client connection.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A running server plus an HTTP client pointed at it.
pub struct TestServer {
    pub server: RunningServer,
    pub base: String,
    pub http: reqwest::Client,
}

/// Config with everything fast: no inference time, no token delay.
pub fn fast_config() -> ServerConfig {
    ServerConfig {
        inference: Duration::ZERO,
        token_delay: Duration::ZERO,
        ..ServerConfig::default()
    }
}

/// Starts a server on 127.0.0.1 with an OS-chosen port.
pub async fn start(config: ServerConfig) -> TestServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = target_server::spawn(config, addr)
        .await
        .expect("server starts");
    let base = server.base_url();
    TestServer {
        server,
        base,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    }
}

impl TestServer {
    /// Full URL for a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs in (creating the user) and returns the token.
    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/auth/login",
                None,
                Some(json!({"username": username, "password": "demo"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Sends a request with an optional bearer token and JSON body; returns
    /// the status and the parsed JSON body (`Value::Null` if not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request succeeds");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a conversation with `bot_id` and returns its id.
    pub async fn conversation(&self, token: &str, bot_id: i64) -> i64 {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/conversations",
                Some(token),
                Some(json!({"bot_id": bot_id})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let resp = self.http.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.unwrap()
    }

    /// Opens the chat WebSocket with `token`.
    pub async fn ws(&self, token: &str) -> Ws {
        let url = format!("{}/ws?token={token}", self.base.replacen("http", "ws", 1));
        let (ws, resp) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
        ws
    }

    /// Walks every page of a list endpoint with `limit`, returning all
    /// items in order and the number of pages.
    pub async fn walk(&self, path: &str, token: &str, limit: u32) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let mut url = format!("{path}{sep}limit={limit}");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let (status, body) = self.call(Method::GET, &url, Some(token), None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            pages += 1;
            let page = body["items"].as_array().unwrap();
            assert!(page.len() <= limit as usize);
            items.extend(page.iter().cloned());
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 1000, "pagination does not end");
        }
        (items, pages)
    }
}

/// Value of the sample `name{labels}` in Prometheus text, 0 if absent.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(series)?;
            rest.strip_prefix(' ')?.trim().parse().ok()
        })
        .unwrap_or(0.0)
}

/// `http_requests_total` for one method, route and status.
pub fn requests(text: &str, method: &str, route: &str, status: u16) -> u64 {
    metric(
        text,
        &format!(
            "http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        ),
    ) as u64
}

/// Sends a JSON text frame.
pub async fn send_json(ws: &mut Ws, value: Value) {
    ws.send(WsMessage::text(value.to_string())).await.unwrap();
}

/// Next JSON text frame, skipping control frames; panics on close or
/// timeout.
pub async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("frame arrives in time")
            .expect("connection open")
            .expect("frame reads");
        match msg {
            WsMessage::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}
