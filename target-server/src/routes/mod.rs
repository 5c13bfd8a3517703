//! HTTP handlers, one module per resource. Wiring them to paths and
//! middleware happens in `router`.

pub(crate) mod auth;
pub(crate) mod bots;
pub(crate) mod conversations;
pub(crate) mod health;
pub(crate) mod messages;
pub(crate) mod metrics;

use axum::http::{Method, Uri};

use crate::error::ApiError;

/// Fallback for paths no route matches: a JSON 404 like every other error.
pub(crate) async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}
