//! Error types: [`ServerError`] for starting and running the server, and
//! `ApiError`, which every failed request is turned into so clients always
//! get a JSON body of the form `{"error": "..."}`.

use std::net::SocketAddr;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::db::DbError;

/// Why a server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listening socket could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// Address that was asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Accepting or serving connections failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The database could not be opened or migrated.
    #[error("database error: {0}")]
    Db(#[from] DbError),
    /// A [`crate::ServerConfig`] field is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// A failed request: an HTTP status plus a message for the JSON body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    retry_after_secs: Option<u32>,
}

impl ApiError {
    /// Any status with a message; the helpers below cover the common ones.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    /// 400: the request itself is wrong.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: no usable credentials.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 404: the thing does not exist or is not the caller's.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 503 with `Retry-After`: the server is at a capacity limit.
    pub(crate) fn overloaded(message: impl Into<String>) -> Self {
        Self {
            retry_after_secs: Some(1),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
        }
    }

    /// 500 from fault injection, marked so it is told apart from real bugs.
    pub(crate) fn injected() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "injected fault")
    }

    /// The message put in the JSON body.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        eprintln!("target-server: database error: {err}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal database error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.message }));
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
