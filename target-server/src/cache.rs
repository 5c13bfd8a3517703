//! In-process cache of the bot list.
//!
//! Bots are read on every `GET /api/bots`, every new conversation and every
//! reply, but almost never change, so they are kept in memory for a short
//! time-to-live. Hits and misses are counted for `/metrics`, which lets a
//! load test see the cache working (or not).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::{store, Db, DbError};
use crate::model::Bot;

/// The cached bot list plus its counters.
pub(crate) struct BotCache {
    ttl: Duration,
    slot: RwLock<Option<(Instant, Arc<[Bot]>)>>,
    /// Only one caller reloads an expired entry; the others wait for it.
    reload: tokio::sync::Mutex<()>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counter snapshot for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CacheStats {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl BotCache {
    /// An empty cache whose entries live for `ttl`.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slot: RwLock::new(None),
            reload: tokio::sync::Mutex::new(()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The bot list, from memory when fresh, else reloaded from `db`. Each
    /// call counts exactly one hit or one miss.
    pub(crate) async fn all(&self, db: &Db) -> Result<Arc<[Bot]>, DbError> {
        if let Some(bots) = self.fresh() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(bots);
        }
        let _reloading = self.reload.lock().await;
        if let Some(bots) = self.fresh() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(bots);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let bots: Arc<[Bot]> = db.read(|conn| store::bots(conn)).await?.into();
        *self.slot.write().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), Arc::clone(&bots)));
        Ok(bots)
    }

    /// One bot by id (through the same cache).
    pub(crate) async fn get(&self, db: &Db, id: i64) -> Result<Option<Bot>, DbError> {
        Ok(self.all(db).await?.iter().find(|b| b.id == id).cloned())
    }

    /// Current hit and miss counts.
    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    fn fresh(&self) -> Option<Arc<[Bot]>> {
        let slot = self.slot.read().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some((loaded, bots)) if loaded.elapsed() < self.ttl => Some(Arc::clone(bots)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_read_misses_then_hits() {
        let db = Db::open(None, 1).unwrap();
        let cache = BotCache::new(Duration::from_secs(60));
        assert_eq!(cache.all(&db).await.unwrap().len(), 5);
        assert!(cache.get(&db, 2).await.unwrap().is_some());
        assert!(cache.get(&db, 99).await.unwrap().is_none());
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (2, 1));
    }

    #[tokio::test]
    async fn zero_ttl_always_misses() {
        let db = Db::open(None, 1).unwrap();
        let cache = BotCache::new(Duration::ZERO);
        cache.all(&db).await.unwrap();
        cache.all(&db).await.unwrap();
        assert_eq!(cache.stats().misses, 2);
    }
}
