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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;
    use crate::db::Db;

    #[tokio::test]
    async fn ok_while_the_database_answers_503_once_it_fails() {
        let db = Db::open(None, 1).unwrap();
        let state = AppState::new(ServerConfig::default(), db.clone());
        assert_eq!(health(State(state.clone())).await.status(), StatusCode::OK);

        // Break the table the health query reads.
        db.write(|conn| conn.execute_batch("DROP TABLE bots"))
            .await
            .unwrap();
        let response = health(State(state)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["status"], "unavailable");
        assert!(body["error"].as_str().unwrap().contains("bots"), "{body}");
    }
}
