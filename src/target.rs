//! The server under test: either the URL given with `--target`, checked for
//! reachability before anything runs, or the bundled reference server started in-process
//! on a free loopback port.

use std::time::Duration;

/// How long the reachability check may take in all.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(4);

/// Why a target cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The `--target` value is not an http(s) URL.
    #[error("--target: `{0}` is not an http:// or https:// URL with a host")]
    BadUrl(String),
    /// Nothing answered at the target.
    #[error("the target {url} could not be reached: {reason}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The bundled server did not start.
    #[error("the bundled reference server could not start: {0}")]
    Embedded(String),
}

/// A running target for one run.
pub enum Target {
    /// A server someone else runs.
    External(String),
    /// The bundled server, stopped when the run ends.
    Embedded(target_server::RunningServer),
}

impl Target {
    /// Base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match self {
            Target::External(url) => url.trim_end_matches('/').to_string(),
            Target::Embedded(server) => server.base_url(),
        }
    }

    /// Stops the bundled server (external targets are left alone).
    pub async fn stop(self) {
        if let Target::Embedded(server) = self {
            server.shutdown().await;
        }
    }
}

/// Checks that `text` is an http(s) URL with a host; no network traffic.
pub fn parse_target_url(text: &str) -> Result<String, TargetError> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.trim_end_matches('/').to_string())
        }
        _ => Err(TargetError::BadUrl(text.to_string())),
    }
}

/// Any HTTP answer (even a 404) means reachable; a refused connection, DNS failure or
/// silence within [`REACH_TIMEOUT`] does not.
pub async fn check_reachable(url: &str) -> Result<(), TargetError> {
    let client = reqwest::Client::builder()
        .timeout(REACH_TIMEOUT)
        .connect_timeout(REACH_TIMEOUT)
        .build()
        .map_err(|e| TargetError::Unreachable {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
    match client.get(url).send().await {
        Ok(_) => Ok(()),
        Err(err) => Err(TargetError::Unreachable {
            url: url.to_string(),
            reason: crate::metrics::Failure::from_reqwest(&err).to_string(),
        }),
    }
}

/// The `--target` server after checking it, or the bundled one started on 127.0.0.1.
pub async fn resolve(target: Option<&str>) -> Result<Target, TargetError> {
    match target {
        Some(text) => {
            let url = parse_target_url(text)?;
            check_reachable(&url).await?;
            Ok(Target::External(url))
        }
        None => {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let server = target_server::spawn(target_server::ServerConfig::default(), addr)
                .await
                .map_err(|e| TargetError::Embedded(e.to_string()))?;
            Ok(Target::Embedded(server))
        }
    }
}
