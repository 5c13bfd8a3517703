//! `latency-distribution.png`: latency by percentile on a "nines" axis (p50, p90, p99,
//! p99.9 … equally spaced), one curve per step — how long the tail is, which a single
//! percentile in a table cannot show.

use super::canvas::{self, text, Area, DrawResult, LegendEntry, Swatch};
use super::{style, Chart, LATENCY_DISTRIBUTION};
use crate::metrics::LatencyHistogram;
use crate::report::{format_micros, ReportError};
use crate::summary::RunSummary;
use plotters::coord::ranged1d::BindKeyPoints;
use plotters::prelude::*;

/// Up to this many steps get a curve each; with more, one curve shows all steps merged.
pub const MAX_CURVES: usize = 8;

/// The rightmost percentile drawn: p99.999.
const MAX_NINES: f64 = 5.0;

/// Points per "nine" along each curve.
const POINTS_PER_NINE: f64 = 100.0;

/// One curve.
struct Curve {
    label: String,
    color: RGBColor,
    /// (nines, ms)
    points: Vec<(f64, f64)>,
}

/// Renders the chart.
pub(crate) fn render(summary: &RunSummary) -> Result<Chart, ReportError> {
    let (curves, merged) = curves(summary);
    let png = canvas::render_png(LATENCY_DISTRIBUTION, |root| {
        draw(root, summary, &curves, merged)
    })?;
    Ok(Chart {
        file_name: LATENCY_DISTRIBUTION.to_string(),
        title: "Latency distribution".to_string(),
        alt: alt_text(summary, merged),
        png,
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
        let label = format!("all {} steps merged (n={})", steps.len(), all.count());
        return (vec![curve(label, style::BLUE, &all)], true);
    }
    let curves = steps
        .iter()
        .enumerate()
        .map(|(i, (name, h))| {
            let label = format!("{} (n={})", style::step_name(name), h.count());
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
    Curve {
        label,
        color,
        points,
    }
}

/// How far right a curve of `count` samples goes.
fn nines_end(count: u64) -> f64 {
    (count.max(1) as f64).log10().clamp(1.0, MAX_NINES)
}

/// Nines → percentile: 1 → 90, 2 → 99, 3 → 99.9.
fn percentile(nines: f64) -> f64 {
    100.0 * (1.0 - 10f64.powf(-nines))
}

/// `p50`, `p99.9`, `min`.
fn percentile_label(nines: f64) -> String {
    if nines <= 0.0 {
        return "min".to_string();
    }
    let p = format!("{:.3}", percentile(nines));
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("p{p}")
}

fn draw(root: &Area, summary: &RunSummary, curves: &[Curve], merged: bool) -> DrawResult {
    let what = if merged {
        "all steps merged"
    } else {
        "one curve per step"
    };
    let subtitle = format!(
        "{} · latency at each percentile over the whole run, {what} · each grid step right is 10× rarer",
        style::shorten(&summary.scenario.name, 60)
    );
    let area = canvas::header(root, "Latency distribution", &subtitle)?;
    if curves.is_empty() {
        return canvas::no_data(&area, "no step recorded a latency");
    }
    let entries: Vec<LegendEntry> = curves
        .iter()
        .map(|c| LegendEntry::new(Swatch::Line(c.color), &c.label))
        .collect();
    let area = canvas::legend(&area, &entries)?;

    let x_end = curves
        .iter()
        .filter_map(|c| c.points.last().map(|p| p.0))
        .fold(1.0, f64::max)
        .ceil();
    let y_max = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1))
        .fold(0.0, f64::max);
    let mut ticks = vec![0.0, 2f64.log10(), 1.0, 20f64.log10()];
    let mut whole = 2.0;
    while whole <= x_end {
        ticks.push(whole);
        whole += 1.0;
    }
    ticks.retain(|t| *t <= x_end);
    let x_axis = (0.0..x_end).with_key_points(ticks);
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
        .x_desc("percentile")
        .y_desc("latency (ms)")
        .x_label_formatter(&|v| percentile_label(*v))
        .y_label_formatter(&|v| style::ms_tick(*v))
        .label_style(text(14.0, &style::INK))
        .axis_desc_style(text(15.0, &style::MUTED))
        .axis_style(style::BOUNDARY.stroke_width(1))
        .bold_line_style(style::GRID.mix(0.6).stroke_width(1))
        .light_line_style(style::GRID.mix(0.0).stroke_width(0))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_percentiles_on_the_nines_scale() {
        assert_eq!(percentile_label(0.0), "min");
        assert_eq!(percentile_label(2f64.log10()), "p50");
        assert_eq!(percentile_label(1.0), "p90");
        assert_eq!(percentile_label(20f64.log10()), "p95");
        assert_eq!(percentile_label(3.0), "p99.9");
    }

    #[test]
    fn curves_stop_where_the_samples_do() {
        assert_eq!(nines_end(1), 1.0);
        assert_eq!(nines_end(1_000), 3.0);
        assert_eq!(nines_end(u64::MAX), MAX_NINES);
    }
}
