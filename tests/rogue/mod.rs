//! A misbehaving server for tests, on a raw tokio `TcpListener` on 127.0.0.1:0 (the
//! reference server cannot misbehave these ways). One request per connection; the route
//! decides the misbehaviour:
//!
//! - `/hang…`: reads the request, never answers (holds the connection up to 2 minutes);
//! - `/garbage`: answers with bytes that are not HTTP;
//! - `/truncated`: announces 1000 body bytes, sends 3, closes;
//! - `/escape`: a 500 whose body holds terminal escape sequences;
//! - `/echo…`: a 500 whose body is the request itself (headers and body);
//! - `/login`: `{"token": TOKEN}`;
//! - `/gzip`: [`GZIP_TEXT`], gzip-compressed; `/badgzip`: says gzip, sends other bytes;
//!   `/gzip-bomb`: 64 MiB of zeros in about 64 KiB of gzip;
//! - `/redirect?to=URL`: a 302 to `URL`; `/redirect307?to=URL`: a 307 to `URL`; `/loop`:
//!   a 302 to itself;
//! - `/sink`: records its body (as `sink: BODY`) and answers `200 ok`;
//! - WebSocket `/ws-flood`: pushes [`FLOOD_FRAMES`] binary frames of 1 MiB as fast as
//!   the client takes them; `/ws-badop`: a frame with an invalid opcode; `/ws-close-esc`:
//!   a close frame whose reason holds escape sequences; any other WebSocket path: accepted
//!   and held open;
//! - a TLS handshake: a plain-HTTP `400`;
//! - anything else: `200 ok`.
//!
//! Every request head is recorded, so tests can check what was (or was not) sent.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The token `/login` hands out.
pub const TOKEN: &str = "tok-EXTRACTED-8888";

/// What `/gzip` answers once decompressed.
pub const GZIP_TEXT: &str = "hello from a gzip body";

/// Frames `/ws-flood` pushes: 320 MiB in all.
pub const FLOOD_FRAMES: usize = 320;

/// How long the server lives at most, so that no test can leave it running.
const LIFETIME: Duration = Duration::from_secs(150);

/// A running rogue server.
pub struct Rogue {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Rogue {
    /// Starts the server on a thread of its own.
    pub fn start() -> Rogue {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                let serve = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        tokio::spawn(handle(stream, log.clone()));
                    }
                };
                let _ = tokio::time::timeout(LIFETIME, serve).await;
            });
        });
        Rogue {
            url: rx.recv().unwrap(),
            seen,
        }
    }

    /// Request lines seen so far (`GET /path?query HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        self.heads()
            .iter()
            .map(|head| head.lines().next().unwrap_or("").to_string())
            .collect()
    }

    /// Request heads (request line and headers) seen so far, and `sink: BODY` entries.
    pub fn heads(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(head)
}

/// The redirect a path asks for: its status line and `Location`.
fn redirect_route(path: &str) -> Option<(&'static str, &str)> {
    if let Some(to) = path.strip_prefix("/redirect307?to=") {
        Some(("307 Temporary Redirect", to))
    } else if let Some(to) = path.strip_prefix("/redirect?to=") {
        Some(("302 Found", to))
    } else {
        path.starts_with("/loop").then_some(("302 Found", "/loop"))
    }
}

/// Where the body starts in what `read_head` read (its end, if there is no blank line).
fn head_end(raw: &[u8]) -> usize {
    raw.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |i| i + 4)
}

/// The request's body, up to its `Content-Length` (at most 64 KiB, 2 s): the part
/// `read_head` already read, then the rest from the stream.
async fn read_body(stream: &mut TcpStream, head: &str, raw: &[u8]) -> Vec<u8> {
    let length: usize = header(head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .min(64 * 1024);
    let mut body = raw[head_end(raw)..].to_vec();
    let mut rest = vec![0u8; length.saturating_sub(body.len())];
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut rest)).await;
    body.extend_from_slice(&rest);
    body
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

async fn respond(stream: &mut TcpStream, status: &str, body: &[u8]) {
    respond_with(stream, status, "", body).await;
}

/// Answers with `extra` header lines (each ending in CRLF) and closes.
async fn respond_with(stream: &mut TcpStream, status: &str, extra: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}

async fn handle(mut stream: TcpStream, seen: Arc<Mutex<Vec<String>>>) {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await.is_ok() && first[0] == 0x16 {
        // A TLS handshake on this plain-HTTP port: answer in plain HTTP, as nginx does.
        respond(&mut stream, "400 Bad Request", b"plain HTTP here").await;
        return;
    }
    let Some(raw) = read_head(&mut stream).await else {
        return;
    };
    let head = String::from_utf8_lossy(&raw).into_owned();
    let request_line = head.lines().next().unwrap_or("").to_string();
    let head_only = head.split("\r\n\r\n").next().unwrap_or("").to_string();
    seen.lock().unwrap().push(head_only);
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
    if header(&head, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return websocket(stream, &head, &path).await;
    }
    if path.starts_with("/hang") {
        tokio::time::sleep(Duration::from_secs(120)).await;
    } else if path.starts_with("/garbage") {
        let _ = stream
            .write_all(b"SSH-2.0-rogue not http at all\r\n\r\n")
            .await;
    } else if path.starts_with("/truncated") {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")
            .await;
    } else if path.starts_with("/escape") {
        respond(
            &mut stream,
            "500 Oops",
            b"\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x9b2J end",
        )
        .await;
    } else if path.starts_with("/echo") {
        let mut echo = raw.clone();
        echo.truncate(head_end(&raw));
        echo.extend_from_slice(&read_body(&mut stream, &head, &raw).await);
        respond(&mut stream, "500 Echo", &echo).await;
    } else if path.starts_with("/gzip") {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        if path.starts_with("/gzip-bomb") {
            let zeros = vec![0u8; 1024 * 1024];
            for _ in 0..64 {
                encoder.write_all(&zeros).unwrap();
            }
        } else {
            encoder.write_all(GZIP_TEXT.as_bytes()).unwrap();
        }
        let body = encoder.finish().unwrap();
        respond_with(&mut stream, "200 OK", "Content-Encoding: gzip\r\n", &body).await;
    } else if path.starts_with("/badgzip") {
        let body = b"this is not gzip at all";
        respond_with(&mut stream, "200 OK", "Content-Encoding: gzip\r\n", body).await;
    } else if let Some((status, to)) = redirect_route(&path) {
        respond_with(&mut stream, status, &format!("Location: {to}\r\n"), b"").await;
    } else if path.starts_with("/sink") {
        let body = read_body(&mut stream, &head, &raw).await;
        seen.lock()
            .unwrap()
            .push(format!("sink: {}", String::from_utf8_lossy(&body)));
        respond(&mut stream, "200 OK", b"ok").await;
    } else if path.starts_with("/login") {
        let body = format!("{{\"token\": \"{TOKEN}\"}}");
        respond(&mut stream, "200 OK", body.as_bytes()).await;
    } else {
        respond(&mut stream, "200 OK", b"ok").await;
    }
}

/// A WebSocket frame from the server (unmasked, FIN set).
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n < 65536 => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

async fn websocket(mut stream: TcpStream, head: &str, path: &str) {
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    let key = header(head, "sec-websocket-key").unwrap_or("");
    let accept = derive_accept_key(key.as_bytes());
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if stream.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    if path.starts_with("/ws-flood") {
        let one = frame(2, &vec![b'x'; 1024 * 1024]);
        for _ in 0..FLOOD_FRAMES {
            if stream.write_all(&one).await.is_err() {
                return;
            }
        }
    } else if path.starts_with("/ws-badop") {
        let _ = stream.write_all(&[0x8f, 1, b'A']).await;
    } else if path.starts_with("/ws-close-esc") {
        let mut payload = 1000u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"\x1b[31mRED\x1b]0;pwned\x07");
        let _ = stream.write_all(&frame(8, &payload)).await;
    }
    // Hold the connection (draining what the client sends) until it closes.
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}
