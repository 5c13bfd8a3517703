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

/// File descriptors kept free below the open-file limit when
/// `max_connections` is derived from it: the database, the listener and
/// whatever else the process opens still need some.
pub const FD_RESERVE: usize = 256;

/// Ceiling of the derived `max_connections` when the open-file limit is
/// unlimited or absurdly high.
const MAX_DERIVED_CONNECTIONS: usize = 100_000;

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
    /// How long a client may take to send a request's head (request line and
    /// headers), counted from the connection's start or from the first byte
    /// of a later request; past it the connection is closed, so a client
    /// trickling headers cannot hold a connection for ever.
    pub header_timeout: Duration,
    /// How long a request's whole body may take to arrive once its head is
    /// in; past it the request is answered 408 and the connection closed.
    /// Bodies are read before the in-flight limit is consulted, so slow
    /// uploads never hold the permits other requests need.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may sit between requests without
    /// sending a byte before the server closes it.
    pub idle_timeout: Duration,
    /// TCP connections served at once (WebSocket ones included). A new
    /// connection past this closes the oldest one that has no request in
    /// progress, or is itself closed if every connection is busy, so the
    /// server never runs out of file descriptors and a flood of idle
    /// connections cannot lock out `/health`.
    pub max_connections: usize,
    /// Kilobytes (1,024 bytes) every API request keeps for good, up to 1 GiB in
    /// all: a memory leak on purpose, so a soak test can show its growth budget
    /// catches one. 0 (the default) leaks nothing.
    pub leak_kb_per_request: u64,
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
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: default_max_connections(),
            leak_kb_per_request: 0,
        }
    }
}

/// Raises the process's soft open-files limit to its hard limit (any process may), so
/// that the default connection cap is what the machine allows rather than the usual
/// soft limit of 1,024: 10,000 WebSockets need more than 10,000 descriptors. The
/// binary calls it before reading its flags.
pub fn raise_open_files_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &raised);
        }
    }
}

/// The process's open-file limit minus [`FD_RESERVE`] (at least 64, at most
/// 100,000): as many connections as the server can hold without `accept`
/// failing for want of a file descriptor.
pub fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct it is given.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1024
    };
    soft.saturating_sub(FD_RESERVE)
        .clamp(64, MAX_DERIVED_CONNECTIONS)
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
        if self.max_connections == 0 {
            return Err(ServerError::Config(
                "max_connections must be at least 1".into(),
            ));
        }
        for (name, value) in [
            ("header_timeout", self.header_timeout),
            ("body_timeout", self.body_timeout),
            ("idle_timeout", self.idle_timeout),
        ] {
            if value.is_zero() {
                return Err(ServerError::Config(format!("{name} must be above zero")));
            }
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
    fn zero_timeouts_and_connection_caps_are_rejected() {
        for config in [
            ServerConfig {
                header_timeout: Duration::ZERO,
                ..ServerConfig::default()
            },
            ServerConfig {
                body_timeout: Duration::ZERO,
                ..ServerConfig::default()
            },
            ServerConfig {
                idle_timeout: Duration::ZERO,
                ..ServerConfig::default()
            },
            ServerConfig {
                max_connections: 0,
                ..ServerConfig::default()
            },
        ] {
            assert!(config.validate().is_err(), "{config:?}");
        }
    }

    #[test]
    fn connection_cap_stays_below_the_open_file_limit() {
        let cap = default_max_connections();
        assert!((64..=MAX_DERIVED_CONNECTIONS).contains(&cap), "{cap}");
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
