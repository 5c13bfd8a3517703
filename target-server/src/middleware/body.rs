//! Reads every request body in full, bounded in size and in time, before
//! the in-flight limit or a handler sees the request.
//!
//! - A `Content-Length` over [`MAX_BODY_BYTES`] is answered 413 at once,
//!   before a byte of the body is read.
//! - A body without a length (chunked) is counted as it arrives and cut off
//!   with 413 as soon as it passes the limit.
//! - The whole body must arrive within `body_timeout`; otherwise 408.
//!
//! 408 and 413 close the connection (the rest of the body is never read).
//! Because this runs before the in-flight limit, a client trickling its body
//! holds a connection, never one of the `max_inflight` permits that every
//! other request (login included) needs.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::config::MAX_BODY_BYTES;
use crate::error::ApiError;
use crate::state::AppState;

/// Why a body could not be read.
enum Unread {
    TooLarge,
    TooSlow,
    Broken(axum::Error),
}

/// Buffers the body, then passes the request on with the buffered bytes.
pub(crate) async fn read_body(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let announced = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let read = match announced {
        Some(0) => Ok(Bytes::new()),
        Some(length) if length > MAX_BODY_BYTES as u64 => Err(Unread::TooLarge),
        _ => tokio::time::timeout(state.config.body_timeout, collect(body))
            .await
            .unwrap_or(Err(Unread::TooSlow)),
    };
    match read {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(Unread::TooLarge) => closing(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {MAX_BODY_BYTES} bytes"),
        )),
        Err(Unread::TooSlow) => closing(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "request body did not arrive within {} ms",
                state.config.body_timeout.as_millis()
            ),
        )),
        Err(Unread::Broken(err)) => closing(ApiError::bad_request(format!(
            "cannot read request body: {err}"
        ))),
    }
}

/// Reads the body to its end, failing as soon as it passes the limit.
async fn collect(body: Body) -> Result<Bytes, Unread> {
    let mut stream = body.into_data_stream();
    let mut buffered = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(Unread::Broken)?;
        if buffered.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Unread::TooLarge);
        }
        buffered.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buffered))
}

/// The error response, telling the client the connection will close.
fn closing(err: ApiError) -> Response {
    let mut response = err.into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}
