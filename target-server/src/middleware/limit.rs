//! The in-flight limit (`max_inflight`): a request that finds no free permit
//! is answered 503 with `Retry-After: 1` at once, so overload shows up as
//! fast, countable rejections instead of an unbounded queue.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Admits the request if a permit is free, holding it until the response.
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.inflight.clone().try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => {
            state.metrics.rejected();
            ApiError::overloaded(format!(
                "server busy: more than {} requests in flight, retry later",
                state.config.max_inflight
            ))
            .into_response()
        }
    }
}
