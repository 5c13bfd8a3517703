//! `POST /api/auth/login`: any username with the configured password gets a
//! token, and the user is created on first login, so a load test can log in
//! as many distinct users as it likes.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use crate::auth::new_token;
use crate::db::store;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::model::LoginResponse;
use crate::state::AppState;
use crate::time::now_ms;

/// Longest username accepted.
const MAX_USERNAME_CHARS: usize = 64;

/// Login request body.
#[derive(Deserialize)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
}

/// Checks the password, creates the user if new and issues a token.
pub(crate) async fn login(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let username = body.username.trim().to_owned();
    if username.is_empty() || username.chars().count() > MAX_USERNAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "username must be 1 to {MAX_USERNAME_CHARS} characters"
        )));
    }
    if body.password != state.config.password {
        return Err(ApiError::unauthorized("invalid username or password"));
    }
    let token = new_token();
    let issued = token.clone();
    let now = now_ms();
    let user_id = state
        .db
        .write(move |conn| store::login(conn, &username, &issued, now))
        .await?;
    state.sessions.remember(&token, user_id);
    Ok(Json(LoginResponse { token, user_id }))
}
