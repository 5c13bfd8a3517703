//! The `--leak-kb-per-request` fault: every API request keeps that many kilobytes
//! for good, so a soak test can prove that its memory-growth budget catches a leak
//! (and passes without one).
//!
//! The memory is written to, so it is resident and shows in
//! `process_resident_memory_bytes`, not merely reserved. The leak stops at
//! [`MAX_LEAKED_BYTES`], so a forgotten switch cannot take the machine down.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The most a server leaks in all: 1 GiB.
pub(crate) const MAX_LEAKED_BYTES: u64 = 1 << 30;

/// Memory kept on purpose, request after request.
#[derive(Default)]
pub(crate) struct Leak {
    bytes_per_request: u64,
    /// The most it keeps in all.
    cap: u64,
    held: Mutex<Vec<Box<[u8]>>>,
    total: AtomicU64,
}

impl Leak {
    /// A leak of `kb` kilobytes (1,024 bytes) per request; 0 leaks nothing.
    pub(crate) fn new(kb: u64) -> Self {
        Leak::with_cap(kb, MAX_LEAKED_BYTES)
    }

    /// The same with another cap (tests).
    fn with_cap(kb: u64, cap: u64) -> Self {
        Leak {
            bytes_per_request: kb.saturating_mul(1024),
            cap,
            ..Leak::default()
        }
    }

    /// Keeps this request's share, unless the leak is off or at its cap.
    pub(crate) fn request(&self) {
        let size = self.bytes_per_request;
        if size == 0 || self.total.load(Ordering::Relaxed) + size > self.cap {
            return;
        }
        // Non-zero bytes, so every page is touched and resident.
        let block = vec![0xA5u8; size as usize].into_boxed_slice();
        self.total.fetch_add(size, Ordering::Relaxed);
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(block);
    }

    /// Bytes kept so far.
    pub(crate) fn leaked_bytes(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_it_is_told_up_to_its_cap() {
        let off = Leak::new(0);
        off.request();
        assert_eq!(off.leaked_bytes(), 0);
        let leak = Leak::new(4);
        leak.request();
        leak.request();
        assert_eq!(leak.leaked_bytes(), 8 * 1024);
        let capped = Leak::with_cap(4, 10 * 1024);
        capped.request();
        capped.request();
        capped.request();
        assert_eq!(
            capped.leaked_bytes(),
            8 * 1024,
            "a third would pass the cap"
        );
        assert_eq!(Leak::new(1).cap, MAX_LEAKED_BYTES);
    }
}
