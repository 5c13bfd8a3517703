//! The `--slowdown F` switch: every answer takes (1 + F) times as long as it
//! otherwise would, so a load test can be shown a known relative regression
//! (+10 % is `--slowdown 0.10`) whatever the server's own speed.
//!
//! HTTP: a middleware times the request through fault injection and the
//! handler, then waits F times that before the response leaves. WebSocket
//! chat: the ack, the first token and `done` each leave F times later than
//! they would have (counted from the message's arrival); the tokens between
//! them add their share to what is owed at `done`, so a reply of fifty tokens
//! pays three waits, not fifty. Pongs are not slowed: they measure the
//! connection, not the server's work.
//!
//! tokio's timer wakes on millisecond ticks, which would turn a 30 µs wait
//! into a 1 ms one; the last stretch of every wait is therefore slept on a
//! blocking thread, whose OS sleep is precise to tens of microseconds. Each
//! such wait costs a thread hand-off (about 0.1 ms on a busy machine), which
//! is why waits are paid per answer milestone rather than per frame.

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

/// Paces the frames of one streamed answer: by each milestone frame, the
/// answer has waited `factor` times the work done so far.
pub(crate) struct Pace {
    factor: f64,
    /// When the time not yet accounted for began.
    since: Instant,
    /// Waiting owed for work already done.
    owed: Duration,
}

impl Pace {
    /// Starts timing an answer now.
    pub(crate) fn new(factor: f64) -> Self {
        Self {
            factor,
            since: Instant::now(),
            owed: Duration::ZERO,
        }
    }

    /// Adds `factor` times the work since the last call to what is owed;
    /// call before a frame that nobody times on its own (a middle token).
    pub(crate) fn owe(&mut self) {
        let now = Instant::now();
        if self.factor > 0.0 {
            self.owed += (now - self.since).mul_f64(self.factor);
        }
        self.since = now;
    }

    /// Waits everything owed, including for the work just done; call just
    /// before a milestone frame (ack, first token, done).
    pub(crate) async fn settle(&mut self) {
        self.owe();
        let owed = std::mem::take(&mut self.owed);
        sleep_precisely(owed).await;
        // Time spent waiting is not work: it is never stretched again.
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
    async fn pace_pays_what_the_middle_frames_owe_at_the_next_milestone() {
        let mut pace = Pace::new(1.0);
        std::thread::sleep(Duration::from_millis(3));
        pace.owe();
        std::thread::sleep(Duration::from_millis(2));
        pace.owe();
        assert!(pace.owed >= Duration::from_millis(5), "{:?}", pace.owed);
        let before = Instant::now();
        pace.settle().await;
        assert!(before.elapsed() >= Duration::from_millis(5));
        assert_eq!(pace.owed, Duration::ZERO);
        assert!(pace.since >= before, "the wait itself is not stretched");
    }

    #[tokio::test]
    async fn no_slowdown_owes_nothing() {
        let mut pace = Pace::new(0.0);
        std::thread::sleep(Duration::from_millis(2));
        pace.owe();
        assert_eq!(pace.owed, Duration::ZERO);
    }
}
