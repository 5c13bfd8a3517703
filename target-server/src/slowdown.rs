//! The `--slowdown F` switch: every answer takes (1 + F) times as long as it
//! otherwise would, so a load test can be shown a known relative regression
//! (+10 % is `--slowdown 0.10`) whatever the server's own speed.
//!
//! HTTP: a middleware times the request through fault injection and the
//! handler, then waits F times that before the response leaves. WebSocket
//! chat: each frame of an answer (ack, every token, done) waits F times the
//! gap since the previous one. Pongs are not slowed: they measure the
//! connection, not the server's work.
//!
//! tokio's timer wakes on millisecond ticks, which would turn a 30 µs wait
//! into a 1 ms one; the last stretch of every wait is therefore slept on a
//! blocking thread, whose OS sleep is precise to tens of microseconds.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The part of a wait slept precisely on a blocking thread (two timer ticks),
/// so a blocking thread is never held for longer than this.
const PRECISE_TAIL: Duration = Duration::from_millis(2);

/// Delays each API response by `factor` (the configured slowdown) times the time
/// it took.
pub(crate) async fn stretch_response(
    State(factor): State<f64>,
    req: Request,
    next: Next,
) -> Response {
    if factor <= 0.0 {
        return next.run(req).await;
    }
    let started = Instant::now();
    let response = next.run(req).await;
    sleep_precisely(started.elapsed().mul_f64(factor)).await;
    response
}

/// Paces the frames of one streamed answer: each waits `factor` times the
/// gap since the previous frame (or since the answer began).
pub(crate) struct Pace {
    factor: f64,
    since: Instant,
}

impl Pace {
    /// Starts timing an answer now.
    pub(crate) fn new(factor: f64) -> Self {
        Self {
            factor,
            since: Instant::now(),
        }
    }

    /// Waits `factor` times the time since the last frame; call just before
    /// sending the next one.
    pub(crate) async fn stretch(&mut self) {
        if self.factor > 0.0 {
            sleep_precisely(self.since.elapsed().mul_f64(self.factor)).await;
        }
        self.since = Instant::now();
    }
}

/// Sleeps for `wait`, to within tens of microseconds rather than a timer tick.
async fn sleep_precisely(wait: Duration) {
    if wait.is_zero() {
        return;
    }
    let deadline = Instant::now() + wait;
    if wait > PRECISE_TAIL {
        tokio::time::sleep_until((deadline - PRECISE_TAIL).into()).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn precise_sleeps_are_never_short() {
        for micros in [0, 40, 900, 2_500, 7_000] {
            let wait = Duration::from_micros(micros);
            let started = Instant::now();
            sleep_precisely(wait).await;
            assert!(started.elapsed() >= wait, "{micros} µs");
        }
    }

    #[tokio::test]
    async fn pace_waits_in_proportion_to_the_gap() {
        let mut pace = Pace::new(1.0);
        std::thread::sleep(Duration::from_millis(5));
        let before = Instant::now();
        pace.stretch().await;
        assert!(before.elapsed() >= Duration::from_millis(5));
        assert!(
            pace.since >= before,
            "the next gap is timed from this frame"
        );
    }
}
