//! `POST /api/conversations` and `GET /api/conversations`: start a
//! conversation with a bot, and list the caller's conversations newest first
//! with cursor pagination.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::auth::AuthUser;
use crate::db::store;
use crate::error::ApiError;
use crate::extract::{encode_cursor, JsonBody, PageParams};
use crate::model::{Conversation, Page};
use crate::state::AppState;
use crate::time::now_ms;

/// Body of `POST /api/conversations`.
#[derive(Deserialize)]
pub(crate) struct CreateRequest {
    bot_id: i64,
}

/// Creates a conversation with an existing bot: 201 with the conversation
/// and a `Location` header, or 404 for an unknown bot.
pub(crate) async fn create(
    State(state): State<AppState>,
    AuthUser(user_id): AuthUser,
    JsonBody(body): JsonBody<CreateRequest>,
) -> Result<Response, ApiError> {
    let bot_id = body.bot_id;
    if state.bots.get(&state.db, bot_id).await?.is_none() {
        return Err(ApiError::not_found(format!("bot {bot_id} not found")));
    }
    let now = now_ms();
    let conversation = state
        .db
        .write(move |conn| store::insert_conversation(conn, user_id, bot_id, now))
        .await?;
    let location = format!("/api/conversations/{}", conversation.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(conversation),
    )
        .into_response())
}

/// Lists the caller's conversations, newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    AuthUser(user_id): AuthUser,
    page: PageParams,
) -> Result<Json<Page<Conversation>>, ApiError> {
    let PageParams { cursor, limit } = page;
    let mut items = state
        .db
        .read(move |conn| store::conversations_page(conn, user_id, cursor, limit + 1))
        .await?;
    Ok(Json(paginate(&mut items, limit, |c| c.id)))
}

/// Turns `limit + 1` fetched rows into a page: the extra row only tells that
/// another page exists, and the last kept row's id becomes the cursor.
pub(crate) fn paginate<T>(items: &mut Vec<T>, limit: u32, id: impl Fn(&T) -> i64) -> Page<T> {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = if more {
        items.last().map(|last| encode_cursor(id(last)))
    } else {
        None
    };
    Page {
        items: std::mem::take(items),
        next_cursor,
    }
}
