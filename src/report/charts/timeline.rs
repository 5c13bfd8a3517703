//! What the two over-time charts share: the per-second series cut into lines at gaps,
//! the time axis and its mesh.

use super::frame::HouseStyle;
use super::stages::{bands_end, Band, TimeChart};
use super::style;
use super::svg::DrawResult;
use crate::metrics::LatencyHistogram;
use crate::summary::RunSummary;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// A line broken into runs of consecutive seconds, so a gap in the data shows as a gap.
pub(crate) type Segments = Vec<Vec<(f64, f64)>>;

/// A figure of each second's (or window's) latencies: a percentile, the mean or the max,
/// as the budget that a chart line stands beside measures it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stat {
    /// `pNN`.
    Percentile(f64),
    /// `mean`.
    Mean,
    /// `max`.
    Max,
}

impl Stat {
    /// The stat a budget's `measure` names (`p95`, `p99.9`, `mean`, `max`).
    pub fn of_measure(measure: &str) -> Option<Stat> {
        match measure {
            "mean" => Some(Stat::Mean),
            "max" => Some(Stat::Max),
            _ => measure
                .strip_prefix('p')
                .and_then(|p| p.parse::<f64>().ok())
                .filter(|p| p.is_finite() && *p > 0.0 && *p <= 100.0)
                .map(Stat::Percentile),
        }
    }

    /// The stat's value over one window's histogram, in µs.
    pub fn of(self, h: &LatencyHistogram) -> f64 {
        match self {
            Stat::Percentile(p) => h.percentile(p) as f64,
            Stat::Mean => h.mean(),
            Stat::Max => h.max() as f64,
        }
    }

    /// How legends name it.
    pub fn label(self) -> String {
        match self {
            Stat::Percentile(p) => format!("p{p}"),
            Stat::Mean => "mean".to_string(),
            Stat::Max => "max".to_string(),
        }
    }
}

/// One line per stat over a scope's per-second latencies, in milliseconds, each point at
/// the middle of its window.
#[derive(Debug, Default)]
pub(crate) struct ScopeSeries {
    /// One line per requested stat, in the order asked.
    pub lines: Vec<Segments>,
}

impl ScopeSeries {
    /// True when no window of the scope had a successful step.
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.is_empty())
    }

    /// The highest value of any line, in ms.
    pub fn max_ms(&self) -> f64 {
        self.lines
            .iter()
            .flatten()
            .flatten()
            .map(|p| p.1)
            .fold(0.0, f64::max)
    }
}

/// Most points a line gets: long runs are grouped into windows of several seconds, since
/// a plot area about 1,000 pixels wide cannot show more and dense zigzags hide the trend.
pub(crate) const MAX_POINTS: u64 = 400;

/// Seconds per point: 1, or more for runs longer than [`MAX_POINTS`] seconds.
pub(crate) fn window_secs(summary: &RunSummary) -> u64 {
    let seconds = summary.metrics.series.iter().map(|s| s.second);
    match (seconds.clone().min(), seconds.max()) {
        (Some(first), Some(last)) => (last - first).saturating_add(1).div_ceil(MAX_POINTS).max(1),
        _ => 1,
    }
}

/// `per second`, or `per 9-second window` for long runs (for subtitles).
pub(crate) fn resolution(window: u64) -> String {
    if window <= 1 {
        "each second".to_string()
    } else {
        format!("each {window}-second window")
    }
}

/// The `stats` of each window in which a step of `scope` (a series key, the scope's
/// label) succeeded.
pub(crate) fn scope_series(summary: &RunSummary, scope: &str, stats: &[Stat]) -> ScopeSeries {
    let window = window_secs(summary);
    let mut windows: BTreeMap<u64, LatencyHistogram> = BTreeMap::new();
    for sample in &summary.metrics.series {
        let Some(h) = sample.latency.get(scope).filter(|h| h.count() > 0) else {
            continue;
        };
        windows
            .entry(sample.second / window)
            .and_modify(|w| w.merge(h))
            .or_insert_with(|| h.clone());
    }
    let mut out = ScopeSeries {
        lines: vec![Vec::new(); stats.len()],
    };
    let mut previous: Option<u64> = None;
    for (index, h) in windows {
        let joined = previous.is_some_and(|p| index == p + 1);
        previous = Some(index);
        let x = (index * window) as f64 + window as f64 / 2.0;
        for (line, stat) in out.lines.iter_mut().zip(stats) {
            let point = (x, stat.of(&h) / 1_000.0);
            match line.last_mut() {
                Some(segment) if joined => segment.push(point),
                _ => line.push(vec![point]),
            }
        }
    }
    out
}

/// `30 s` / `12 min 30 s`: the run's length for subtitles and alt text.
pub(crate) fn run_length(summary: &RunSummary) -> String {
    let secs = summary.metrics.duration_secs;
    if !secs.is_finite() || secs <= 0.0 {
        return "a run of no measurable length".to_string();
    }
    let whole = secs.round() as u64;
    if whole < 120 {
        format!("{:.0} s", secs.max(1.0))
    } else {
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

/// The end of the time axis: the run's length, its last sample or its stages, whichever
/// is latest (at least one second).
pub(crate) fn x_end(summary: &RunSummary, bands: &[Band]) -> f64 {
    let last_second = summary
        .metrics
        .series
        .iter()
        .map(|s| s.second as f64 + 1.0)
        .fold(0.0, f64::max);
    let duration = summary.metrics.duration_secs;
    let duration = if duration.is_finite() { duration } else { 0.0 };
    [duration, last_second, bands_end(bands), 1.0]
        .into_iter()
        .fold(0.0, f64::max)
}

/// Draws the grid and both axes' labels: seconds below, `y_desc` on the left.
pub(crate) fn configure_mesh(
    chart: &mut TimeChart,
    summary: &RunSummary,
    x_end: f64,
    y_desc: &str,
    y_format: impl Fn(&f64) -> String,
) -> DrawResult {
    let run_secs = summary.metrics.duration_secs.max(x_end);
    chart
        .configure_mesh()
        .x_labels(12)
        .y_labels(8)
        .x_desc("time since start")
        .y_desc(y_desc)
        .x_label_formatter(&|v| style::time_tick(*v, run_secs))
        .y_label_formatter(&y_format)
        .house_style()
        .draw()?;
    Ok(())
}

/// Draws `segments` as lines of `color`; a lone point becomes a dot.
pub(crate) fn draw_line(chart: &mut TimeChart, segments: &Segments, color: RGBColor) -> DrawResult {
    for segment in segments {
        if segment.len() == 1 {
            chart.draw_series(segment.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
        } else {
            chart.draw_series(LineSeries::new(
                segment.iter().copied(),
                color.stroke_width(2),
            ))?;
        }
    }
    Ok(())
}
