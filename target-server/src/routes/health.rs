//! `GET /health`: 200 when the database answers a query in time, 503
//! otherwise, so orchestrators and load tests can wait for readiness.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::db::store;
use crate::state::AppState;

/// How long the database may take before the server is reported unhealthy.
const DB_DEADLINE: Duration = Duration::from_secs(2);

/// Pings the database.
pub(crate) async fn health(State(state): State<AppState>) -> Response {
    let ping = state.db.read(|conn| store::ping(conn));
    match tokio::time::timeout(DB_DEADLINE, ping).await {
        Ok(Ok(())) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Ok(Err(err)) => unavailable(err.to_string()),
        Err(_) => unavailable("database did not answer in time".to_owned()),
    }
}

fn unavailable(reason: String) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "status": "unavailable", "error": reason })),
    )
        .into_response()
}
