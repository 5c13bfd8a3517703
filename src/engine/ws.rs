//! WebSocket steps on a connection that lives across one user's steps: connect, send,
//! receive until a JSON-pointer condition, close.
//!
//! Receives are timed from the user's last send, so `ws_receive` after a chat message
//! measures the reply as the user experiences it, and `first:` measures time to the
//! first frame (e.g. the first streamed token).
//!
//! What a server can make loadgate hold is bounded: a message (and a frame) up to
//! [`MAX_MESSAGE_BYTES`], unread frames up to [`MAX_BUFFERED_BYTES`] per connection
//! (then frames are dropped and the next receive fails as `websocket overflow`), and
//! at most [`MAX_WRITE_BUFFER_BYTES`] of unsent writes (pong replies to a server that
//! does not read).

use super::checks::{apply_extracts, pointer_equals, remember_extracted, snippet};
use super::session::{Arrived, Connection, Dropped, UserState};
use super::RunContext;
use crate::metrics::failure::error_chain;
use crate::metrics::{Failure, FailureKind, Sample, StepKind};
use crate::scenario::model::{Body, WsConnect, WsReceive, WsSend};
use crate::scenario::template::UnsetVariable;
use futures_util::SinkExt;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::http::{header, HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

pub use super::session::MAX_BUFFERED_BYTES;

/// Messages (and single frames) past this size end the connection as a failure.
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

/// Unsent bytes a connection may hold before a write fails.
pub const MAX_WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// Bytes a connection reads from its socket at a time. Chat frames are small, and the
/// buffer is held (zero-filled, so resident) for the connection's whole life: 4 KiB
/// rather than tungstenite's 128 KiB keeps 10,000 sockets in tens of megabytes. A
/// larger frame still arrives whole: the buffer grows to fit it, up to the limits.
pub const READ_BUFFER_BYTES: usize = 4 * 1024;

/// The connection limits above, as tungstenite's configuration. Each send is flushed
/// at once, so the write buffer holds one frame at a time.
pub fn websocket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES)
}

fn unset(e: UnsetVariable) -> Failure {
    Failure::new(FailureKind::VariableUnset, e.to_string())
}

fn not_open() -> Failure {
    Failure::new(
        FailureKind::WebSocketClosed,
        "no open WebSocket (closed by the server or a failed connect)",
    )
}

/// Opens the user's WebSocket, closing any it still had from a previous iteration.
pub async fn connect(ctx: &RunContext, name: &str, step: &WsConnect, state: &mut UserState) {
    close_quietly(ctx, state).await;
    let started = Instant::now();
    let outcome = open(ctx, step, state).await;
    let sample = match outcome {
        Ok(()) => Sample {
            latency: Some(started.elapsed()),
            ..Default::default()
        },
        Err(failure) => {
            let latency = (failure.kind != FailureKind::VariableUnset).then(|| started.elapsed());
            Sample {
                latency,
                failure: Some(failure),
                ..Default::default()
            }
        }
    };
    ctx.record(state, name, StepKind::WsConnect, sample);
}

async fn open(ctx: &RunContext, step: &WsConnect, state: &mut UserState) -> Result<(), Failure> {
    let path = step.path.render(&state.vars).map_err(unset)?;
    let (url, joined) = ctx.address.ws_url(&path);
    let mut request = url.as_str().into_client_request().map_err(|e| {
        Failure::new(
            FailureKind::Transport,
            format!("bad WebSocket URL: {}", error_chain(&e)),
        )
    })?;
    if let Ok(parsed) = reqwest::Url::parse(&url) {
        state.secrets.add_query(&parsed);
    }
    for (name, value) in &step.headers {
        let value = value.render(&state.vars).map_err(unset)?;
        state.secrets.add_sent(name, &value);
        let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value),
        ) else {
            return Err(Failure::new(
                FailureKind::Transport,
                format!("header `{name}` is not a valid HTTP header"),
            ));
        };
        request.headers_mut().insert(name, value);
    }
    if joined && !request.headers().contains_key(header::AUTHORIZATION) {
        if let Some(basic) = ctx.address.basic_authorization() {
            if let Ok(value) = HeaderValue::try_from(basic) {
                request.headers_mut().insert(header::AUTHORIZATION, value);
            }
        }
    }
    let timeout = step.timeout.unwrap_or(ctx.default_timeout);
    let handshake =
        tokio_tungstenite::connect_async_with_config(request, Some(websocket_config()), true);
    match tokio::time::timeout(timeout, handshake).await {
        Err(_) => Err(Failure::new(
            FailureKind::Timeout,
            format!("no handshake within {timeout:?}"),
        )),
        Ok(Err(err)) => Err(classify(&err)),
        Ok(Ok((socket, _))) => {
            state.socket = Some(Connection::start(socket));
            ctx.recorder.ws_opened();
            Ok(())
        }
    }
}

/// Sends one text frame and marks the time receives measure from.
pub async fn send(ctx: &RunContext, name: &str, step: &WsSend, state: &mut UserState) {
    let started = Instant::now();
    let mut lost = false;
    let outcome = async {
        let text = match &step.body {
            Body::Json(json) => {
                let doc = json.render(&state.vars).map_err(unset)?;
                state.secrets.add_json(&doc);
                doc.to_string()
            }
            Body::Raw(raw) => {
                let text = raw.render(&state.vars).map_err(unset)?;
                state.secrets.add_raw_body(&text);
                text
            }
        };
        let socket = state.socket.as_mut().ok_or_else(not_open)?;
        let sent_at = Instant::now();
        socket.sink.send(Message::text(text)).await.map_err(|e| {
            lost = true;
            classify(&e)
        })?;
        state.last_send = Some(sent_at);
        Ok(())
    }
    .await;
    let done = Done {
        took: started.elapsed(),
        outcome,
        frames: 0,
        lost,
        dropped: Dropped::default(),
    };
    finish(ctx, name, StepKind::WsSend, state, done);
}

/// Reads frames until the condition holds; records the wait under `name` and, with
/// `first:`, the time to the first frame.
pub async fn receive(ctx: &RunContext, name: &str, step: &WsReceive, state: &mut UserState) {
    let started = Instant::now();
    let from = state.last_send.unwrap_or(started);
    let deadline = started + step.timeout.unwrap_or(ctx.default_timeout);
    let mut frames = 0u64;
    let mut first_recorded = false;
    let mut matched_at = started;
    let mut lost = false;
    // Frames dropped since the last receive left a gap in what this one reads.
    let dropped = state
        .socket
        .as_ref()
        .map(Connection::take_dropped)
        .unwrap_or_default();
    let mut outcome = loop {
        let Some(socket) = state.socket.as_mut() else {
            break Err(not_open());
        };
        let (arrived_at, message) =
            match tokio::time::timeout_at(deadline.into(), socket.next_frame()).await {
                Err(_) => {
                    let waited = deadline.saturating_duration_since(started);
                    break Err(Failure::new(
                        FailureKind::Timeout,
                        format!("condition not met within {waited:?} ({frames} frames)"),
                    ));
                }
                Ok(None) => {
                    lost = true;
                    break Err(Failure::new(
                        FailureKind::WebSocketClosed,
                        "the server closed the connection",
                    ));
                }
                Ok(Some(Arrived {
                    message: Err(err), ..
                })) => {
                    lost = true;
                    break Err(classify(&err));
                }
                Ok(Some(Arrived {
                    at,
                    message: Ok(message),
                    ..
                })) => (at, message),
            };
        if let Message::Close(frame) = &message {
            lost = true;
            let why = frame
                .as_ref()
                .map(|f| format!(" (code {}, {})", u16::from(f.code), f.reason))
                .unwrap_or_default();
            break Err(Failure::new(
                FailureKind::WebSocketClosed,
                format!("the server closed the connection{why}"),
            ));
        }
        frames += 1;
        if !first_recorded {
            first_recorded = true;
            if let Some(first) = &step.first {
                let latency = arrived_at.saturating_duration_since(from);
                let sample = Sample {
                    latency: Some(latency),
                    ..Default::default()
                };
                ctx.record(state, first, StepKind::WsFirstFrame, sample);
            }
        }
        matched_at = arrived_at;
        let Message::Text(text) = &message else {
            if step.until.is_none() {
                break apply_extracts(&step.extract, None, &mut state.vars);
            }
            continue;
        };
        let doc: Option<serde_json::Value> = serde_json::from_str(text.as_str()).ok();
        match (&step.until, &doc) {
            (None, _) => break apply_extracts(&step.extract, doc.as_ref(), &mut state.vars),
            (Some(_), None) => {
                break Err(Failure::new(
                    FailureKind::InvalidBody,
                    format!("frame is not JSON: {}", snippet(text.as_str())),
                ))
            }
            (Some(cond), Some(doc)) if pointer_equals(doc, cond) => {
                break apply_extracts(&step.extract, Some(doc), &mut state.vars)
            }
            _ => {}
        }
    };
    if outcome.is_ok() {
        remember_extracted(&step.extract, state);
    }
    if dropped.frames > 0 && outcome.is_ok() {
        outcome = Err(overflow(dropped));
    }
    if let (Err(failure), Some(first), false) = (&outcome, &step.first, first_recorded) {
        let sample = Sample {
            failure: Some(failure.clone()),
            ..Default::default()
        };
        ctx.record(state, first, StepKind::WsFirstFrame, sample);
    }
    let took = match &outcome {
        Ok(()) => matched_at.saturating_duration_since(from),
        Err(_) => from.elapsed(),
    };
    let done = Done {
        took,
        outcome,
        frames,
        lost,
        dropped,
    };
    finish(ctx, name, StepKind::WsReceive, state, done);
}

fn overflow(dropped: Dropped) -> Failure {
    Failure::new(
        FailureKind::WebSocketOverflow,
        format!(
            "{} frame(s) ({:.1} MiB) dropped unread: the server sent more than the {} MiB \
             loadgate buffers per connection before the scenario read it",
            dropped.frames,
            dropped.bytes as f64 / (1024.0 * 1024.0),
            MAX_BUFFERED_BYTES / (1024 * 1024)
        ),
    )
}

/// Closes the user's WebSocket with a normal close handshake.
pub async fn close(ctx: &RunContext, name: &str, state: &mut UserState) {
    let started = Instant::now();
    close_quietly(ctx, state).await;
    let done = Done {
        took: started.elapsed(),
        outcome: Ok(()),
        frames: 0,
        lost: false,
        dropped: Dropped::default(),
    };
    finish(ctx, name, StepKind::WsClose, state, done);
}

/// Closes the socket if one is open, waiting briefly for the server's close reply.
pub async fn close_quietly(ctx: &RunContext, state: &mut UserState) {
    if let Some(mut connection) = state.socket.take() {
        ctx.recorder.ws_closed();
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            let _ = connection.sink.close().await;
            connection.reader_finished().await;
        })
        .await;
    }
}

/// How a WebSocket step ended.
struct Done {
    took: Duration,
    outcome: Result<(), Failure>,
    frames: u64,
    /// The socket is gone (read or write failed, or the server closed it).
    lost: bool,
    dropped: Dropped,
}

/// Records a WebSocket step; when the socket is gone, drops it.
fn finish(ctx: &RunContext, name: &str, kind: StepKind, state: &mut UserState, done: Done) {
    let latency = match &done.outcome {
        Err(f) if f.kind == FailureKind::VariableUnset => None,
        _ => Some(done.took),
    };
    if done.lost && state.socket.take().is_some() {
        ctx.recorder.ws_closed();
    }
    if done.dropped.frames > 0 {
        ctx.recorder
            .record_frames_dropped(name, kind, done.dropped.frames);
    }
    let sample = Sample {
        latency,
        failure: done.outcome.err(),
        frames: done.frames,
        service: None,
    };
    ctx.record(state, name, kind, sample);
}

/// Classifies a WebSocket error by its kind.
pub fn classify(err: &WsError) -> Failure {
    let detail = error_chain(err);
    let kind = match err {
        WsError::Http(response) => FailureKind::Status(response.status().as_u16()),
        WsError::ConnectionClosed | WsError::AlreadyClosed => FailureKind::WebSocketClosed,
        WsError::Capacity(_) => FailureKind::InvalidBody,
        WsError::Io(io) => FailureKind::from_io(io.kind(), false).unwrap_or(FailureKind::Transport),
        WsError::Protocol(
            ProtocolError::ResetWithoutClosingHandshake | ProtocolError::HandshakeIncomplete,
        ) => FailureKind::ConnectionClosed,
        WsError::Protocol(ProtocolError::HttparseError(_)) | WsError::HttpFormat(_) => {
            FailureKind::InvalidResponse
        }
        WsError::Protocol(_) | WsError::Utf8(_) | WsError::AttackAttempt => {
            FailureKind::ProtocolError
        }
        _ => FailureKind::Transport,
    };
    Failure::new(kind, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified_by_kind() {
        let cases = [
            (
                WsError::Protocol(ProtocolError::InvalidOpcode(15)),
                FailureKind::ProtocolError,
            ),
            (WsError::Utf8("bad".into()), FailureKind::ProtocolError),
            (
                WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
                FailureKind::ConnectionClosed,
            ),
            (
                WsError::Io(std::io::ErrorKind::ConnectionReset.into()),
                FailureKind::ConnectionReset,
            ),
            (WsError::ConnectionClosed, FailureKind::WebSocketClosed),
        ];
        for (err, kind) in cases {
            assert_eq!(classify(&err).kind, kind, "{err}");
        }
    }
}
