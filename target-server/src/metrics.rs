//! Counters, a latency histogram and gauges, rendered in the Prometheus text
//! exposition format for `GET /metrics`.
//!
//! Requests are keyed by route *template* (`/api/conversations/{id}/messages`,
//! not the concrete path) so the label set stays small, plus method and
//! status. Requests that match no route are counted under
//! `route="unmatched"`. `GET /metrics` itself is not counted, so scraping
//! does not change the numbers a load test compares against.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use axum::http::Method;

use crate::cache::CacheStats;
use crate::process::ProcessStats;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Route label for requests no route matched.
pub(crate) const UNMATCHED_ROUTE: &str = "unmatched";

/// Why the server closed a connection on its own initiative, as the
/// `reason` label of `http_connections_dropped_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// The request head did not arrive within `header_timeout`.
    HeaderTimeout,
    /// A keep-alive connection sent nothing for `idle_timeout`.
    IdleTimeout,
    /// Closed to make room under `max_connections`.
    Evicted,
    /// A new connection past `max_connections` with nothing to evict.
    Refused,
}

impl DropReason {
    const ALL: [DropReason; 4] = [
        DropReason::HeaderTimeout,
        DropReason::IdleTimeout,
        DropReason::Evicted,
        DropReason::Refused,
    ];

    /// The label value.
    pub(crate) fn label(self) -> &'static str {
        match self {
            DropReason::HeaderTimeout => "header_timeout",
            DropReason::IdleTimeout => "idle_timeout",
            DropReason::Evicted => "evicted",
            DropReason::Refused => "refused",
        }
    }
}

/// Per (route, method): requests by status and the latency histogram.
#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

/// All metrics of one server.
#[derive(Default)]
pub(crate) struct Metrics {
    /// route template -> method -> stats; nested so the hot path looks up by
    /// `&str` without allocating.
    http: Mutex<HashMap<String, HashMap<Method, RouteStats>>>,
    in_flight: AtomicI64,
    rejected: AtomicU64,
    ws_open: AtomicI64,
    ws_in: AtomicU64,
    ws_out: AtomicU64,
    connections_open: AtomicI64,
    dropped: [AtomicU64; DropReason::ALL.len()],
}

impl Metrics {
    /// Records one finished request.
    pub(crate) fn observe(&self, method: &Method, route: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut http = self.http.lock().unwrap_or_else(|p| p.into_inner());
        if !http.contains_key(route) {
            http.insert(route.to_owned(), HashMap::new());
        }
        let methods = http.get_mut(route).expect("inserted above");
        let stats = methods.entry(method.clone()).or_default();
        *stats.by_status.entry(status).or_default() += 1;
        if let Some(i) = BUCKETS.iter().position(|&le| seconds <= le) {
            stats.buckets[i] += 1;
        }
        stats.sum_seconds += seconds;
        stats.count += 1;
    }

    /// A request entered (+1) or left (-1) the handler stack.
    pub(crate) fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// The concurrency limit turned a request away.
    pub(crate) fn rejected(&self) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// A WebSocket connection opened (+1) or closed (-1).
    pub(crate) fn ws_open(&self, delta: i64) {
        self.ws_open.fetch_add(delta, Ordering::Relaxed);
    }

    /// A data frame arrived from a WebSocket client.
    pub(crate) fn ws_received(&self) {
        self.ws_in.fetch_add(1, Ordering::Relaxed);
    }

    /// A frame was written to a WebSocket client.
    pub(crate) fn ws_sent(&self) {
        self.ws_out.fetch_add(1, Ordering::Relaxed);
    }

    /// A TCP connection was accepted (+1) or ended (-1).
    pub(crate) fn connection_open(&self, delta: i64) {
        self.connections_open.fetch_add(delta, Ordering::Relaxed);
    }

    /// The server closed a connection to protect itself.
    pub(crate) fn connection_dropped(&self, reason: DropReason) {
        self.dropped[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Renders everything in the Prometheus text format: the server's own figures,
    /// the bot cache's, the process's (`process`) and the bytes kept by the
    /// `--leak-kb-per-request` fault (`leaked`).
    pub(crate) fn render(&self, cache: CacheStats, process: ProcessStats, leaked: u64) -> String {
        let mut out = String::with_capacity(4096);
        let http = self.http.lock().unwrap_or_else(|p| p.into_inner());
        let mut routes: Vec<(&String, &Method, &RouteStats)> = http
            .iter()
            .flat_map(|(route, methods)| methods.iter().map(move |(m, s)| (route, m, s)))
            .collect();
        routes.sort_by(|a, b| (a.0, a.1.as_str()).cmp(&(b.0, b.1.as_str())));

        header(
            &mut out,
            "http_requests_total",
            "counter",
            "HTTP requests answered, by method, route template and status (GET /metrics is not counted).",
        );
        for (route, method, stats) in &routes {
            for (status, count) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                    escape(method.as_str()),
                    escape(route)
                );
            }
        }

        header(
            &mut out,
            "http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to sending its response headers.",
        );
        for (route, method, stats) in &routes {
            let labels = format!(
                "method=\"{}\",route=\"{}\"",
                escape(method.as_str()),
                escape(route)
            );
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(stats.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{{labels}}} {}",
                stats.sum_seconds
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
        drop(http);

        header(
            &mut out,
            "http_connections_dropped_total",
            "counter",
            "Connections the server closed on its own: slow headers, idle keep-alive, eviction or refusal at max_connections.",
        );
        for reason in DropReason::ALL {
            let _ = writeln!(
                out,
                "http_connections_dropped_total{{reason=\"{}\"}} {}",
                reason.label(),
                self.dropped[reason as usize].load(Ordering::Relaxed)
            );
        }

        let gauges: [(&str, &str, &str, String); 13] = [
            (
                "http_connections_open",
                "gauge",
                "TCP connections currently open, WebSocket ones included.",
                self.connections_open.load(Ordering::Relaxed).to_string(),
            ),
            (
                "http_requests_in_flight",
                "gauge",
                "Requests currently being handled.",
                self.in_flight.load(Ordering::Relaxed).to_string(),
            ),
            (
                "http_requests_rejected_total",
                "counter",
                "Requests answered 503 by the in-flight limit.",
                self.rejected.load(Ordering::Relaxed).to_string(),
            ),
            (
                "websocket_connections_open",
                "gauge",
                "WebSocket connections currently open.",
                self.ws_open.load(Ordering::Relaxed).to_string(),
            ),
            (
                "websocket_messages_received_total",
                "counter",
                "Data frames received from WebSocket clients.",
                self.ws_in.load(Ordering::Relaxed).to_string(),
            ),
            (
                "websocket_messages_sent_total",
                "counter",
                "Frames sent to WebSocket clients.",
                self.ws_out.load(Ordering::Relaxed).to_string(),
            ),
            (
                "bot_cache_hits_total",
                "counter",
                "Bot list reads served from memory.",
                cache.hits.to_string(),
            ),
            (
                "bot_cache_misses_total",
                "counter",
                "Bot list reads that went to the database.",
                cache.misses.to_string(),
            ),
            (
                "fault_leaked_bytes",
                "gauge",
                "Bytes kept on purpose by --leak-kb-per-request (0 when off).",
                leaked.to_string(),
            ),
            (
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                process.resident_bytes.to_string(),
            ),
            (
                "process_cpu_seconds_total",
                "counter",
                "Total user and system CPU time spent in seconds.",
                process.cpu_seconds.to_string(),
            ),
            (
                "process_open_fds",
                "gauge",
                "Number of open file descriptors.",
                process.open_fds.to_string(),
            ),
            (
                "process_start_time_seconds",
                "gauge",
                "Start time of the process since unix epoch in seconds.",
                process.start_time_seconds.to_string(),
            ),
        ];
        for (name, kind, help, value) in gauges {
            header(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value as the exposition format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let metrics = Metrics::default();
        let route = "/api/conversations/{id}/messages";
        metrics.observe(&Method::POST, route, 201, Duration::from_millis(3));
        metrics.observe(&Method::POST, route, 201, Duration::from_millis(30));
        metrics.observe(&Method::POST, route, 400, Duration::from_micros(100));
        let text = metrics.render(CacheStats { hits: 4, misses: 1 }, crate::process::read(), 0);
        assert!(text.contains(
            "http_requests_total{method=\"POST\",route=\"/api/conversations/{id}/messages\",status=\"201\"} 2"
        ));
        assert!(text.contains("status=\"400\"} 1"));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/conversations/{id}/messages\",le=\"0.005\"} 2"
        ));
        assert!(text.contains("le=\"+Inf\"} 3"));
        assert!(text.contains("bot_cache_hits_total 4"));
        metrics.connection_open(1);
        metrics.connection_dropped(DropReason::IdleTimeout);
        let text = metrics.render(
            CacheStats { hits: 0, misses: 0 },
            ProcessStats {
                cpu_seconds: 1.5,
                ..ProcessStats::default()
            },
            2048,
        );
        assert!(text.contains("http_connections_open 1"));
        assert!(text.contains("http_connections_dropped_total{reason=\"idle_timeout\"} 1"));
        assert!(text.contains("http_connections_dropped_total{reason=\"evicted\"} 0"));
        assert!(text.contains("process_cpu_seconds_total 1.5"), "{text}");
        assert!(text.contains("# TYPE process_cpu_seconds_total counter"));
        assert!(text.contains("process_open_fds 0"));
        assert!(text.contains("process_start_time_seconds 0"));
        assert!(text.contains("fault_leaked_bytes 2048"));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
