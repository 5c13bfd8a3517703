//! The send-a-message flow shared by `POST /api/conversations/{id}/messages`
//! and the WebSocket `message` frame, so both store exactly the same things
//! in the same order: the user's message is committed before it is
//! acknowledged, then the reply is generated and committed.

use axum::http::StatusCode;

use crate::db::store;
use crate::error::ApiError;
use crate::model::{Bot, Message, Role};
use crate::reply;
use crate::state::AppState;
use crate::time::now_ms;

/// Checks that conversation `id` exists and belongs to `user_id`, and
/// returns the bot that answers in it. Someone else's conversation is
/// reported exactly like a missing one (404), so ids reveal nothing.
pub(crate) async fn conversation_bot(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<Bot, ApiError> {
    let conversation = state
        .db
        .read(move |conn| store::conversation(conn, id))
        .await?
        .filter(|c| c.user_id == user_id)
        .ok_or_else(|| ApiError::not_found(format!("conversation {id} not found")))?;
    state
        .bots
        .get(&state.db, conversation.bot_id)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "bot {} of conversation {id} is missing",
                    conversation.bot_id
                ),
            )
        })
}

/// Rejects message texts that are empty or only whitespace.
pub(crate) fn check_text(text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::bad_request("text must not be empty"));
    }
    Ok(())
}

/// Commits one message; when this returns the message is durable.
pub(crate) async fn store_message(
    state: &AppState,
    conversation_id: i64,
    role: Role,
    text: String,
) -> Result<Message, ApiError> {
    let now = now_ms();
    Ok(state
        .db
        .write(move |conn| store::insert_message(conn, conversation_id, role, &text, now))
        .await?)
}

/// Waits the simulated inference time, then returns the bot's reply text.
pub(crate) async fn generate_reply(state: &AppState, bot: &Bot, text: &str) -> String {
    if !state.config.inference.is_zero() {
        tokio::time::sleep(state.config.inference).await;
    }
    reply::compose(&bot.persona, text)
}
