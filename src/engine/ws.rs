//! WebSocket steps on a connection that lives across one user's steps: connect, send,
//! receive until a JSON-pointer condition, close.
//!
//! Receives are timed from the user's last send, so `ws_receive` after a chat message
//! measures the reply as the user experiences it, and `first:` measures time to the
//! first frame (e.g. the first streamed token).

use super::checks::{apply_extracts, pointer_equals, snippet};
use super::session::{Arrived, Connection, UserState};
use super::RunContext;
use crate::metrics::failure::error_chain;
use crate::metrics::{Failure, FailureKind, Sample, StepKind};
use crate::scenario::model::{Body, WsConnect, WsReceive, WsSend};
use crate::scenario::template::UnsetVariable;
use futures_util::SinkExt;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Frames past this size end the connection, so a misbehaving server cannot exhaust memory.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

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
                frames: 0,
            }
        }
    };
    ctx.recorder.record(name, StepKind::WsConnect, sample);
}

async fn open(ctx: &RunContext, step: &WsConnect, state: &mut UserState) -> Result<(), Failure> {
    let path = step.path.render(&state.vars).map_err(unset)?;
    let url = if path.starts_with('/') {
        format!("{}{path}", ctx.ws_base)
    } else {
        path
    };
    let mut request = url.as_str().into_client_request().map_err(|e| {
        Failure::new(
            FailureKind::Transport,
            format!("bad WebSocket URL: {}", error_chain(&e)),
        )
    })?;
    for (header, value) in &step.headers {
        let value = value.render(&state.vars).map_err(unset)?;
        let (Ok(header), Ok(value)) = (
            HeaderName::try_from(header.as_str()),
            HeaderValue::try_from(value),
        ) else {
            return Err(Failure::new(
                FailureKind::Transport,
                format!("header `{header}` is not a valid HTTP header"),
            ));
        };
        request.headers_mut().insert(header, value);
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let timeout = step.timeout.unwrap_or(ctx.default_timeout);
    let handshake = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
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
    let outcome = async {
        let text = match &step.body {
            Body::Json(json) => json.render(&state.vars).map_err(unset)?.to_string(),
            Body::Raw(raw) => raw.render(&state.vars).map_err(unset)?,
        };
        let socket = state.socket.as_mut().ok_or_else(not_open)?;
        let sent_at = Instant::now();
        socket
            .sink
            .send(Message::text(text))
            .await
            .map_err(|e| classify(&e))?;
        state.last_send = Some(sent_at);
        Ok(())
    }
    .await;
    finish(
        ctx,
        name,
        StepKind::WsSend,
        state,
        started.elapsed(),
        outcome,
        0,
    );
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
    let outcome = loop {
        let Some(socket) = state.socket.as_mut() else {
            break Err(not_open());
        };
        let (arrived_at, message) =
            match tokio::time::timeout_at(deadline.into(), socket.frames.recv()).await {
                Err(_) => {
                    let waited = deadline.saturating_duration_since(started);
                    break Err(Failure::new(
                        FailureKind::Timeout,
                        format!("condition not met within {waited:?} ({frames} frames)"),
                    ));
                }
                Ok(None) => {
                    break Err(Failure::new(
                        FailureKind::WebSocketClosed,
                        "the server closed the connection",
                    ))
                }
                Ok(Some(Arrived {
                    message: Err(err), ..
                })) => break Err(classify(&err)),
                Ok(Some(Arrived {
                    at,
                    message: Ok(message),
                })) => (at, message),
            };
        if matches!(
            message,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_)
        ) {
            continue;
        }
        if let Message::Close(frame) = &message {
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
                ctx.recorder.record(first, StepKind::WsFirstFrame, sample);
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
    if let (Err(failure), Some(first), false) = (&outcome, &step.first, first_recorded) {
        let sample = Sample {
            latency: None,
            failure: Some(failure.clone()),
            frames: 0,
        };
        ctx.recorder.record(first, StepKind::WsFirstFrame, sample);
    }
    let latency = match &outcome {
        Ok(()) => matched_at.saturating_duration_since(from),
        Err(_) => from.elapsed(),
    };
    finish(
        ctx,
        name,
        StepKind::WsReceive,
        state,
        latency,
        outcome,
        frames,
    );
}

/// Closes the user's WebSocket with a normal close handshake.
pub async fn close(ctx: &RunContext, name: &str, state: &mut UserState) {
    let started = Instant::now();
    close_quietly(ctx, state).await;
    finish(
        ctx,
        name,
        StepKind::WsClose,
        state,
        started.elapsed(),
        Ok(()),
        0,
    );
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

/// Records a WebSocket step; a failure that means the socket is gone drops it.
fn finish(
    ctx: &RunContext,
    name: &str,
    kind: StepKind,
    state: &mut UserState,
    took: Duration,
    outcome: Result<(), Failure>,
    frames: u64,
) {
    let latency = match &outcome {
        Err(f) if f.kind == FailureKind::VariableUnset => None,
        _ => Some(took),
    };
    if let Err(failure) = &outcome {
        if matches!(
            failure.kind,
            FailureKind::WebSocketClosed | FailureKind::ConnectionReset | FailureKind::Transport
        ) && state.socket.take().is_some()
        {
            ctx.recorder.ws_closed();
        }
    }
    ctx.recorder.record(
        name,
        kind,
        Sample {
            latency,
            failure: outcome.err(),
            frames,
        },
    );
}

/// Classifies a WebSocket error.
fn classify(err: &WsError) -> Failure {
    let detail = error_chain(err);
    let kind = match err {
        WsError::Http(response) => FailureKind::Status(response.status().as_u16()),
        WsError::ConnectionClosed | WsError::AlreadyClosed => FailureKind::WebSocketClosed,
        WsError::Capacity(_) => FailureKind::InvalidBody,
        WsError::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => FailureKind::ConnectionRefused,
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::UnexpectedEof => FailureKind::ConnectionReset,
            _ => FailureKind::Transport,
        },
        WsError::Protocol(_) => FailureKind::ConnectionReset,
        _ => FailureKind::Transport,
    };
    Failure::new(kind, detail)
}
