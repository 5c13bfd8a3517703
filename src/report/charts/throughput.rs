//! `throughput-over-time.png`: steps completed and failed per second, with the number of
//! active users on a second axis — how throughput followed (or stopped following) load.

use super::frame::{self, text, LegendEntry, Swatch};
use super::svg::{self, Area, DrawResult, Meta};
use super::time_axis::TimeAxis;
use super::tips::Tips;
use super::{stages, style, timeline, Chart, THROUGHPUT_OVER_TIME};
use crate::report::ReportError;
use crate::summary::RunSummary;
use plotters::prelude::*;

/// One window's figures (one second, or several for long runs).
#[derive(Debug, Clone, Copy)]
struct Second {
    /// Start of the window, seconds since the run's start.
    start: f64,
    /// Seconds the window covers.
    len: f64,
    /// Mean steps completed per second.
    requests: f64,
    /// Mean steps failed per second.
    errors: f64,
    /// Most users active in any of its seconds.
    users: f64,
}

impl Second {
    fn middle(&self) -> f64 {
        self.start + self.len / 2.0
    }
}

/// Renders the chart.
pub(crate) fn render(summary: &RunSummary) -> Result<Chart, ReportError> {
    let seconds = seconds(summary);
    let meta = Meta {
        file_name: THROUGHPUT_OVER_TIME,
        title: "Throughput over time",
        alt: alt_text(summary, &seconds),
    };
    svg::render(meta, |root, tips| draw(root, tips, summary, &seconds))
}

/// Every window from the first sample to the last (a second with no sample counts as
/// zero), at most about [`timeline::MAX_POINTS`] of them.
fn seconds(summary: &RunSummary) -> Vec<Second> {
    let series = &summary.metrics.series;
    let (Some(first), Some(last)) = (
        series.iter().map(|s| s.second).min(),
        series.iter().map(|s| s.second).max(),
    ) else {
        return Vec::new();
    };
    let window = timeline::window_secs(summary);
    let (first_window, last_window) = (first / window, last / window);
    let mut out: Vec<Second> = (first_window..=last_window)
        .map(|w| {
            let start = (w * window).max(first);
            let end = (w * window)
                .saturating_add(window)
                .min(last.saturating_add(1));
            Second {
                start: start as f64,
                len: end.saturating_sub(start).max(1) as f64,
                requests: 0.0,
                errors: 0.0,
                users: 0.0,
            }
        })
        .collect();
    for sample in series {
        if let Some(slot) = out.get_mut((sample.second / window - first_window) as usize) {
            slot.requests += sample.requests as f64;
            slot.errors += sample.errors as f64;
            slot.users = slot.users.max(sample.users as f64);
        }
    }
    for slot in &mut out {
        slot.requests /= slot.len;
        slot.errors /= slot.len;
    }
    out
}

fn draw(root: &Area, tips: &mut Tips, summary: &RunSummary, seconds: &[Second]) -> DrawResult {
    let subtitle = format!(
        "{} · steps completed and failed per second{}, active users on the right axis · {}",
        style::shorten(&summary.scenario.name, 60),
        averaged(timeline::window_secs(summary)),
        timeline::run_length(summary)
    );
    let area = frame::header(root, "Throughput over time", &subtitle)?;
    if seconds.is_empty() {
        return frame::no_data(&area, "no per-second samples were recorded");
    }
    let area = frame::legend(
        &area,
        &[
            LegendEntry::new(Swatch::Line(style::BLUE), "requests/s (steps completed)"),
            LegendEntry::new(Swatch::Line(style::RED), "errors/s"),
            LegendEntry::new(Swatch::Line(style::PURPLE), "active users (right axis)"),
        ],
    )?;

    let bands = stages::stage_bands(summary);
    let x_end = timeline::x_end(summary, &bands);
    let rate_max = seconds
        .iter()
        .map(|s| s.requests.max(s.errors))
        .fold(0.0, f64::max);
    let users_max = seconds.iter().map(|s| s.users).fold(0.0, f64::max);
    let y_end = style::axis_top(rate_max, 1.18);
    let users_end = style::axis_top(users_max, 1.18);

    let chart = ChartBuilder::on(&area)
        .margin_left(16)
        .margin_right(16)
        .margin_bottom(12)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .right_y_label_area_size(72)
        .build_cartesian_2d(TimeAxis::new(x_end), 0.0..y_end)?;
    // The secondary axis takes over the right label area, so it is set up before the
    // primary mesh draws (which would otherwise label both sides).
    let mut chart = chart.set_secondary_coord(TimeAxis::new(x_end), 0.0..users_end);
    stages::draw_bands(&mut chart, &bands)?;
    timeline::configure_mesh(&mut chart, summary, x_end, "per second", |v| {
        style::count_tick(*v)
    })?;
    chart
        .configure_secondary_axes()
        .y_labels(8)
        .y_desc("active users")
        .y_label_formatter(&|v| style::count_tick(*v))
        .label_style(text(13.0, &style::INK))
        .axis_desc_style(text(13.0, &style::MUTED))
        .axis_style(style::BOUNDARY.stroke_width(1))
        .draw()?;

    let points = |pick: fn(&Second) -> f64| -> Vec<(f64, f64)> {
        seconds.iter().map(|s| (s.middle(), pick(s))).collect()
    };
    let requests = points(|s| s.requests);
    let errors = points(|s| s.errors);
    if seconds.len() == 1 {
        for (p, color) in [(requests[0], style::BLUE), (errors[0], style::RED)] {
            chart.draw_series(std::iter::once(Circle::new(p, 5, color.filled())))?;
        }
    } else {
        for (line, color) in [(requests, style::BLUE), (errors, style::RED)] {
            chart.draw_series(
                AreaSeries::new(line, 0.0, color.mix(0.12)).border_style(color.stroke_width(2)),
            )?;
        }
    }
    // Users change in steps: hold each second's value across the whole second.
    let users: Vec<(f64, f64)> = seconds
        .iter()
        .flat_map(|s| [(s.start, s.users), (s.start + s.len, s.users)])
        .collect();
    chart.draw_secondary_series(LineSeries::new(users, style::PURPLE.stroke_width(2)))?;
    let run_secs = summary.metrics.duration_secs.max(x_end);
    for s in seconds {
        let when = if s.len > 1.0 {
            format!(
                "{}–{}",
                style::time_tick(s.start, run_secs),
                style::time_tick(s.start + s.len, run_secs)
            )
        } else {
            style::time_tick(s.start, run_secs)
        };
        let stage = stages::band_at(&bands, s.start)
            .map(|b| format!(" ({})", b.full))
            .unwrap_or_default();
        tips.rect(
            chart.backend_coord(&(s.start, y_end)),
            chart.backend_coord(&(s.start + s.len, 0.0)),
            format!(
                "{when}{stage}: {} requests/s, {} errors/s, {} active users",
                style::count_tick(s.requests),
                style::count_tick(s.errors),
                style::count_tick(s.users)
            ),
        );
    }
    Ok(())
}

/// ` (mean over 9-second windows)` for long runs, nothing otherwise.
fn averaged(window: u64) -> String {
    if window <= 1 {
        String::new()
    } else {
        format!(" (mean over {window}-second windows)")
    }
}

fn alt_text(summary: &RunSummary, seconds: &[Second]) -> String {
    let Some(peak) = seconds
        .iter()
        .max_by(|a, b| a.requests.total_cmp(&b.requests))
    else {
        return format!(
            "Throughput chart over {}: no per-second samples were recorded.",
            timeline::run_length(summary)
        );
    };
    let errors: f64 = seconds.iter().map(|s| s.errors * s.len).sum();
    let users = seconds.iter().map(|s| s.users).fold(0.0, f64::max);
    format!(
        "Chart of steps completed and failed per second over {}, with active users on a \
         second axis; throughput peaked at {:.0}/s at {:.0}s, {:.0} step(s) failed in all, \
         and at most {:.0} user(s) were active.",
        timeline::run_length(summary),
        peak.requests,
        peak.start,
        errors,
        users
    )
}
