//! Server configuration and the fixed limits of the wire protocol.
//!
//! Everything a load test may want to vary is a field of [`ServerConfig`];
//! the limits below are constants because clients (and loadgate's tests)
//! rely on them being the same everywhere.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::ServerError;

/// Largest accepted request body; a bigger one is answered with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Largest accepted WebSocket message or frame; a bigger one closes the
/// connection with close code 1009.
pub const MAX_WS_MESSAGE_BYTES: usize = 64 * 1024;

/// Page size used when a list request gives no `limit`.
pub const DEFAULT_PAGE_LIMIT: u32 = 20;

/// Largest page a list request may ask for; a larger `limit` is a 400.
pub const MAX_PAGE_LIMIT: u32 = 100;

/// Chat messages one WebSocket connection may have in progress at once, so a
/// single client cannot queue unbounded work.
pub const MAX_WS_JOBS_PER_CONNECTION: usize = 32;

/// Largest `--slowdown`: answers ten times slower than normal.
pub const MAX_SLOWDOWN: f64 = 9.0;

/// Everything that can be tuned when starting a server.
///
/// The defaults describe a fast, healthy server: no injected latency or
/// errors, a tiny simulated inference time and an in-memory database.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The password every username logs in with (users are created on
    /// first login), so load tests can mint any number of users.
    pub password: String,
    /// Fixed delay added before every API request is handled.
    pub latency: Duration,
    /// Upper bound of a uniformly random extra delay added on top of
    /// `latency`.
    pub jitter: Duration,
    /// Fraction (0.0..=1.0) of API requests answered with an injected 500.
    pub error_rate: f64,
    /// Relative slowdown: every answer takes (1 + `slowdown`) times as long,
    /// so a load test can be shown a known regression (0.10 is +10 %).
    pub slowdown: f64,
    /// Delay between two streamed reply tokens on the WebSocket.
    pub token_delay: Duration,
    /// Simulated model inference time before a reply is produced.
    pub inference: Duration,
    /// SQLite file to keep data in across restarts; `None` keeps everything
    /// in memory.
    pub db_path: Option<PathBuf>,
    /// Requests handled at once; past this the server answers 503 with
    /// `Retry-After: 1` instead of queueing without bound.
    pub max_inflight: usize,
    /// Open WebSocket connections allowed at once; past this an upgrade is
    /// refused with 503.
    pub max_ws: usize,
    /// How long the bot list stays cached before it is read again.
    pub bot_cache_ttl: Duration,
    /// Read-only connections in the pool when `db_path` is set (an in-memory
    /// database always uses a single connection).
    pub db_readers: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            password: "demo".to_owned(),
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            error_rate: 0.0,
            slowdown: 0.0,
            token_delay: Duration::from_millis(1),
            inference: Duration::from_millis(2),
            db_path: None,
            max_inflight: 512,
            max_ws: 10_000,
            bot_cache_ttl: Duration::from_secs(5),
            db_readers: 4,
        }
    }
}

impl ServerConfig {
    /// Rejects settings that would make the server misbehave rather than
    /// failing later at request time.
    pub fn validate(&self) -> Result<(), ServerError> {
        if !(0.0..=1.0).contains(&self.error_rate) || self.error_rate.is_nan() {
            return Err(ServerError::Config(format!(
                "error_rate must be between 0 and 1, got {}",
                self.error_rate
            )));
        }
        if !(0.0..=MAX_SLOWDOWN).contains(&self.slowdown) || self.slowdown.is_nan() {
            return Err(ServerError::Config(format!(
                "slowdown must be between 0 and {MAX_SLOWDOWN}, got {}",
                self.slowdown
            )));
        }
        if self.max_inflight == 0 {
            return Err(ServerError::Config(
                "max_inflight must be at least 1".into(),
            ));
        }
        if self.db_readers == 0 {
            return Err(ServerError::Config("db_readers must be at least 1".into()));
        }
        if self.password.is_empty() {
            return Err(ServerError::Config("password must not be empty".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_healthy() {
        let config = ServerConfig::default();
        config.validate().unwrap();
        assert_eq!(config.error_rate, 0.0);
        assert_eq!(config.latency, Duration::ZERO);
        assert_eq!(config.password, "demo");
    }

    #[test]
    fn out_of_range_error_rate_is_rejected() {
        let config = ServerConfig {
            error_rate: 1.5,
            ..ServerConfig::default()
        };
        assert!(config.validate().is_err());
    }
}
