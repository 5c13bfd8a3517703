//! `GET /ws`: the WebSocket endpoint.
//!
//! The handshake is authenticated (`?token=` or a bearer header) and counted
//! against `max_ws` *before* upgrading, so a bad token is a plain 401 and a
//! full server a plain 503, both with JSON bodies. Each accepted connection
//! holds a [`Slot`] for its whole life; slots (counted by `ws_slots`) are
//! also how graceful shutdown waits for every connection to finish its
//! acknowledged work.

pub(crate) mod protocol;
pub(crate) mod session;

use std::collections::HashMap;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::auth::{authenticate, bearer_token};
use crate::config::MAX_WS_MESSAGE_BYTES;
use crate::error::ApiError;
use crate::state::AppState;

/// Bytes a socket reads at a time. Chat frames are small, and each socket holds its
/// buffer for its whole life: 4 KiB instead of tungstenite's 128 KiB lets 10,000 sockets
/// fit in tens of megabytes. A larger frame still arrives whole (the buffer grows to it).
const WS_READ_BUFFER_BYTES: usize = 4 * 1024;

/// One reserved connection; frees its place and updates the gauge on drop.
pub(crate) struct Slot {
    state: AppState,
    _tracked: TaskTrackerToken,
}

impl Slot {
    /// Reserves a place if fewer than `max_ws` connections are open.
    fn try_reserve(state: &AppState) -> Option<Self> {
        let tracked = state.ws.try_reserve()?;
        state.metrics.ws_open(1);
        Some(Self {
            state: state.clone(),
            _tracked: tracked,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.state.ws.release();
        self.state.metrics.ws_open(-1);
    }
}

/// Authenticates, reserves a slot and upgrades to the chat protocol.
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let token = query
        .get("token")
        .map(String::as_str)
        .or_else(|| bearer_token(&headers));
    let Some(token) = token else {
        return ApiError::unauthorized("missing token: use /ws?token=<token>").into_response();
    };
    let user_id = match authenticate(&state, token).await {
        Ok(user_id) => user_id,
        Err(err) => return err.into_response(),
    };
    if state.shutdown.is_cancelled() {
        return ApiError::overloaded("server is shutting down").into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return ApiError::new(rejection.status(), rejection.body_text()).into_response()
        }
    };
    let Some(slot) = Slot::try_reserve(&state) else {
        return ApiError::overloaded(format!(
            "too many WebSocket connections (limit {})",
            state.config.max_ws
        ))
        .into_response();
    };
    upgrade
        .max_message_size(MAX_WS_MESSAGE_BYTES)
        .max_frame_size(MAX_WS_MESSAGE_BYTES)
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| session::run(socket, state, user_id, slot))
}
