//! `GET /api/bots`: the seeded bots, straight from the in-process cache.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::model::Bot;
use crate::state::AppState;

/// Lists every bot (a JSON array).
pub(crate) async fn list(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Result<Json<Arc<[Bot]>>, ApiError> {
    Ok(Json(state.bots.all(&state.db).await?))
}
