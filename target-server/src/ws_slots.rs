//! Bookkeeping of open WebSocket connections: how many are open against
//! `max_ws`, and the tracker graceful shutdown waits on. It knows nothing of
//! the rest of the server, so the shared state can own it; the `ws` module
//! wraps a reservation in a guard that also updates the metrics.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_util::task::task_tracker::TaskTrackerToken;
use tokio_util::task::TaskTracker;

/// Open WebSocket connections and the tasks serving them.
pub(crate) struct Slots {
    open: AtomicUsize,
    max: usize,
    tracker: TaskTracker,
}

impl Slots {
    /// Room for `max` connections.
    pub(crate) fn new(max: usize) -> Self {
        Self {
            open: AtomicUsize::new(0),
            max,
            tracker: TaskTracker::new(),
        }
    }

    /// Takes a place if fewer than `max` are taken; the token keeps
    /// shutdown waiting until it is dropped. Pair with [`Slots::release`].
    pub(crate) fn try_reserve(&self) -> Option<TaskTrackerToken> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            })
            .ok()?;
        Some(self.tracker.token())
    }

    /// Gives back a place taken by [`Slots::try_reserve`].
    pub(crate) fn release(&self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
    }

    /// Waits until every connection (including ones still completing their
    /// handshake) has ended. Called once shutdown has been signalled.
    pub(crate) async fn wait_all_closed(&self) {
        self.tracker.close();
        self.tracker.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_capped_and_given_back() {
        let slots = Slots::new(1);
        let first = slots.try_reserve().unwrap();
        assert!(slots.try_reserve().is_none());
        slots.release();
        drop(first);
        assert!(slots.try_reserve().is_some());
    }
}
