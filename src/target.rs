//! The server under test: either the URL given with `--target`, checked for
//! reachability before anything runs, or the bundled reference server started in-process
//! on a free loopback port.
//!
//! The bundled server gets a tokio runtime and threads of its own ([`EmbeddedServer`]):
//! on the load generator's runtime, its work would queue behind the users' tasks and the
//! run would partly measure loadgate's own scheduling. Its threads are all named
//! `target-server`, so that the generator's own CPU figure leaves them out
//! (`engine::watch`). The two still share the machine's cores; for figures that must exclude that, run target-server as its own process,
//! pinned to other cores, and pass `--target`.

use std::time::Duration;

/// How long the reachability check may take in all.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(4);

/// Why a target cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The `--target` value is not an http(s) URL (shown with its secrets redacted).
    #[error("--target: `{0}` is not an http:// or https:// URL with a host")]
    BadUrl(String),
    /// Nothing answered at the target.
    #[error("the target {url} could not be reached: {reason}")]
    Unreachable {
        /// The URL tried, as [`display_url`] shows it.
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
    Embedded(EmbeddedServer),
}

impl Target {
    /// Base URL without a trailing slash, credentials and query included: what the
    /// engine sends to. Never print it; print [`Target::display`].
    pub fn base_url(&self) -> String {
        match self {
            Target::External(url) => url.trim_end_matches('/').to_string(),
            Target::Embedded(server) => server.base_url.clone(),
        }
    }

    /// The base URL as shown on stderr and in reports: user, password and query values
    /// replaced by `[redacted]`.
    pub fn display(&self) -> String {
        display_url(&self.base_url())
    }

    /// Stops the bundled server (external targets are left alone).
    pub async fn stop(self) {
        if let Target::Embedded(server) = self {
            server.stop().await;
        }
    }
}

/// The bundled reference server, serving on its own runtime in its own thread.
pub struct EmbeddedServer {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmbeddedServer {
    /// Starts it on a free loopback port and returns once it accepts connections.
    pub async fn start() -> Result<Self, TargetError> {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<String, String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(crate::engine::watch::SERVER_THREADS.into())
            .spawn(move || serve_until_stopped(ready_tx, stop_rx))
            .map_err(|e| TargetError::Embedded(e.to_string()))?;
        match ready_rx.await {
            Ok(Ok(base_url)) => Ok(EmbeddedServer {
                base_url,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(reason)) => Err(TargetError::Embedded(reason)),
            Err(_) => Err(TargetError::Embedded("its thread ended at start-up".into())),
        }
    }

    /// Stops it gracefully and waits until its thread has ended.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// The embedded server's thread: its own runtime, serving until `stop` fires or its
/// sender is dropped.
fn serve_until_stopped(
    ready: tokio::sync::oneshot::Sender<Result<String, String>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_name(crate::engine::watch::SERVER_THREADS)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = ready.send(Err(format!("cannot start its runtime: {err}")));
            return;
        }
    };
    runtime.block_on(async move {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        match target_server::spawn(target_server::ServerConfig::default(), addr).await {
            Ok(server) => {
                log::debug!(
                    "bundled reference server listening on {}",
                    server.base_url()
                );
                let _ = ready.send(Ok(server.base_url()));
                let _ = stop.await;
                server.shutdown().await;
            }
            Err(err) => {
                let _ = ready.send(Err(err.to_string()));
            }
        }
    });
}

/// Checks that `text` is an http(s) URL with a host; no network traffic.
pub fn parse_target_url(text: &str) -> Result<String, TargetError> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(text.trim_end_matches('/').to_string())
        }
        _ => Err(TargetError::BadUrl(display_url(text))),
    }
}

/// A target URL fit to show: the user and password (`http://user:pass@h`) become
/// `[redacted]@`, every query value becomes `[redacted]`, a fragment is dropped. Works on
/// text that does not parse as a URL too.
pub fn display_url(text: &str) -> String {
    const REDACTED: &str = "[redacted]";
    let (before_query, query) = match text.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (text.split('#').next().unwrap_or(text), None),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rfind('@') {
                Some(at) => format!("{scheme}://{REDACTED}@{}{path}", &authority[at + 1..]),
                None => before_query.to_string(),
            }
        }
        None => match before_query.rfind('@') {
            Some(at) => format!("{REDACTED}@{}", &before_query[at + 1..]),
            None => before_query.to_string(),
        },
    };
    if let Some(query) = query {
        let query = query.split('#').next().unwrap_or("");
        let pairs: Vec<String> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((key, "")) => format!("{key}="),
                Some((key, _)) => format!("{key}={REDACTED}"),
                None => REDACTED.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Any HTTP answer (even a 404) means reachable; a refused connection, DNS failure or
/// silence within [`REACH_TIMEOUT`] does not.
pub async fn check_reachable(url: &str) -> Result<(), TargetError> {
    let client = reqwest::Client::builder()
        .timeout(REACH_TIMEOUT)
        .connect_timeout(REACH_TIMEOUT)
        // As the steps' transport: straight to the target, whatever `HTTP_PROXY` says.
        .no_proxy()
        .build()
        .map_err(|e| TargetError::Unreachable {
            url: display_url(url),
            reason: e.to_string(),
        })?;
    match client.get(url).send().await {
        Ok(_) => Ok(()),
        Err(err) => Err(TargetError::Unreachable {
            url: display_url(url),
            reason: crate::metrics::Failure::from_send_error(&err).to_string(),
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
        None => Ok(Target::Embedded(EmbeddedServer::start().await?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_urls_hide_credentials_and_query_values() {
        assert_eq!(
            display_url("http://user:secret@h:8080/prefix?api_key=K&x=1&flag"),
            "http://[redacted]@h:8080/prefix?api_key=[redacted]&x=[redacted]&[redacted]"
        );
        assert_eq!(
            display_url("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(display_url("https://t@h/#frag"), "https://[redacted]@h/");
        assert_eq!(display_url("not a url:pw@x"), "[redacted]@x");
        assert!(!TargetError::BadUrl(display_url("ftp://u:pw@h"))
            .to_string()
            .contains("pw"));
    }
}
