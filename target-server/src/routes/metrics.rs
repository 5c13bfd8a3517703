//! `GET /metrics`: Prometheus text exposition of the server's metrics.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use crate::state::AppState;

/// Renders all metrics.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(
            state.bots.stats(),
            crate::process::read(),
            state.leak.leaked_bytes(),
        ),
    )
}
