//! Watching the target while loading it: a task that scrapes its Prometheus endpoint
//! every `monitor.interval` during the run and turns the scrapes into the named series
//! of [`ServerMetrics`] (memory, CPU, a cache hit rate, …), judged later by the server
//! budgets.
//!
//! It is collection, at the engine's level: it reads the scenario's `monitor:` block
//! and writes metrics, and knows nothing of budgets or reports. Each scrape is bounded
//! in time (the scrape timeout) and size (`fetch::MAX_BODY_BYTES`); a scrape that fails
//! is counted with its reason and never stops the run.
//!
//! - `fetch`: one HTTP scrape with its limits, and the failure classes;
//! - `extract`: parsing (the `prometheus-parse` crate) and series points.

pub mod extract;
pub mod fetch;

use crate::metrics::{Recorder, ServerMetrics};
use crate::scenario::monitor::{MetricsUrl, Monitor};
use extract::Tracker;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What a run monitors: the scenario's `monitor:` block; or, without one, the defaults
/// when a budget needs a server series (`needed`) or the target is the bundled server,
/// whose `/metrics` is known to be there; otherwise nothing.
pub fn plan(scenario_monitor: Option<&Monitor>, needed: bool, bundled: bool) -> Option<Monitor> {
    match scenario_monitor {
        Some(monitor) => Some(monitor.clone()),
        None if needed || bundled => Some(Monitor::default()),
        None => None,
    }
}

/// The metrics URL for a target's base URL (credentials and all: never print it).
pub fn metrics_url(monitor: &Monitor, base_url: &str) -> String {
    match &monitor.url {
        MetricsUrl::Absolute(url) => url.clone(),
        MetricsUrl::Path(path) => {
            // A query on the target (`?key=…`) stays at the end, as for steps.
            match base_url.split_once('?') {
                Some((base, query)) => {
                    let joint = if path.contains('?') { '&' } else { '?' };
                    format!("{}{path}{joint}{query}", base.trim_end_matches('/'))
                }
                None => format!("{}{path}", base_url.trim_end_matches('/')),
            }
        }
    }
}

/// A running scraper; [`Scraper::finish`] stops it and returns what it saw.
pub struct Scraper {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<ServerMetrics>,
}

impl Scraper {
    /// Starts scraping `url` (shown as `shown`) on the current runtime. Points are
    /// timed by the run's clock in `recorder`; scrapes before it starts only set the
    /// counters the first rates are measured from.
    pub fn start(monitor: &Monitor, url: String, shown: String, recorder: Arc<Recorder>) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(scrape_until_stopped(
            monitor.clone(),
            url,
            shown,
            recorder,
            stopped,
        ));
        Scraper {
            stop: Some(stop),
            task,
        }
    }

    /// Stops scraping (a scrape in progress is abandoned) and returns the series.
    pub async fn finish(mut self) -> Option<ServerMetrics> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.await {
            Ok(metrics) => Some(metrics),
            Err(e) => {
                log::warn!("the metrics scraper stopped unexpectedly: {e}");
                None
            }
        }
    }
}

async fn scrape_until_stopped(
    monitor: Monitor,
    url: String,
    shown: String,
    recorder: Arc<Recorder>,
    mut stopped: oneshot::Receiver<()>,
) -> ServerMetrics {
    let mut metrics = ServerMetrics {
        url: shown,
        interval_secs: monitor.interval.as_secs_f64(),
        cores: monitor.cores,
        scrapes: 0,
        failed: 0,
        failures: Default::default(),
        series: Vec::new(),
    };
    let mut trackers: Vec<Tracker> = monitor
        .series
        .iter()
        .map(|def| Tracker::new(def, monitor.cores))
        .collect();
    let client = match fetch::client(monitor.timeout) {
        Ok(client) => client,
        Err(e) => {
            metrics.record_failure("client", &e);
            metrics.series = trackers.into_iter().map(|t| t.series).collect();
            return metrics;
        }
    };
    let mut ticker = tokio::time::interval(monitor.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = ticker.tick() => {}
        }
        let now = Instant::now();
        let at = recorder.run_clock().map(|d| d.as_secs_f64());
        // The client's timeout bounds the request; this bounds everything else too.
        let scrape = tokio::time::timeout(monitor.timeout, fetch::fetch(&client, &url));
        let result = tokio::select! {
            _ = &mut stopped => break,
            result = scrape => result,
        };
        let text = match result {
            Ok(Ok(text)) => Ok(text),
            Ok(Err(failure)) => Err(failure),
            Err(_) => Err(fetch::ScrapeFailure::new(
                "timeout",
                format!("no answer within {:?}", monitor.timeout),
            )),
        };
        if at.is_some() {
            metrics.scrapes += 1;
        }
        match text.and_then(|text| extract::parse(&text)) {
            Ok(samples) => {
                for tracker in &mut trackers {
                    tracker.observe(&samples, now, at);
                }
            }
            Err(failure) => {
                log::debug!("scrape failed: {}: {}", failure.reason, failure.detail);
                if at.is_some() {
                    metrics.record_failure(&failure.reason, &failure.detail);
                }
            }
        }
    }
    metrics.series = trackers.into_iter().map(|t| t.series).collect();
    metrics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metrics_url_joins_the_target_like_a_step() {
        let monitor = Monitor::default();
        assert_eq!(
            metrics_url(&monitor, "http://h:1/v2/"),
            "http://h:1/v2/metrics"
        );
        assert_eq!(
            metrics_url(&monitor, "http://h:1?key=k"),
            "http://h:1/metrics?key=k"
        );
        let with_query = Monitor {
            url: MetricsUrl::Path("/metrics?format=text".into()),
            ..Monitor::default()
        };
        assert_eq!(
            metrics_url(&with_query, "http://h:1?key=k"),
            "http://h:1/metrics?format=text&key=k"
        );
        let absolute = Monitor {
            url: MetricsUrl::Absolute("http://exporter:9100/metrics".into()),
            ..Monitor::default()
        };
        assert_eq!(
            metrics_url(&absolute, "http://h:1"),
            "http://exporter:9100/metrics"
        );
    }

    #[test]
    fn monitoring_runs_when_asked_needed_or_free() {
        assert!(plan(None, false, false).is_none());
        assert_eq!(plan(None, true, false), Some(Monitor::default()));
        assert_eq!(plan(None, false, true), Some(Monitor::default()));
        let mine = Monitor {
            cores: 4.0,
            ..Monitor::default()
        };
        assert_eq!(plan(Some(&mine), false, false), Some(mine));
    }
}
