//! The state every handler and middleware shares, built once per server.

use std::ops::Deref;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::cache::BotCache;
use crate::config::ServerConfig;
use crate::db::Db;
use crate::leak::Leak;
use crate::metrics::Metrics;
use crate::sessions::Sessions;
use crate::ws_slots::Slots;

/// Cheap-to-clone handle to [`Shared`].
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

/// Everything one server instance owns.
pub(crate) struct Shared {
    /// The settings the server was started with.
    pub(crate) config: ServerConfig,
    /// The database.
    pub(crate) db: Db,
    /// Cached bot list.
    pub(crate) bots: BotCache,
    /// Token to user lookups.
    pub(crate) sessions: Sessions,
    /// Memory kept on purpose per API request (`--leak-kb-per-request`).
    pub(crate) leak: Leak,
    /// Counters and gauges for `/metrics`.
    pub(crate) metrics: Arc<Metrics>,
    /// Permits for requests in flight (`max_inflight`).
    pub(crate) inflight: Arc<Semaphore>,
    /// Open WebSocket connections and the tasks serving them.
    pub(crate) ws: Slots,
    /// Cancelled when the server starts shutting down; WebSocket sessions
    /// watch it to close with 1001.
    pub(crate) shutdown: CancellationToken,
}

impl AppState {
    /// Builds the state around an opened database.
    pub(crate) fn new(config: ServerConfig, db: Db) -> Self {
        Self(Arc::new(Shared {
            bots: BotCache::new(config.bot_cache_ttl),
            sessions: Sessions::default(),
            leak: Leak::new(config.leak_kb_per_request),
            metrics: Arc::new(Metrics::default()),
            inflight: Arc::new(Semaphore::new(config.max_inflight)),
            ws: Slots::new(config.max_ws),
            shutdown: CancellationToken::new(),
            db,
            config,
        }))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
