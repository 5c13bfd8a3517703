//! The connection cap (`max_connections`).
//!
//! Every accepted connection is registered for as long as its socket is
//! open, WebSocket connections included. At the cap, a new connection
//! evicts the oldest one that has no request in progress (waiting for a
//! head, or idle between requests); if every connection is busy, the new one
//! is refused (closed at once). Either way the server keeps file
//! descriptors to spare and a flood of idle connections cannot keep a
//! request such as `/health` from being accepted.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::conn::activity::Activity;
use crate::metrics::{DropReason, Metrics};

/// The open connections of one server, oldest first.
pub(crate) struct Registry {
    max: usize,
    metrics: Arc<Metrics>,
    inner: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    /// Accept order -> the connection's activity; the smallest id is the
    /// oldest connection.
    by_age: BTreeMap<u64, Arc<Activity>>,
}

impl Registry {
    /// Room for `max` connections.
    pub(crate) fn new(max: usize, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Self {
            max,
            metrics,
            inner: Mutex::new(Open::default()),
        })
    }

    /// Registers a newly accepted connection, evicting the oldest idle one
    /// if the server is full; `None` if it is full of busy connections.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Registered> {
        let mut open = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if open.by_age.len() >= self.max {
            let oldest_idle = open
                .by_age
                .iter()
                .find(|(_, activity)| activity.is_evictable())
                .map(|(id, _)| *id);
            let Some(id) = oldest_idle else {
                drop(open);
                self.metrics.connection_dropped(DropReason::Refused);
                return None;
            };
            if let Some(evicted) = open.by_age.remove(&id) {
                evicted.evict();
                self.metrics.connection_dropped(DropReason::Evicted);
            }
        }
        let id = open.next_id;
        open.next_id += 1;
        let activity = Arc::new(Activity::new());
        open.by_age.insert(id, activity.clone());
        drop(open);
        self.metrics.connection_open(1);
        Some(Registered {
            registry: self.clone(),
            id,
            activity,
        })
    }

    /// Connections currently registered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .by_age
            .len()
    }
}

/// One registered connection; leaves the registry when dropped, which is
/// when its socket closes.
pub(crate) struct Registered {
    registry: Arc<Registry>,
    id: u64,
    activity: Arc<Activity>,
}

impl Registered {
    /// The connection's shared activity.
    pub(crate) fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut open = self
            .registry
            .inner
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // An evicted connection has already left the map.
        open.by_age.remove(&self.id);
        drop(open);
        self.registry.metrics.connection_open(-1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::activity::Phase;

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let registry = Registry::new(2, Arc::new(Metrics::default()));
        let first = registry.admit().unwrap();
        let second = registry.admit().unwrap();
        first.activity().enter(Phase::Busy);
        let third = registry.admit().unwrap();
        assert_eq!(registry.len(), 2);
        // The busy first connection stayed; the idle second one was evicted.
        assert!(!first.activity().is_evicted());
        assert!(second.activity().is_evicted());
        drop(second);
        assert_eq!(registry.len(), 2);

        // Both remaining connections busy: the next one is refused.
        third.activity().enter(Phase::Upgraded);
        assert!(registry.admit().is_none());
        drop(first);
        assert_eq!(registry.len(), 1);
        assert!(registry.admit().is_some());
    }
}
