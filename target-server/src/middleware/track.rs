//! Request accounting for `/metrics`.
//!
//! Applied with `Router::layer`, so it runs after routing and can read the
//! matched route template; being outside the limiter and fault injection,
//! it sees the final status of every request, including rejections.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::{Metrics, UNMATCHED_ROUTE};
use crate::state::AppState;

/// The route that is not counted, so scraping does not skew the numbers.
const METRICS_ROUTE: &str = "/metrics";

/// Counts and times one request.
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched
        .as_ref()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    if route == METRICS_ROUTE {
        return next.run(req).await;
    }
    let method = req.method().clone();
    let started = Instant::now();
    let _in_flight = InFlight::enter(&state.metrics);
    let response = next.run(req).await;
    state.metrics.observe(
        &method,
        route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Holds one unit of the in-flight gauge; dropping it (also when a client
/// disconnects and the request future is dropped midway) gives it back.
struct InFlight<'a>(&'a Metrics);

impl<'a> InFlight<'a> {
    fn enter(metrics: &'a Metrics) -> Self {
        metrics.in_flight(1);
        Self(metrics)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight(-1);
    }
}
