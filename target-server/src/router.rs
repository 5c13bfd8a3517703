//! Which routes exist and which middleware wraps each.
//!
//! API routes (`/api/*` and the `/ws` handshake) get, from the inside out:
//! fault injection, the in-flight limit. Every route and the 404 fallback
//! then get body reading (size limit and body timeout, before the in-flight
//! limit), request accounting and the JSON error safety net; gzip
//! compression wraps everything for bodies of 1 KiB and more. `/health` and
//! `/metrics` skip the limit and fault injection so they keep answering
//! while the API is overloaded or failing on purpose. The `--slowdown`
//! stretch sits between fault injection and the limit, so it times both the
//! injected latency and the handler.

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

use crate::config::MAX_BODY_BYTES;
use crate::middleware::{body, faults, json_errors, limit, track};
use crate::routes;
use crate::slowdown;
use crate::state::AppState;
use crate::ws;

/// Smallest response body worth compressing.
const COMPRESS_MIN_BYTES: u16 = 1024;

/// Builds the complete application.
pub(crate) fn build(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/auth/login", post(routes::auth::login))
        .route("/api/bots", get(routes::bots::list))
        .route(
            "/api/conversations",
            post(routes::conversations::create).get(routes::conversations::list),
        )
        .route(
            "/api/conversations/{id}/messages",
            post(routes::messages::send).get(routes::messages::history),
        )
        .route("/ws", get(ws::upgrade))
        .layer(from_fn_with_state(state.clone(), faults::inject))
        .layer(from_fn_with_state(
            state.config.slowdown,
            slowdown::stretch_response,
        ))
        .layer(from_fn_with_state(state.clone(), limit::limit));

    let compression = CompressionLayer::new().compress_when(
        SizeAbove::new(COMPRESS_MIN_BYTES)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE),
    );

    Router::new()
        .merge(api)
        .route("/health", get(routes::health::health))
        .route("/metrics", get(routes::metrics::metrics))
        .fallback(routes::not_found)
        .layer(from_fn_with_state(state.clone(), body::read_body))
        .layer(from_fn_with_state(state.clone(), track::track))
        .layer(from_fn(json_errors::json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(compression)
        .with_state(state)
}
