//! Bearer-token authentication.
//!
//! Login stores a random token in the database (so it survives a restart on
//! a file database) and in the in-memory `sessions` map, so the per-request
//! check is a hash lookup; a token missing from memory is looked up in the
//! database once and remembered.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::db::store;
use crate::error::ApiError;
use crate::state::AppState;

/// A fresh unguessable token: 128 random bits from the OS-seeded CSPRNG, as
/// hex.
pub(crate) fn new_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Resolves a token to its user id, or 401.
pub(crate) async fn authenticate(state: &AppState, token: &str) -> Result<i64, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Err(ApiError::unauthorized("invalid token"));
    }
    if let Some(user_id) = state.sessions.lookup(token) {
        return Ok(user_id);
    }
    let owned = token.to_owned();
    let found = state
        .db
        .read(move |conn| store::session_user(conn, &owned))
        .await?;
    match found {
        Some(user_id) => {
            state.sessions.remember(token, user_id);
            Ok(user_id)
        }
        None => Err(ApiError::unauthorized("invalid token")),
    }
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Extractor for handlers that need a logged-in user; rejects with 401.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuthUser(pub(crate) i64);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(&parts.headers).ok_or_else(|| {
            ApiError::unauthorized("missing bearer token in the Authorization header")
        })?;
        authenticate(state, token).await.map(AuthUser)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_are_random_hex() {
        let a = new_token();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_token());
    }

    #[test]
    fn parses_bearer_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
    }
}
