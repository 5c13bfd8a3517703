//! `latency-distribution.png`: latency by percentile on a "nines" axis (p50, p90, p99,
//! p99.9 … equally spaced), one curve per step — how long the tail is, which a single
//! percentile in a table cannot show.

use super::frame::{self, HouseStyle, LegendEntry, Swatch};
use super::nines::{nines_end, percentile, percentile_label, NinesAxis, MAX_NINES};
use super::svg::{self, Area, DrawResult, Meta};
use super::tips::Tips;
use super::{style, Chart, LATENCY_DISTRIBUTION};
use crate::metrics::LatencyHistogram;
use crate::report::{format_micros, ReportError};
use crate::summary::RunSummary;
use plotters::prelude::*;

/// Up to this many steps get a curve each; with more, one curve shows all steps merged.
pub const MAX_CURVES: usize = 8;

/// Points per "nine" along each curve.
const POINTS_PER_NINE: f64 = 100.0;

/// One curve.
struct Curve {
    label: String,
    color: RGBColor,
    /// (nines, ms)
    points: Vec<(f64, f64)>,
    /// (nines, ms) at the labelled percentiles (min, p50, p90, p95, p99 …) and the
    /// curve's end, for tooltips.
    marks: Vec<(f64, f64)>,
}

/// Renders the chart.
pub(crate) fn render(summary: &RunSummary) -> Result<Chart, ReportError> {
    let (curves, merged) = curves(summary);
    let meta = Meta {
        file_name: LATENCY_DISTRIBUTION,
        title: "Latency distribution",
        alt: alt_text(summary, merged),
    };
    svg::render(meta, |root, tips| {
        draw(root, tips, summary, &curves, merged)
    })
}

/// The steps with samples, in scenario order (then any step the order does not list).
fn steps_with_samples(summary: &RunSummary) -> Vec<(&str, &LatencyHistogram)> {
    let steps = &summary.metrics.steps;
    let mut names: Vec<&str> = summary
        .step_order
        .iter()
        .map(String::as_str)
        .filter(|n| steps.contains_key(*n))
        .collect();
    for name in steps.keys() {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    names.dedup();
    names
        .into_iter()
        .filter_map(|n| steps.get(n).map(|s| (n, &s.latency)))
        .filter(|(_, h)| h.count() > 0)
        .collect()
}

/// One curve per step, or a single merged one (the bool) when there are too many.
fn curves(summary: &RunSummary) -> (Vec<Curve>, bool) {
    let steps = steps_with_samples(summary);
    if steps.len() > MAX_CURVES {
        let mut all = LatencyHistogram::default();
        for (_, h) in &steps {
            all.merge(h);
        }
        let label = format!(
            "all {} steps merged (n={})",
            steps.len(),
            style::count_tick(all.count() as f64)
        );
        return (vec![curve(label, style::BLUE, &all)], true);
    }
    let curves = steps
        .iter()
        .enumerate()
        .map(|(i, (name, h))| {
            let label = format!(
                "{} (n={})",
                style::step_name(name),
                style::count_tick(h.count() as f64)
            );
            curve(label, style::SERIES[i % style::SERIES.len()], h)
        })
        .collect();
    (curves, false)
}

/// Samples the histogram from the minimum up to the percentile its sample count can
/// still support (p90 for 10 samples, p99.9 for 1,000 …).
fn curve(label: String, color: RGBColor, h: &LatencyHistogram) -> Curve {
    let end = nines_end(h.count());
    let steps = (end * POINTS_PER_NINE).ceil() as usize;
    let points = (0..=steps)
        .map(|i| {
            let nines = (i as f64 / POINTS_PER_NINE).min(end);
            (nines, h.percentile(percentile(nines)) as f64 / 1_000.0)
        })
        .collect();
    let mut at = vec![0.0, 2f64.log10(), 1.0, 20f64.log10()];
    at.extend((2..=MAX_NINES as u32).map(f64::from));
    at.retain(|n| *n < end);
    at.push(end);
    let marks = at
        .into_iter()
        .map(|nines| (nines, h.percentile(percentile(nines)) as f64 / 1_000.0))
        .collect();
    Curve {
        label,
        color,
        points,
        marks,
    }
}

fn draw(
    root: &Area,
    tips: &mut Tips,
    summary: &RunSummary,
    curves: &[Curve],
    merged: bool,
) -> DrawResult {
    let what = if merged {
        "all steps merged"
    } else {
        "one curve per step"
    };
    let subtitle = format!(
        "{} · latency at each percentile over the whole run, {what}",
        style::shorten(&summary.scenario.name, 60)
    );
    let area = frame::header(root, "Latency distribution", &subtitle)?;
    if curves.is_empty() {
        return frame::no_data(&area, "no step recorded a latency");
    }
    let entries: Vec<LegendEntry> = curves
        .iter()
        .map(|c| LegendEntry::new(Swatch::Line(c.color), &c.label))
        .collect();
    let area = frame::legend(&area, &entries)?;

    let x_end = curves
        .iter()
        .filter_map(|c| c.points.last().map(|p| p.0))
        .fold(1.0, f64::max);
    let y_max = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let x_axis = NinesAxis::new(x_end);
    let mut chart = ChartBuilder::on(&area)
        .margin_left(16)
        .margin_right(40)
        .margin_top(8)
        .margin_bottom(12)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d(x_axis, 0.0..style::axis_top(y_max, 1.08))?;
    chart
        .configure_mesh()
        .x_labels(12)
        .y_labels(8)
        .x_desc("percentile (log scale: p90, p99 and p99.9 are equally spaced)")
        .y_desc("latency (ms)")
        .x_label_formatter(&|v| percentile_label(*v))
        .y_label_formatter(&|v| style::ms_tick(*v))
        .house_style()
        .draw()?;
    for c in curves {
        chart.draw_series(LineSeries::new(
            c.points.iter().copied(),
            c.color.stroke_width(2),
        ))?;
        if let Some(end) = c.points.last() {
            chart.draw_series(std::iter::once(Circle::new(*end, 4, c.color.filled())))?;
        }
    }
    for c in curves {
        for (nines, ms) in &c.marks {
            let (x, y) = chart.backend_coord(&(*nines, *ms));
            tips.rect(
                (x - 7, y - 7),
                (x + 7, y + 7),
                format!(
                    "{}: {} {}",
                    c.label,
                    percentile_label(*nines),
                    format_micros((ms * 1_000.0).round() as u64)
                ),
            );
        }
    }
    Ok(())
}

fn alt_text(summary: &RunSummary, merged: bool) -> String {
    let steps = steps_with_samples(summary);
    if steps.is_empty() {
        return "Latency distribution chart: no step recorded a latency.".to_string();
    }
    let parts: Vec<String> = steps
        .iter()
        .map(|(name, h)| {
            format!(
                "{}: p50 {}, p99 {}, max {}",
                style::step_name(name),
                format_micros(h.percentile(50.0)),
                format_micros(h.percentile(99.0)),
                format_micros(h.max())
            )
        })
        .collect();
    let shape = if merged {
        "one curve for all steps merged"
    } else {
        "one curve per step"
    };
    format!(
        "Latency by percentile on a log scale of nines, {shape}. {}.",
        parts.join("; ")
    )
}
