//! Request extractors whose every failure is a JSON [`ApiError`] with a
//! message naming the problem, instead of axum's plain-text rejections.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::config::{DEFAULT_PAGE_LIMIT, MAX_BODY_BYTES, MAX_PAGE_LIMIT};
use crate::error::ApiError;

/// A JSON request body parsed into `T`. The `Content-Type` header is not
/// checked (load-test tools often omit it); the body must be JSON and at
/// most [`MAX_BODY_BYTES`] long.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::bad_request(format!("cannot read request body: {rejection}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "request body is empty, expected JSON",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|err| ApiError::bad_request(describe_json_error(&err)))
    }
}

/// serde_json's message without the trailing " at line L column C", which
/// means little to an HTTP client; syntax errors keep a short position hint.
pub(crate) fn describe_json_error(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    match err.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("malformed JSON: {message} (column {})", err.column())
        }
        _ => message.to_owned(),
    }
}

/// `?cursor=&limit=` of a list endpoint, validated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageParams {
    /// Id from the previous page's `next_cursor`; `None` for the first page.
    pub(crate) cursor: Option<i64>,
    /// Page size, 1..=[`MAX_PAGE_LIMIT`].
    pub(crate) limit: u32,
}

impl<S: Send + Sync> FromRequestParts<S> for PageParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))?;
        let limit = match params.get("limit").map(|s| s.trim()) {
            None | Some("") => DEFAULT_PAGE_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=i64::from(MAX_PAGE_LIMIT)).contains(&n) => n as u32,
                Ok(n) if n > i64::from(MAX_PAGE_LIMIT) => {
                    return Err(ApiError::bad_request(format!(
                        "limit must be at most {MAX_PAGE_LIMIT}, got {n}"
                    )))
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "limit must be an integer from 1 to {MAX_PAGE_LIMIT}, got `{raw}`"
                    )))
                }
            },
        };
        let cursor = match params.get("cursor").map(|s| s.trim()) {
            None | Some("") => None,
            Some(raw) => Some(
                decode_cursor(raw)
                    .ok_or_else(|| ApiError::bad_request(format!("invalid cursor `{raw}`")))?,
            ),
        };
        Ok(Self { cursor, limit })
    }
}

/// Cursors are opaque to clients; today they are the boundary id, prefixed
/// so a client cannot mistake them for an id.
pub(crate) fn encode_cursor(id: i64) -> String {
    format!("i{id}")
}

fn decode_cursor(raw: &str) -> Option<i64> {
    raw.strip_prefix('i')?.parse().ok().filter(|id| *id > 0)
}

/// The `{id}` segment of a conversation path, as a positive integer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConversationId(pub(crate) i64);

impl<S: Send + Sync> FromRequestParts<S> for ConversationId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid path: {e}")))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(ConversationId)
            .ok_or_else(|| ApiError::bad_request(format!("invalid conversation id `{raw}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        text: String,
    }

    #[test]
    fn json_errors_name_the_problem() {
        let err = serde_json::from_str::<Body>("{}").unwrap_err();
        assert_eq!(describe_json_error(&err), "missing field `text`");
        let err = serde_json::from_str::<Body>("{\"text\":").unwrap_err();
        assert!(describe_json_error(&err).starts_with("malformed JSON"));
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("42"), None);
        assert_eq!(decode_cursor("i-1"), None);
    }
}
