//! One WebSocket connection from upgrade to close.
//!
//! A reader loop parses frames and answers pings itself; each chat message
//! runs as its own job, so a long streamed reply never delays a pong or
//! another message. All outgoing frames go through one writer task, which
//! owns the socket's sending half.
//!
//! Closing: when the client leaves, the reader stops; when the server shuts
//! down, the reader stops reading, lets every job that is already under way
//! finish (so each acknowledged message gets its whole reply, stored), then
//! sends close code 1001. A client that breaks the protocol is closed the
//! same way, with the code RFC 6455 names for what it did: 1009 for a frame
//! over the size limit, 1007 for a text frame that is not UTF-8, 1002 for
//! any other protocol violation (reserved bits, an unmasked frame, a bad
//! opcode, a fragmented or oversized control frame, a stray continuation).
//! A client that simply vanishes gets no close frame.

use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::chat;
use crate::config::MAX_WS_JOBS_PER_CONNECTION;
use crate::error::ApiError;
use crate::model::Role;
use crate::reply;
use crate::slowdown::Pace;
use crate::state::AppState;
use crate::ws::protocol::{self, ChatRequest, Incoming, Outgoing};
use crate::ws::Slot;

/// Frames queued for the writer before senders wait.
const OUTBOX: usize = 256;

/// A client that takes longer than this to accept one frame is dropped, so
/// a stalled reader cannot hold the connection (or shutdown) forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait for the client's answer to our close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

type Outbox = mpsc::Sender<Message>;

/// Serves one connection; `slot` is released when this returns.
pub(crate) async fn run(socket: WebSocket, state: AppState, user_id: i64, slot: Slot) {
    let _slot = slot;
    let (sink, mut stream) = socket.split();
    let (outbox, queued) = mpsc::channel(OUTBOX);
    let writer = tokio::spawn(write_loop(sink, queued, state.clone()));
    let mut jobs = JoinSet::new();

    let close = loop {
        tokio::select! {
            biased;
            () = state.shutdown.cancelled() => {
                break Some(close_frame(close_code::AWAY, "server shutting down"));
            }
            Some(_) = jobs.join_next(), if !jobs.is_empty() => {}
            frame = stream.next() => match frame {
                None | Some(Ok(Message::Close(_))) => break None,
                Some(Err(err)) => break violation(&err),
                Some(Ok(Message::Text(text))) => {
                    state.metrics.ws_received();
                    on_text(&state, user_id, text.as_str(), &outbox, &mut jobs).await;
                }
                Some(Ok(Message::Binary(_))) => {
                    state.metrics.ws_received();
                    let frame = Outgoing::Error { id: None, message: "binary frames are not supported" };
                    send(&outbox, &frame).await;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            }
        }
    };

    while jobs.join_next().await.is_some() {}
    drop(outbox);
    let Ok(Some(mut sink)) = writer.await else {
        return;
    };
    match close {
        Some(frame) => {
            if sink.send(Message::Close(Some(frame))).await.is_ok() {
                state.metrics.ws_sent();
                let _ = tokio::time::timeout(CLOSE_GRACE, async {
                    while let Some(Ok(_)) = stream.next().await {}
                })
                .await;
            }
        }
        None => {
            let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
        }
    }
}

/// Handles one text frame: pings are answered here, messages become jobs.
async fn on_text(
    state: &AppState,
    user_id: i64,
    text: &str,
    outbox: &Outbox,
    jobs: &mut JoinSet<()>,
) {
    match protocol::parse(text) {
        Ok(Incoming::Ping(t)) => send(outbox, &Outgoing::Pong { t }).await,
        Ok(Incoming::Message(request)) => {
            if jobs.len() >= MAX_WS_JOBS_PER_CONNECTION {
                let message = format!(
                    "too many messages in progress on this connection (limit {MAX_WS_JOBS_PER_CONNECTION})"
                );
                let frame = Outgoing::Error {
                    id: Some(&request.id),
                    message: &message,
                };
                send(outbox, &frame).await;
                return;
            }
            jobs.spawn(chat_job(state.clone(), user_id, request, outbox.clone()));
        }
        Err(err) => {
            let frame = Outgoing::Error {
                id: err.id.as_ref(),
                message: &err.message,
            };
            send(outbox, &frame).await;
        }
    }
}

/// Stores the message, acknowledges it, streams the reply token by token,
/// stores the reply and reports `done`; any failure becomes an error frame.
async fn chat_job(state: AppState, user_id: i64, request: ChatRequest, outbox: Outbox) {
    let ChatRequest {
        id,
        conversation_id,
        text,
    } = request;
    if let Err(err) = converse(&state, user_id, &id, conversation_id, text, &outbox).await {
        let frame = Outgoing::Error {
            id: Some(&id),
            message: err.message(),
        };
        send(&outbox, &frame).await;
    }
}

async fn converse(
    state: &AppState,
    user_id: i64,
    id: &Value,
    conversation_id: i64,
    text: String,
    outbox: &Outbox,
) -> Result<(), ApiError> {
    let mut pace = Pace::new(state.config.slowdown);
    chat::check_text(&text)?;
    let bot = chat::conversation_bot(state, user_id, conversation_id).await?;
    let message = chat::store_message(state, conversation_id, Role::User, text).await?;
    pace.settle().await;
    send(outbox, &Outgoing::Ack { id }).await;
    let reply = chat::generate_reply(state, &bot, &message.text).await;
    for (i, token) in reply::tokens(&reply).into_iter().enumerate() {
        if i > 0 && !state.config.token_delay.is_zero() {
            tokio::time::sleep(state.config.token_delay).await;
        }
        if i == 0 {
            pace.settle().await;
        } else {
            pace.owe();
        }
        send(outbox, &Outgoing::Token { id, text: token }).await;
    }
    let stored = chat::store_message(state, conversation_id, Role::Bot, reply).await?;
    pace.settle().await;
    send(
        outbox,
        &Outgoing::Done {
            id,
            message_id: stored.id,
        },
    )
    .await;
    Ok(())
}

/// Queues a frame for the writer. A gone client is not an error here: the
/// work still completes and is stored.
async fn send(outbox: &Outbox, frame: &Outgoing<'_>) {
    let _ = outbox.send(Message::Text(frame.to_json().into())).await;
}

/// Writes queued frames until every sender is gone, then hands the sink back
/// for the close frame; `None` if the client stopped accepting frames.
async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut queued: mpsc::Receiver<Message>,
    state: AppState,
) -> Option<SplitSink<WebSocket, Message>> {
    while let Some(message) = queued.recv().await {
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(message)).await {
            Ok(Ok(())) => state.metrics.ws_sent(),
            _ => return None,
        }
    }
    Some(sink)
}

fn close_frame(code: u16, reason: impl Into<String>) -> CloseFrame {
    let mut reason = reason.into();
    // A close frame's reason may take at most 123 bytes.
    while reason.len() > MAX_CLOSE_REASON_BYTES {
        reason.pop();
    }
    CloseFrame {
        code,
        reason: reason.into(),
    }
}

/// Longest close reason a control frame can carry.
const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The close frame a read error calls for, or `None` when the client is
/// simply gone (reset, EOF without a close) and there is nobody to tell.
fn violation(err: &axum::Error) -> Option<CloseFrame> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(err) = current.downcast_ref::<tungstenite::Error>() {
            return close_for(err);
        }
        source = current.source();
    }
    None
}

/// RFC 6455 close codes for what tungstenite refused.
fn close_for(err: &tungstenite::Error) -> Option<CloseFrame> {
    use tungstenite::error::ProtocolError;
    match err {
        tungstenite::Error::Capacity(_) => Some(close_frame(close_code::SIZE, "message too big")),
        tungstenite::Error::Utf8(_) => Some(close_frame(
            close_code::INVALID,
            "text frame is not valid UTF-8",
        )),
        tungstenite::Error::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => None,
        tungstenite::Error::Protocol(err) => Some(close_frame(
            close_code::PROTOCOL,
            format!("protocol error: {err}"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::error::{CapacityError, ProtocolError};

    #[test]
    fn violations_get_their_rfc_6455_close_codes() {
        let code = |err: tungstenite::Error| close_for(&err).map(|frame| frame.code);
        assert_eq!(
            code(tungstenite::Error::Capacity(
                CapacityError::MessageTooLong {
                    size: 2,
                    max_size: 1
                }
            )),
            Some(close_code::SIZE)
        );
        assert_eq!(
            code(tungstenite::Error::Utf8("bad".into())),
            Some(close_code::INVALID)
        );
        assert_eq!(
            code(tungstenite::Error::Protocol(
                ProtocolError::NonZeroReservedBits
            )),
            Some(close_code::PROTOCOL)
        );
        assert_eq!(
            code(tungstenite::Error::Protocol(
                ProtocolError::ResetWithoutClosingHandshake
            )),
            None
        );
        assert_eq!(code(tungstenite::Error::ConnectionClosed), None);
        // Wrapped the way axum hands it over.
        let wrapped = axum::Error::new(tungstenite::Error::Utf8("bad".into()));
        assert_eq!(
            violation(&wrapped).map(|f| f.code),
            Some(close_code::INVALID)
        );
    }

    #[test]
    fn close_reasons_fit_a_control_frame() {
        let frame = close_frame(close_code::PROTOCOL, "é".repeat(100));
        assert!(frame.reason.len() <= MAX_CLOSE_REASON_BYTES);
    }
}
