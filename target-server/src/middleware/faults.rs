//! Fault injection for API routes: a fixed latency plus uniform random
//! jitter before the handler runs, a configurable fraction of requests
//! answered with a JSON 500 instead of reaching the handler (so an injected
//! error never has side effects), and memory kept for good per request
//! (`--leak-kb-per-request`). `/health` and `/metrics` are exempt.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use crate::error::ApiError;
use crate::state::AppState;

/// Delays, then either fails the request or passes it on.
pub(crate) async fn inject(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let config = &state.config;
    state.leak.request();
    let (delay, fail) = {
        let mut rng = rand::rng();
        let jitter = if config.jitter.is_zero() {
            Duration::ZERO
        } else {
            config.jitter.mul_f64(rng.random::<f64>())
        };
        let fail = config.error_rate > 0.0 && rng.random::<f64>() < config.error_rate;
        (config.latency + jitter, fail)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if fail {
        return ApiError::injected().into_response();
    }
    next.run(req).await
}
