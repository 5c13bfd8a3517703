//! Command-line interface of the `target-server` binary: the flags, their
//! mapping onto [`ServerConfig`], and the run loop that serves until SIGINT
//! or SIGTERM.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

use crate::config::{default_max_connections, ServerConfig};

/// Reference chatbot server for loadgate: REST + WebSocket chat backed by
/// SQLite, with Prometheus metrics and fault injection.
#[derive(Debug, Clone, Parser)]
#[command(name = "target-server", version)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free one (printed on the first line).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Password that logs in any username.
    #[arg(long, default_value = "demo")]
    pub password: String,
    /// SQLite file to keep data in (WAL mode); in memory when omitted.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Milliseconds added before every API response.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
    /// Up to this many extra milliseconds (uniformly random) per API response.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter: u64,
    /// Fraction of API requests answered with an injected 500 (0.0 to 1.0).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0, value_parser = parse_fraction)]
    pub error_rate: f64,
    /// Makes every answer take (1 + F) times as long, e.g. 0.10 for +10 %.
    #[arg(long, value_name = "F", default_value_t = 0.0, value_parser = parse_slowdown)]
    pub slowdown: f64,
    /// Milliseconds between streamed reply tokens on the WebSocket.
    #[arg(long, value_name = "MS", default_value_t = 1)]
    pub token_delay: u64,
    /// Simulated inference time in milliseconds before each reply.
    #[arg(long, value_name = "MS", default_value_t = 2)]
    pub inference: u64,
    /// Requests handled at once before answering 503 + Retry-After.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_inflight: usize,
    /// Open WebSocket connections allowed at once.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_ws: usize,
    /// Seconds a client may take to send a request's head (fractions
    /// allowed); past it the connection is closed.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    pub header_timeout: Duration,
    /// Seconds a request's whole body may take to arrive; past it the
    /// request gets 408 and the connection is closed.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_seconds)]
    pub body_timeout: Duration,
    /// Seconds a keep-alive connection may wait between requests before it
    /// is closed.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    pub idle_timeout: Duration,
    /// TCP connections served at once; past it a new connection closes the
    /// oldest idle one. Default: the open-file limit (`ulimit -n`) minus 256.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// Kilobytes every API request keeps for good (a memory leak on purpose, up
    /// to 1 GiB in all), so a soak test can show its growth budget catches one.
    #[arg(long, value_name = "KB", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1_048_576))]
    pub leak_kb_per_request: u64,
}

impl Cli {
    /// The server configuration these flags describe.
    pub fn config(&self) -> ServerConfig {
        ServerConfig {
            password: self.password.clone(),
            latency: Duration::from_millis(self.latency),
            jitter: Duration::from_millis(self.jitter),
            error_rate: self.error_rate,
            slowdown: self.slowdown,
            token_delay: Duration::from_millis(self.token_delay),
            inference: Duration::from_millis(self.inference),
            db_path: self.db.clone(),
            max_inflight: self.max_inflight,
            max_ws: self.max_ws,
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
            leak_kb_per_request: self.leak_kb_per_request,
            max_connections: self
                .max_connections
                .map_or_else(default_max_connections, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }),
            ..ServerConfig::default()
        }
    }
}

fn parse_fraction(raw: &str) -> Result<f64, String> {
    let value: f64 = raw.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between 0 and 1, got {value}"))
    }
}

fn parse_slowdown(raw: &str) -> Result<f64, String> {
    let value: f64 = raw.parse().map_err(|e| format!("{e}"))?;
    let max = crate::config::MAX_SLOWDOWN;
    if (0.0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("must be between 0 and {max}, got {value}"))
    }
}

/// A positive number of seconds, fractions allowed (`0.5`), at most a day.
fn parse_seconds(raw: &str) -> Result<Duration, String> {
    let value: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("expected a number of seconds, got `{raw}`"))?;
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!(
            "must be above 0 and at most 86400 seconds, got {raw}"
        ))
    }
}

/// Binds, prints `listening on http://HOST:PORT` as the first stdout line,
/// and serves until SIGINT or SIGTERM; exit code 0 after a clean shutdown.
pub async fn run(cli: Cli) -> ExitCode {
    // Install the signal handlers before announcing the address, so a
    // signal sent right after reading that line is never missed.
    let (mut interrupt, mut terminate) = match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(i), Ok(t)) => (i, t),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("target-server: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = SocketAddr::new(cli.host, cli.port);
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("target-server: cannot bind {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = match listener.local_addr() {
        Ok(bound) => bound,
        Err(e) => {
            eprintln!("target-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on http://{bound}");
    let _ = stdout.flush();
    drop(stdout);

    let shutdown = async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        eprintln!("target-server: {name} received, shutting down gracefully");
    };
    match crate::serve(listener, cli.config(), shutdown).await {
        Ok(()) => {
            eprintln!("target-server: stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("target-server: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_seconds_with_fractions() {
        assert_eq!(parse_seconds("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_seconds("0.25").unwrap(), Duration::from_millis(250));
        for bad in ["0", "-1", "nan", "inf", "1e9", "ten", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_match_the_library_defaults() {
        let config = Cli::parse_from(["target-server"]).config();
        let defaults = ServerConfig::default();
        assert_eq!(config.header_timeout, defaults.header_timeout);
        assert_eq!(config.body_timeout, defaults.body_timeout);
        assert_eq!(config.idle_timeout, defaults.idle_timeout);
        assert_eq!(config.max_connections, defaults.max_connections);
        let config = Cli::parse_from([
            "target-server",
            "--header-timeout",
            "0.5",
            "--max-connections",
            "7",
        ])
        .config();
        assert_eq!(config.header_timeout, Duration::from_millis(500));
        assert_eq!(config.max_connections, 7);
        assert!(Cli::try_parse_from(["target-server", "--max-connections", "0"]).is_err());
    }
}
