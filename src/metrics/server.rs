//! What the target's own metrics said during the run (the scenario's `monitor:`): one
//! time series per named series (memory, CPU, a cache hit rate, …), how many scrapes
//! were made and why any failed. Serialized into `summary.json` (`metrics.server`), so
//! that `loadgate report` re-renders the server chart and table, and judged by the
//! server budgets (`server_memory < 512MB`).
//!
//! Memory stays bounded however long the run: each series keeps at most
//! [`MAX_POINTS`] points, and past that it keeps every other point (so a long run
//! keeps an even, coarser sampling of its whole length).

use super::snapshot::FailureCount;
use crate::scenario::monitor::{SeriesDef, SeriesSource, SERVER_CPU, SERVER_MEMORY};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most points one series keeps (about 5.5 hours at one scrape a second).
pub const MAX_POINTS: usize = 20_000;

/// The fewest points a growth figure is fitted to.
pub const MIN_GROWTH_POINTS: usize = 3;

/// What a series' values are, so reports and budgets say them right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesUnit {
    /// Bytes (a gauge of memory: `server_memory`, or any metric named `…_bytes`).
    Bytes,
    /// CPU seconds per second as a share of the monitored cores (`server_cpu`): 0.5 is
    /// half of them busy.
    Cores,
    /// A share from 0 to 1 (a ratio series: a hit rate).
    Fraction,
    /// Per second (a rate series).
    PerSecond,
    /// A plain number (any other gauge).
    Number,
}

impl SeriesUnit {
    /// The unit a series definition's values are in.
    pub fn of(def: &SeriesDef) -> SeriesUnit {
        let all_bytes = |selectors: &[crate::scenario::monitor::Selector]| {
            selectors.iter().all(|s| s.metric.ends_with("_bytes"))
        };
        match &def.source {
            _ if def.name == SERVER_MEMORY => SeriesUnit::Bytes,
            _ if def.name == SERVER_CPU => SeriesUnit::Cores,
            SeriesSource::Gauge(selectors) if all_bytes(selectors) => SeriesUnit::Bytes,
            SeriesSource::Gauge(_) => SeriesUnit::Number,
            SeriesSource::Rate(_) => SeriesUnit::PerSecond,
            SeriesSource::Ratio { .. } => SeriesUnit::Fraction,
        }
    }
}

/// One point of a series: seconds since the run's start, and the value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point(pub f64, pub f64);

impl Point {
    /// Seconds since the run's start.
    pub fn at(&self) -> f64 {
        self.0
    }

    /// The value, in the series' unit.
    pub fn value(&self) -> f64 {
        self.1
    }
}

/// One named series over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerSeries {
    /// Its name (`server_memory`, `cache_hit_rate`).
    pub name: String,
    /// How it was computed: `gauge process_resident_memory_bytes`.
    pub source: String,
    /// What its values are.
    pub unit: SeriesUnit,
    /// Its points in time order, `[seconds, value]`.
    pub points: Vec<Point>,
    /// Scrapes that succeeded but held none of its metrics (a wrong name or label).
    pub absent: u64,
    /// While recording: keep one new point in this many (doubles each time the cap
    /// is reached, so the sampling stays even).
    #[serde(skip)]
    stride: usize,
    /// While recording: new points passed over since the last one kept.
    #[serde(skip)]
    passed: usize,
}

impl ServerSeries {
    /// An empty series.
    pub fn new(name: &str, source: String, unit: SeriesUnit) -> Self {
        ServerSeries {
            name: name.to_string(),
            source,
            unit,
            points: Vec::new(),
            absent: 0,
            stride: 1,
            passed: 0,
        }
    }

    /// Adds a point (in time order); past [`MAX_POINTS`] every other point is dropped.
    pub fn push(&mut self, at: f64, value: f64) {
        if !at.is_finite() || !value.is_finite() {
            return;
        }
        self.passed += 1;
        if self.passed < self.stride.max(1) {
            return;
        }
        self.passed = 0;
        if self.points.len() >= MAX_POINTS {
            let mut index = 0;
            self.points.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.stride = self.stride.max(1) * 2;
        }
        self.points.push(Point(at, value));
    }

    /// The points from `start` (inclusive) to `end` (exclusive), in seconds.
    pub fn window(&self, start: f64, end: f64) -> Vec<Point> {
        self.points
            .iter()
            .copied()
            .filter(|p| p.at() >= start && p.at() < end)
            .collect()
    }
}

/// Everything the monitor saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerMetrics {
    /// The metrics URL, as shown (credentials and query values redacted).
    pub url: String,
    /// Seconds between scrapes.
    pub interval_secs: f64,
    /// Cores `server_cpu` is a share of.
    pub cores: f64,
    /// Scrapes attempted.
    pub scrapes: u64,
    /// Scrapes that failed (no answer in time, an error status, an unreadable body).
    pub failed: u64,
    /// Failed scrapes by reason, with the first detail seen.
    pub failures: BTreeMap<String, FailureCount>,
    /// The series, built-in ones first.
    pub series: Vec<ServerSeries>,
}

impl ServerMetrics {
    /// The series of that name.
    pub fn series_named(&self, name: &str) -> Option<&ServerSeries> {
        self.series.iter().find(|s| s.name == name)
    }

    /// Counts a failed scrape under `reason` (kept with its first `detail`).
    pub fn record_failure(&mut self, reason: &str, detail: &str) {
        self.failed += 1;
        self.failures
            .entry(reason.to_string())
            .and_modify(|f| f.count += 1)
            .or_insert_with(|| FailureCount {
                count: 1,
                example: detail.chars().take(300).collect(),
            });
    }

    /// `12 of 40 scrapes failed (status 404 ×12)`, or `40 scrapes, none failed`.
    pub fn scrape_statement(&self) -> String {
        if self.failed == 0 {
            return format!("{} scrapes, none failed", self.scrapes);
        }
        let reasons: Vec<String> = self
            .failures
            .iter()
            .map(|(reason, f)| format!("{reason} ×{}", f.count))
            .collect();
        format!(
            "{} of {} scrapes failed ({})",
            self.failed,
            self.scrapes,
            reasons.join(", ")
        )
    }
}

#[cfg(test)]
impl ServerMetrics {
    /// A monitor that saw only `server_memory`, at these `(seconds, bytes)` points, one
    /// successful scrape each: the fixture the judging and merging tests start from.
    pub(crate) fn memory_only(url: &str, points: &[(f64, f64)]) -> Self {
        let mut memory = ServerSeries::new("server_memory", "gauge m".into(), SeriesUnit::Bytes);
        for (at, value) in points {
            memory.push(*at, *value);
        }
        ServerMetrics {
            url: url.into(),
            interval_secs: 1.0,
            cores: 1.0,
            scrapes: points.len() as u64,
            failed: 0,
            failures: BTreeMap::new(),
            series: vec![memory],
        }
    }
}

/// Lowest, mean and highest value of a window's points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Points in the window.
    pub count: usize,
    /// The lowest value.
    pub min: f64,
    /// The mean of the values (scrapes are evenly spaced, so this is a time average).
    pub mean: f64,
    /// The highest value.
    pub max: f64,
}

/// The stats of some points; `None` when there are none.
pub fn stats(points: &[Point]) -> Option<Stats> {
    if points.is_empty() {
        return None;
    }
    let values = points.iter().map(Point::value);
    Some(Stats {
        count: points.len(),
        min: values.clone().fold(f64::INFINITY, f64::min),
        mean: values.clone().sum::<f64>() / points.len() as f64,
        max: values.fold(f64::NEG_INFINITY, f64::max),
    })
}

/// A straight line fitted to a window's points by least squares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// The slope, in the series' unit per hour.
    pub per_hour: f64,
    /// The mean of the values: the level the slope is a share of.
    pub level: f64,
    /// `per_hour / level`: 0.05 is 5 % of the level per hour.
    pub share_per_hour: f64,
    /// Points fitted.
    pub count: usize,
    /// Seconds from the first point fitted to the last.
    pub span_secs: f64,
    /// The fitted line's value at the first and at the last point, for charts.
    pub line: (Point, Point),
}

/// The least-squares slope of `points` as a share of their mean level, per hour; an
/// error says why there is none (too few points, no time between them, a level of 0).
pub fn growth(points: &[Point]) -> Result<Growth, String> {
    if points.len() < MIN_GROWTH_POINTS {
        return Err(format!(
            "{} point(s) in the window; a growth needs at least {MIN_GROWTH_POINTS}",
            points.len()
        ));
    }
    let n = points.len() as f64;
    let mean_t = points.iter().map(Point::at).sum::<f64>() / n;
    let mean_v = points.iter().map(Point::value).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.at() - mean_t).powi(2)).sum();
    let sxy: f64 = points
        .iter()
        .map(|p| (p.at() - mean_t) * (p.value() - mean_v))
        .sum();
    if sxx <= 0.0 {
        return Err("every point was taken at the same time".to_string());
    }
    if mean_v <= 0.0 {
        return Err("the level is 0, so a growth cannot be a share of it".to_string());
    }
    let slope_per_sec = sxy / sxx;
    let first = points[0].at();
    let last = points[points.len() - 1].at();
    let fitted = |t: f64| Point(t, mean_v + slope_per_sec * (t - mean_t));
    Ok(Growth {
        per_hour: slope_per_sec * 3600.0,
        level: mean_v,
        share_per_hour: slope_per_sec * 3600.0 / mean_v,
        count: points.len(),
        span_secs: last - first,
        line: (fitted(first), fitted(last)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Point(i as f64, *v))
            .collect()
    }

    #[test]
    fn growth_is_the_fitted_slope_as_a_share_of_the_level() {
        // 100 MB rising 1 MB a second, centred on 110 MB: 3.6 GB/h, 3273 %/h of the level.
        let points = line(&(0..21).map(|i| 100e6 + i as f64 * 1e6).collect::<Vec<_>>());
        let g = growth(&points).unwrap();
        assert!((g.per_hour - 3.6e9).abs() < 1.0, "{g:?}");
        assert!((g.level - 110e6).abs() < 1.0);
        assert!((g.share_per_hour - 3.6e9 / 110e6).abs() < 1e-9);
        assert_eq!((g.count, g.span_secs), (21, 20.0));
        let flat = growth(&line(&[5.0, 6.0, 4.0, 4.0, 6.0, 5.0])).unwrap();
        assert!(flat.share_per_hour.abs() < 0.0001 * 3600.0, "{flat:?}");
        assert!(growth(&line(&[1.0, 2.0]))
            .unwrap_err()
            .contains("at least 3"));
        assert!(growth(&line(&[0.0, 0.0, 0.0]))
            .unwrap_err()
            .contains("level is 0"));
    }

    #[test]
    fn long_series_keep_an_even_sampling_within_the_cap() {
        let mut s = ServerSeries::new("m", "gauge m".into(), SeriesUnit::Number);
        for i in 0..(MAX_POINTS * 3) {
            s.push(i as f64, 1.0);
        }
        assert!(s.points.len() <= MAX_POINTS, "{}", s.points.len());
        assert_eq!(s.points[0].at(), 0.0);
        let gaps: Vec<f64> = s.points.windows(2).map(|w| w[1].at() - w[0].at()).collect();
        assert!(gaps.iter().all(|g| *g == gaps[0]), "even: {:?}", &gaps[..4]);
        assert!(s.points.last().unwrap().at() >= (MAX_POINTS * 3 - 4) as f64);
        s.push(f64::NAN, 1.0);
        s.push(1e9, f64::INFINITY);
        assert!(s.points.iter().all(|p| p.value().is_finite()));
    }

    #[test]
    fn stats_and_windows() {
        let s = ServerSeries {
            points: line(&[3.0, 1.0, 2.0, 6.0]),
            ..ServerSeries::new("m", String::new(), SeriesUnit::Number)
        };
        let w = s.window(1.0, 3.0);
        assert_eq!(w.len(), 2);
        let st = stats(&w).unwrap();
        assert_eq!((st.min, st.mean, st.max, st.count), (1.0, 1.5, 2.0, 2));
        assert!(stats(&[]).is_none());
        let mut m = ServerMetrics {
            url: "u".into(),
            interval_secs: 1.0,
            cores: 1.0,
            scrapes: 3,
            failed: 0,
            failures: BTreeMap::new(),
            series: vec![s],
        };
        assert_eq!(m.scrape_statement(), "3 scrapes, none failed");
        m.record_failure("status 404", "Not Found");
        m.record_failure("status 404", "again");
        assert_eq!(
            m.scrape_statement(),
            "2 of 3 scrapes failed (status 404 ×2)"
        );
        assert_eq!(m.failures["status 404"].example, "Not Found");
    }
}
