//! The scenario's optional `monitor:` block: where the target's Prometheus metrics are,
//! how often to scrape them, and the named series built from them, so that server-side
//! budgets (`server_memory < 512MB`, `cache_hit_rate > 80%`) are judged beside the
//! client-side ones.
//!
//! ```yaml
//! monitor:
//!   url: /metrics            # joined to the target; or a full http(s) URL
//!   interval: 1s             # 100ms to 1m
//!   timeout: 1s              # per scrape; at most the interval
//!   cores: 2                 # server_cpu is a share of this many cores
//!   series:
//!     - name: cache_hit_rate
//!       ratio: { of: bot_cache_hits_total, over: [bot_cache_hits_total, bot_cache_misses_total] }
//!     - name: api_5xx
//!       rate: { metric: http_requests_total, labels: { status: { matches: "5.." } } }
//! ```
//!
//! Two series exist without being written: `server_memory` (the gauge
//! `process_resident_memory_bytes`) and `server_cpu` (the rate of
//! `process_cpu_seconds_total`), the figures every Prometheus client library exports.
//! A series of the same name replaces them (a separate exporter's metric, say).

use super::diagnostic::Position;
use super::reader::{join, Reader};
use marked_yaml::types::MarkedMappingNode;
use marked_yaml::Node;
use std::time::Duration;

/// The default metrics path, joined to the target like a step's path.
pub const DEFAULT_URL: &str = "/metrics";

/// How often the target is scraped when the scenario does not say.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// The shortest and longest scrape intervals.
pub const INTERVAL_RANGE: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_secs(60));

/// The most series a scenario may name (beyond the two built in).
pub const MAX_SERIES: usize = 32;

/// The most metrics one series may add up.
pub const MAX_SELECTORS: usize = 16;

/// The built-in memory series: the process's resident memory, in bytes.
pub const SERVER_MEMORY: &str = "server_memory";

/// The built-in CPU series: CPU seconds per second, as a share of `cores` cores.
pub const SERVER_CPU: &str = "server_cpu";

/// Names series may not take: the measures budgets already have, and the memory growth
/// measure, which is derived from `server_memory`.
pub const RESERVED_NAMES: &[&str] = &[
    "mean",
    "avg",
    "max",
    "min",
    "error_rate",
    "errors",
    "throughput",
    "rate",
    "ws_connections",
    "server_memory_growth",
    "growth",
];

/// The `monitor:` block, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    /// Where the metrics are.
    pub url: MetricsUrl,
    /// Time between scrapes.
    pub interval: Duration,
    /// How long one scrape may take.
    pub timeout: Duration,
    /// Cores `server_cpu` is a share of.
    pub cores: f64,
    /// Every series, the built-in ones first (unless replaced), then the scenario's.
    pub series: Vec<SeriesDef>,
}

impl Default for Monitor {
    /// What a scenario without a `monitor:` block gets when monitoring runs anyway (a
    /// budget names a server series, or the target is the bundled server).
    fn default() -> Self {
        Monitor {
            url: MetricsUrl::Path(DEFAULT_URL.to_string()),
            interval: DEFAULT_INTERVAL,
            timeout: DEFAULT_INTERVAL,
            cores: 1.0,
            series: built_in_series(),
        }
    }
}

impl Monitor {
    /// The series of that name.
    pub fn series_named(&self, name: &str) -> Option<&SeriesDef> {
        self.series.iter().find(|s| s.name == name)
    }
}

/// Where the metrics are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsUrl {
    /// A path joined to the target's base URL (`/metrics`).
    Path(String),
    /// A full `http(s)://` URL, for an exporter beside the target.
    Absolute(String),
}

/// One named series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesDef {
    /// Its name, which budgets use (`cache_hit_rate > 80%`).
    pub name: String,
    /// How each point is computed from the scrapes.
    pub source: SeriesSource,
    /// Where it is written (`None` for the built-in ones).
    pub position: Option<Position>,
}

/// How a series' points are computed.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesSource {
    /// The sum of the matching samples at each scrape.
    Gauge(Vec<Selector>),
    /// The per-second increase of the matching counters between two scrapes.
    Rate(Vec<Selector>),
    /// The increase of `of` over the increase of `over` between two scrapes (a hit
    /// rate: hits over hits plus misses); no point when `over` did not move.
    Ratio {
        /// The numerator's counters, added up.
        of: Vec<Selector>,
        /// The denominator's counters, added up.
        over: Vec<Selector>,
    },
}

/// A metric name and the labels its samples must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The metric's name as exposed (`process_cpu_seconds_total`).
    pub metric: String,
    /// Every matcher must hold.
    pub labels: Vec<LabelMatcher>,
}

impl Selector {
    /// A selector of every sample of `metric`.
    pub fn metric(metric: &str) -> Selector {
        Selector {
            metric: metric.to_string(),
            labels: Vec::new(),
        }
    }

    /// As PromQL writes it: `http_requests_total{status=~"5.."}`.
    pub fn describe(&self) -> String {
        if self.labels.is_empty() {
            return self.metric.clone();
        }
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|l| format!("{}{}\"{}\"", l.name, l.op.symbol(), l.value))
            .collect();
        format!("{}{{{}}}", self.metric, labels.join(","))
    }
}

/// One label condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelMatcher {
    /// The label's name.
    pub name: String,
    /// How the value is compared.
    pub op: MatchOp,
    /// The value, or the regular expression for the `matches` forms.
    pub value: String,
}

/// PromQL's four label comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `label: value`: equal.
    Equal,
    /// `label: { not: value }`: different (or absent).
    NotEqual,
    /// `label: { matches: regex }`: the whole value matches.
    Matches,
    /// `label: { not_matches: regex }`: the whole value does not match.
    NotMatches,
}

impl MatchOp {
    /// PromQL's operator.
    pub fn symbol(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Matches => "=~",
            MatchOp::NotMatches => "!~",
        }
    }
}

impl SeriesSource {
    /// `gauge process_resident_memory_bytes`, `ratio of a over b + c`: for reports.
    pub fn describe(&self) -> String {
        let sum = |selectors: &[Selector]| {
            selectors
                .iter()
                .map(Selector::describe)
                .collect::<Vec<_>>()
                .join(" + ")
        };
        match self {
            SeriesSource::Gauge(s) => format!("gauge {}", sum(s)),
            SeriesSource::Rate(s) => format!("rate of {}", sum(s)),
            SeriesSource::Ratio { of, over } => {
                format!("increase of {} over increase of {}", sum(of), sum(over))
            }
        }
    }
}

/// `server_memory` and `server_cpu`, from the standard process metrics.
pub fn built_in_series() -> Vec<SeriesDef> {
    vec![
        SeriesDef {
            name: SERVER_MEMORY.to_string(),
            source: SeriesSource::Gauge(vec![Selector::metric("process_resident_memory_bytes")]),
            position: None,
        },
        SeriesDef {
            name: SERVER_CPU.to_string(),
            source: SeriesSource::Rate(vec![Selector::metric("process_cpu_seconds_total")]),
            position: None,
        },
    ]
}

/// Reads the `monitor:` block.
pub fn read_monitor(r: &mut Reader, node: &Node) -> Option<Monitor> {
    const KEYS: &[&str] = &["url", "interval", "timeout", "cores", "series"];
    let map = r.mapping(node, "monitor", KEYS)?;
    let url = match map.get_node("url") {
        Some(n) => read_url(r, n),
        None => Some(MetricsUrl::Path(DEFAULT_URL.to_string())),
    };
    let interval = match map.get_node("interval") {
        Some(n) => read_interval(r, n),
        None => Some(DEFAULT_INTERVAL),
    };
    let timeout = read_timeout(r, map, interval);
    let cores = match map.get_node("cores") {
        Some(n) => read_cores(r, n),
        None => Some(1.0),
    };
    let series = match map.get_node("series") {
        Some(n) => read_all_series(r, n),
        None => Some(Vec::new()),
    };
    let mut all: Vec<SeriesDef> = built_in_series()
        .into_iter()
        .filter(|b| !series.iter().flatten().any(|s| s.name == b.name))
        .collect();
    all.extend(series?);
    Some(Monitor {
        url: url?,
        interval: interval?,
        timeout: timeout?,
        cores: cores?,
        series: all,
    })
}

fn read_url(r: &mut Reader, node: &Node) -> Option<MetricsUrl> {
    let text = r.string(node, "monitor.url")?;
    let text = text.trim().to_string();
    if text.starts_with('/') {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            r.error(
                node,
                "monitor.url",
                "a path may not hold spaces or control characters",
            );
            return None;
        }
        return Some(MetricsUrl::Path(text));
    }
    match reqwest::Url::parse(&text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Some(MetricsUrl::Absolute(text))
        }
        _ => {
            r.error(
                node,
                "monitor.url",
                "must start with `/` (joined to the target, e.g. `/metrics`) or be a full http(s) URL",
            );
            None
        }
    }
}

fn read_interval(r: &mut Reader, node: &Node) -> Option<Duration> {
    let interval = r.duration(node, "monitor.interval")?;
    let (low, high) = INTERVAL_RANGE;
    if interval < low || interval > high {
        r.error(
            node,
            "monitor.interval",
            "must be from 100ms to 1m: scrapes more often than 10 times a second would load the target, and less often than once a minute would see too little",
        );
        return None;
    }
    Some(interval)
}

/// `timeout`: at most the interval, so scrapes never overlap; the interval by default.
fn read_timeout(
    r: &mut Reader,
    map: &MarkedMappingNode,
    interval: Option<Duration>,
) -> Option<Duration> {
    let Some(node) = map.get_node("timeout") else {
        return Some(interval.unwrap_or(DEFAULT_INTERVAL));
    };
    let timeout = r.timeout(node, "monitor.timeout")?;
    if let Some(interval) = interval {
        if timeout > interval {
            r.error(
                node,
                "monitor.timeout",
                "must be at most `interval`, so that one scrape ends before the next begins",
            );
            return None;
        }
    }
    Some(timeout)
}

fn read_cores(r: &mut Reader, node: &Node) -> Option<f64> {
    let scalar = r.scalar(node, "monitor.cores")?;
    match scalar.as_str().trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n <= 4096.0 => Some(n),
        _ => {
            r.error(
                node,
                "monitor.cores",
                format!(
                    "expected a number of cores above 0 (fractions allowed, e.g. `0.5` for a container's quota), found `{}`",
                    scalar.as_str()
                ),
            );
            None
        }
    }
}

fn read_all_series(r: &mut Reader, node: &Node) -> Option<Vec<SeriesDef>> {
    let items = r.sequence(node, "monitor.series")?;
    if items.len() > MAX_SERIES {
        r.error(
            node,
            "monitor.series",
            format!("{} series; at most {MAX_SERIES}", items.len()),
        );
        return None;
    }
    let read: Vec<(usize, SeriesDef)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| Some((i, read_series(r, item, &format!("monitor.series[{i}]"))?)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (index, def) in &read {
        if !seen.insert(def.name.as_str()) {
            r.error(
                &items[*index],
                "monitor.series",
                format!("series `{}` is named twice", def.name),
            );
        }
    }
    (read.len() == items.len()).then(|| read.into_iter().map(|(_, def)| def).collect())
}

fn read_series(r: &mut Reader, node: &Node, field: &str) -> Option<SeriesDef> {
    let map = r.mapping(node, field, &["name", "gauge", "rate", "ratio"])?;
    let name = r
        .required(map, field, "name")
        .and_then(|n| read_series_name(r, n, &join(field, "name")));
    let kinds: Vec<&str> = ["gauge", "rate", "ratio"]
        .into_iter()
        .filter(|k| map.get_node(k).is_some())
        .collect();
    let source = match kinds.as_slice() {
        ["gauge"] => read_selectors(r, map.get_node("gauge")?, &join(field, "gauge"))
            .map(SeriesSource::Gauge),
        ["rate"] => {
            read_selectors(r, map.get_node("rate")?, &join(field, "rate")).map(SeriesSource::Rate)
        }
        ["ratio"] => read_ratio(r, map.get_node("ratio")?, &join(field, "ratio")),
        _ => {
            r.error_at(
                Position::of(map.span()),
                field,
                "a series has exactly one of `gauge`, `rate` or `ratio`",
            );
            None
        }
    };
    Some(SeriesDef {
        name: name?,
        source: source?,
        position: Some(Position::of(node.span())),
    })
}

/// A series name: what budgets call it, so a plain identifier that is not a measure.
fn read_series_name(r: &mut Reader, node: &Node, field: &str) -> Option<String> {
    let name = r.string(node, field)?;
    let valid = name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        r.error(
            node,
            field,
            format!(
                "`{}` cannot name a series: use lowercase letters, digits and `_` (at most 64), starting with a letter, as budgets read it (`cache_hit_rate > 80%`)",
                super::diagnostic::shorten(&name)
            ),
        );
        return None;
    }
    let percentile = name
        .strip_prefix('p')
        .is_some_and(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_digit()));
    if RESERVED_NAMES.contains(&name.as_str()) || percentile {
        r.error(
            node,
            field,
            format!("`{name}` is a budget measure already; give the series another name"),
        );
        return None;
    }
    Some(name)
}

fn read_ratio(r: &mut Reader, node: &Node, field: &str) -> Option<SeriesSource> {
    let map = r.mapping(node, field, &["of", "over"])?;
    let of = r
        .required(map, field, "of")
        .and_then(|n| read_selectors(r, n, &join(field, "of")));
    let over = r
        .required(map, field, "over")
        .and_then(|n| read_selectors(r, n, &join(field, "over")));
    Some(SeriesSource::Ratio {
        of: of?,
        over: over?,
    })
}

/// One selector, or a list of them whose values add up.
fn read_selectors(r: &mut Reader, node: &Node, field: &str) -> Option<Vec<Selector>> {
    let Some(items) = node.as_sequence() else {
        return read_selector(r, node, field).map(|s| vec![s]);
    };
    if items.is_empty() || items.len() > MAX_SELECTORS {
        r.error(
            node,
            field,
            format!("list 1 to {MAX_SELECTORS} metrics to add up"),
        );
        return None;
    }
    let selectors: Vec<Selector> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| read_selector(r, item, &format!("{field}[{i}]")))
        .collect();
    (selectors.len() == items.len()).then_some(selectors)
}

/// `metric_name`, or `{ metric: NAME, labels: { name: value | { not | matches | not_matches: value } } }`.
fn read_selector(r: &mut Reader, node: &Node, field: &str) -> Option<Selector> {
    if node.as_scalar().is_some() {
        let metric = read_metric_name(r, node, field)?;
        return Some(Selector {
            metric,
            labels: Vec::new(),
        });
    }
    let map = r.mapping(node, field, &["metric", "labels"])?;
    let metric = r
        .required(map, field, "metric")
        .and_then(|n| read_metric_name(r, n, &join(field, "metric")));
    let labels = match map.get_node("labels") {
        Some(n) => read_labels(r, n, &join(field, "labels")),
        None => Some(Vec::new()),
    };
    Some(Selector {
        metric: metric?,
        labels: labels?,
    })
}

/// A Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn read_metric_name(r: &mut Reader, node: &Node, field: &str) -> Option<String> {
    let name = r.string(node, field)?;
    if !is_prometheus_name(&name, true) {
        r.error(
            node,
            field,
            format!(
                "`{}` is not a Prometheus metric name (letters, digits, `_` and `:`, not starting with a digit)",
                super::diagnostic::shorten(&name)
            ),
        );
        return None;
    }
    Some(name)
}

/// Whether `name` is a metric name (`colon` allowed) or a label name.
fn is_prometheus_name(name: &str, colon: bool) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':');
    name.len() <= 200
        && name
            .chars()
            .next()
            .is_some_and(|c| !c.is_ascii_digit() && ok(c))
        && name.chars().all(ok)
}

fn read_labels(r: &mut Reader, node: &Node, field: &str) -> Option<Vec<LabelMatcher>> {
    let Some(map) = node.as_mapping() else {
        r.error(
            node,
            field,
            "expected a mapping of label names to values, e.g. `{ route: /api/bots }`",
        );
        return None;
    };
    let mut matchers = Vec::new();
    let mut ok = true;
    for (key, value) in map.iter() {
        let label_field = join(field, key.as_str());
        if !is_prometheus_name(key.as_str(), false) {
            r.error_at(
                Position::of(key.span()),
                &label_field,
                "not a Prometheus label name (letters, digits and `_`, not starting with a digit)",
            );
            ok = false;
            continue;
        }
        match read_matcher(r, value, &label_field) {
            Some((op, value)) => matchers.push(LabelMatcher {
                name: key.as_str().to_string(),
                op,
                value,
            }),
            None => ok = false,
        }
    }
    ok.then_some(matchers)
}

fn read_matcher(r: &mut Reader, node: &Node, field: &str) -> Option<(MatchOp, String)> {
    if let Some(scalar) = node.as_scalar() {
        return Some((MatchOp::Equal, scalar.as_str().to_string()));
    }
    let map = r.mapping(node, field, &["not", "matches", "not_matches"])?;
    if map.len() != 1 {
        r.error(
            node,
            field,
            "give exactly one of `not`, `matches` or `not_matches`",
        );
        return None;
    }
    let (key, value) = map.iter().next()?;
    let op = match key.as_str() {
        "not" => MatchOp::NotEqual,
        "matches" => MatchOp::Matches,
        _ => MatchOp::NotMatches,
    };
    let field = join(field, key.as_str());
    let text = r.scalar(value, &field)?.as_str().to_string();
    if matches!(op, MatchOp::Matches | MatchOp::NotMatches) {
        if let Err(e) = anchored_regex(&text) {
            r.error(value, &field, format!("not a regular expression: {e}"));
            return None;
        }
    }
    Some((op, text))
}

/// The label regex as PromQL applies it: to the whole value.
pub fn anchored_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid")
                .trim()
                .to_string()
        })
}
