//! Ending on time: when the plan's last stage ends, or the run is interrupted (Ctrl-C,
//! SIGTERM), steps still in flight get [`GRACE`] to finish; then they are cancelled and
//! counted as cancelled, not as failures of the target.
//!
//! Goose asks its users to stop and waits for each to finish its current transaction, so
//! a request hanging on a silent server would otherwise hold the run for its whole
//! timeout. Every step races the run-wide [`StopSignal`].

use super::interrupt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long in-flight steps may still run after the plan ends or an interrupt.
pub const GRACE: Duration = Duration::from_secs(3);

/// Open model: how long users' setup may hold the arrival clock back before it starts
/// anyway (users still setting up then join late).
pub const SETUP_BOUND: Duration = Duration::from_secs(60);

/// How often the supervisor looks at the clock and the interrupt flag.
const POLL: Duration = Duration::from_millis(100);

/// The run-wide cancellation signal every step races against.
#[derive(Debug, Clone)]
pub struct StopSignal {
    cancelled: watch::Receiver<bool>,
}

impl StopSignal {
    /// A signal that is never fired, for code run outside an attack.
    pub fn never() -> Self {
        let (tx, cancelled) = watch::channel(false);
        std::mem::forget(tx);
        StopSignal { cancelled }
    }

    /// Whether in-flight steps have been cancelled.
    pub fn is_cancelled(&self) -> bool {
        *self.cancelled.borrow()
    }

    /// Resolves once steps are cancelled (never, if the run ends first).
    pub async fn cancelled(&self) {
        let mut rx = self.cancelled.clone();
        if rx.wait_for(|cancelled| *cancelled).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Starts the supervisor: it fires the signal `grace` (normally [`GRACE`]) after `planned`
/// has passed since `started` (the first user's start; the supervisor's own start until
/// then, plus [`SETUP_BOUND`]), or after an interrupt. With `end_goose` (the open model,
/// whose Goose plan holds its users past the arrival plan) it also ends Goose's plan
/// when the arrival plan is over. Abort the handle when the attack returns.
pub fn supervise(
    planned: Duration,
    grace: Duration,
    started: Arc<OnceLock<Instant>>,
    end_goose: bool,
) -> (StopSignal, JoinHandle<()>) {
    let (tx, cancelled) = watch::channel(false);
    let launched = Instant::now();
    let handle = tokio::spawn(async move {
        loop {
            let plan_end = match started.get() {
                Some(start) => tokio::time::Instant::from_std(*start) + planned,
                None => tokio::time::Instant::from_std(launched) + planned + SETUP_BOUND,
            };
            let now = tokio::time::Instant::now();
            if interrupt::was_interrupted() {
                break;
            }
            if now >= plan_end {
                if end_goose {
                    goose::trigger_killswitch("the arrival plan is over");
                }
                break;
            }
            tokio::time::sleep(POLL.min(plan_end - now)).await;
        }
        let fire_at = tokio::time::Instant::now() + grace;
        let mut fired = false;
        // Until the attack returns and this task is aborted: fire once the grace is
        // over, and keep an interrupt in force (Goose clears its killswitch when it
        // initializes and when its run starts, which would lose a signal caught just
        // before).
        loop {
            interrupt::keep_in_force();
            if !fired && tokio::time::Instant::now() >= fire_at {
                // Keep the sender alive so that waiting steps see `true`, not a closed
                // channel.
                let _ = tx.send(true);
                fired = true;
            }
            tokio::time::sleep(POLL).await;
        }
    });
    (StopSignal { cancelled }, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_after_the_plan_and_its_grace() {
        let started = Arc::new(OnceLock::new());
        started.set(Instant::now()).unwrap();
        let grace = Duration::from_millis(50);
        let (signal, handle) = supervise(Duration::from_millis(50), grace, started, false);
        tokio::time::timeout(Duration::from_secs(10), signal.cancelled())
            .await
            .expect("fires once the plan and the grace period are over");
        assert!(signal.is_cancelled());
        handle.abort();
    }

    #[tokio::test]
    async fn does_not_fire_while_the_plan_runs() {
        let started = Arc::new(OnceLock::new());
        let (signal, handle) = supervise(Duration::from_secs(3600), GRACE, started, false);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!signal.is_cancelled());
        handle.abort();
    }

    #[tokio::test]
    async fn a_signal_never_fired_never_resolves() {
        let signal = StopSignal::never();
        let waited = tokio::time::timeout(Duration::from_millis(50), signal.cancelled()).await;
        assert!(waited.is_err());
    }
}
