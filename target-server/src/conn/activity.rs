//! What one connection is doing, as far as its timeouts and eviction are
//! concerned. Shared by the socket wrapper (`watchdog`, which enforces the
//! header and idle timeouts), the service wrapper (`hooks`, which knows when
//! a request starts and when its response is done) and the `registry`
//! (which may evict the connection to make room).

use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;

use futures_util::task::AtomicWaker;
use tokio_util::sync::CancellationToken;

/// The stage of the request cycle a connection is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for or reading a request head: the header timeout runs.
    Head,
    /// Between two requests of a keep-alive connection: the idle timeout
    /// runs until the next request's first byte.
    Idle,
    /// A request is being handled or its response written. No connection
    /// timeout runs: the body timeout and the handlers bound this stage.
    Busy,
    /// Handed over to a WebSocket session, which has its own rules.
    Upgraded,
}

impl Phase {
    fn code(self) -> u64 {
        match self {
            Phase::Head => 0,
            Phase::Idle => 1,
            Phase::Busy => 2,
            Phase::Upgraded => 3,
        }
    }

    fn from_code(code: u64) -> Self {
        match code {
            0 => Phase::Head,
            1 => Phase::Idle,
            2 => Phase::Busy,
            _ => Phase::Upgraded,
        }
    }
}

/// A connection's phase plus a generation number that changes with every
/// transition, so the watchdog can tell a new `Idle` from an old one.
pub(crate) struct Activity {
    /// Phase code in the low 8 bits, generation above them.
    state: AtomicU64,
    /// Cancelled when the registry evicts the connection.
    evict: CancellationToken,
    /// The task last reading the socket: woken when the connection turns
    /// idle, because hyper may have parked its read before the response
    /// ended, and the idle deadline is only armed by a read.
    reader: AtomicWaker,
}

impl Activity {
    /// A fresh connection: waiting for its first request head.
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU64::new(Phase::Head.code()),
            evict: CancellationToken::new(),
            reader: AtomicWaker::new(),
        }
    }

    /// Registers the task reading the socket, to be woken on transitions.
    pub(crate) fn watch(&self, waker: &Waker) {
        self.reader.register(waker);
    }

    /// The current phase and its generation.
    pub(crate) fn snapshot(&self) -> (Phase, u64) {
        let state = self.state.load(Ordering::Acquire);
        (Phase::from_code(state & 0xff), state >> 8)
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        self.snapshot().0
    }

    /// Moves to `phase`; returns the new generation.
    pub(crate) fn enter(&self, phase: Phase) -> u64 {
        let mut current = self.state.load(Ordering::Acquire);
        loop {
            let next = ((current >> 8).wrapping_add(1) << 8) | phase.code();
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.woke_into(phase);
                    return next >> 8;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Ends the request that made the connection `Busy` at `generation`
    /// (as returned by [`Activity::enter`]): back to `Idle`. If anything
    /// happened since (an upgrade, or the next request has already begun),
    /// this is a no-op.
    pub(crate) fn request_done(&self, generation: u64) {
        let busy = (generation << 8) | Phase::Busy.code();
        let idle = (generation.wrapping_add(1) << 8) | Phase::Idle.code();
        if self
            .state
            .compare_exchange(busy, idle, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.woke_into(Phase::Idle);
        }
    }

    /// Wakes the reader when `phase` starts a deadline it has not armed
    /// yet (only `Idle` can begin while a read is parked).
    fn woke_into(&self, phase: Phase) {
        if phase == Phase::Idle {
            self.reader.wake();
        }
    }

    /// Whether closing the connection now would lose no request: it is
    /// waiting for a head or idle between requests.
    pub(crate) fn is_evictable(&self) -> bool {
        matches!(self.phase(), Phase::Head | Phase::Idle)
    }

    /// Asks the connection's task to close it.
    pub(crate) fn evict(&self) {
        self.evict.cancel();
    }

    /// Whether the connection has been evicted.
    #[cfg(test)]
    pub(crate) fn is_evicted(&self) -> bool {
        self.evict.is_cancelled()
    }

    /// Completes once the connection has been evicted.
    pub(crate) async fn evicted(&self) {
        self.evict.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_change_with_a_new_generation_each_time() {
        let activity = Activity::new();
        let (phase, first) = activity.snapshot();
        assert_eq!(phase, Phase::Head);
        assert!(activity.is_evictable());
        let busy = activity.enter(Phase::Busy);
        assert_eq!(activity.snapshot(), (Phase::Busy, busy));
        assert_ne!(busy, first);
        assert!(!activity.is_evictable());
        activity.request_done(busy);
        assert_eq!(activity.phase(), Phase::Idle);
        assert!(activity.is_evictable());
    }

    #[test]
    fn a_finished_response_does_not_undo_an_upgrade() {
        let activity = Activity::new();
        let busy = activity.enter(Phase::Busy);
        activity.enter(Phase::Upgraded);
        activity.request_done(busy);
        assert_eq!(activity.phase(), Phase::Upgraded);
        assert!(!activity.is_evictable());
    }

    #[test]
    fn a_late_end_of_response_does_not_idle_the_next_request() {
        let activity = Activity::new();
        let first = activity.enter(Phase::Busy);
        let second = activity.enter(Phase::Busy);
        activity.request_done(first);
        assert_eq!(activity.snapshot(), (Phase::Busy, second));
        activity.request_done(second);
        assert_eq!(activity.phase(), Phase::Idle);
    }
}
