//! `POST /api/conversations/{id}/messages` (send a message, get the bot's
//! reply) and `GET /api/conversations/{id}/messages` (history, oldest first,
//! cursor pagination).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::chat;
use crate::db::store;
use crate::error::ApiError;
use crate::extract::{ConversationId, JsonBody, PageParams};
use crate::model::{Exchange, Message, Page, Role};
use crate::routes::conversations::paginate;
use crate::state::AppState;

/// Body of `POST /api/conversations/{id}/messages`.
#[derive(Deserialize)]
pub(crate) struct SendRequest {
    text: String,
}

/// Stores the user's message, generates and stores the reply, and answers
/// 201 with both. The user's message is committed before anything else
/// happens, so a 201 always means it is stored.
pub(crate) async fn send(
    State(state): State<AppState>,
    AuthUser(user_id): AuthUser,
    ConversationId(id): ConversationId,
    JsonBody(body): JsonBody<SendRequest>,
) -> Result<(StatusCode, Json<Exchange>), ApiError> {
    chat::check_text(&body.text)?;
    let bot = chat::conversation_bot(&state, user_id, id).await?;
    let message = chat::store_message(&state, id, Role::User, body.text).await?;
    let reply_text = chat::generate_reply(&state, &bot, &message.text).await;
    let reply = chat::store_message(&state, id, Role::Bot, reply_text).await?;
    Ok((StatusCode::CREATED, Json(Exchange { message, reply })))
}

/// One page of the conversation's history, oldest first.
pub(crate) async fn history(
    State(state): State<AppState>,
    AuthUser(user_id): AuthUser,
    ConversationId(id): ConversationId,
    page: PageParams,
) -> Result<Json<Page<Message>>, ApiError> {
    chat::conversation_bot(&state, user_id, id).await?;
    let PageParams { cursor, limit } = page;
    let mut items = state
        .db
        .read(move |conn| store::messages_page(conn, id, cursor, limit + 1))
        .await?;
    Ok(Json(paginate(&mut items, limit, |m| m.id)))
}
