//! `latency-over-time.png`: p50, p95 and p99 of every step completed in each second,
//! against the run's latency budgets and its stages — where a run got slow, and whether
//! that crossed a budget.

use super::canvas::{self, text, Area, DrawResult, LegendEntry, Swatch};
use super::stages;
use super::time_axis::TimeAxis;
use super::{style, timeline, Chart, LATENCY_OVER_TIME};
use crate::report::{format_micros, ReportError};
use crate::slo::Unit;
use crate::summary::RunSummary;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A latency budget line.
struct Budget {
    ms: f64,
    rule: String,
}

/// Budgets further above the data than this factor are listed as off scale rather than
/// drawn, so a generous budget does not flatten the curves into the bottom edge.
const OFF_SCALE: f64 = 3.0;

/// Renders the chart.
pub(crate) fn render(summary: &RunSummary) -> Result<Chart, ReportError> {
    let series = timeline::percentile_series(summary);
    let budgets = budgets(summary);
    let png = canvas::render_png(LATENCY_OVER_TIME, |root| {
        draw(root, summary, &series, &budgets)
    })?;
    Ok(Chart {
        file_name: LATENCY_OVER_TIME.to_string(),
        title: "Latency over time".to_string(),
        alt: alt_text(summary, &series, &budgets),
        png,
    })
}

/// Whole-run latency budgets, one per rule.
fn budgets(summary: &RunSummary) -> Vec<Budget> {
    let mut out: Vec<Budget> = Vec::new();
    for v in &summary.judgement.verdicts {
        if v.unit != Unit::Micros || v.stage.is_some() || !v.limit.is_finite() || v.limit < 0.0 {
            continue;
        }
        if out.iter().any(|b| b.rule == v.rule) {
            continue;
        }
        out.push(Budget {
            ms: v.limit / 1_000.0,
            rule: v.rule.clone(),
        });
    }
    out.sort_by(|a, b| a.ms.total_cmp(&b.ms));
    out
}

fn draw(
    root: &Area,
    summary: &RunSummary,
    series: &timeline::Percentiles,
    budgets: &[Budget],
) -> DrawResult {
    let subtitle = format!(
        "{} · p50 / p95 / p99 of all steps completed in {} · {}",
        style::shorten(&summary.scenario.name, 60),
        timeline::resolution(timeline::window_secs(summary)),
        timeline::run_length(summary)
    );
    let area = canvas::header(root, "Latency over time", &subtitle)?;
    if series.is_empty() {
        return canvas::no_data(&area, "no step completed during the run");
    }
    let data_max = series.max_ms();
    let (shown, off_scale): (Vec<&Budget>, Vec<&Budget>) =
        budgets.iter().partition(|b| b.ms <= data_max * OFF_SCALE);
    let mut entries = vec![
        LegendEntry::new(Swatch::Line(style::BLUE), "p50"),
        LegendEntry::new(Swatch::Line(style::ORANGE), "p95"),
        LegendEntry::new(Swatch::Line(style::RED), "p99"),
    ];
    if !shown.is_empty() {
        entries.push(LegendEntry::new(
            Swatch::Dashed(style::BUDGET),
            "latency budget (whole run)",
        ));
    }
    let area = canvas::legend(&area, &entries)?;

    let bands = stages::stage_bands(summary);
    let x_end = timeline::x_end(summary, &bands);
    let top = shown.iter().map(|b| b.ms).fold(data_max, f64::max);
    let y_end = style::axis_top(top, 1.18);
    let mut chart = ChartBuilder::on(&area)
        .margin_left(16)
        .margin_right(32)
        .margin_bottom(12)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d(TimeAxis::new(x_end), 0.0..y_end)?;
    stages::draw_bands(&mut chart, &bands)?;
    timeline::configure_mesh(&mut chart, summary, x_end, "latency (ms)", |v| {
        style::ms_tick(*v)
    })?;

    for (values, color) in [
        (&series.p50, style::BLUE),
        (&series.p95, style::ORANGE),
        (&series.p99, style::RED),
    ] {
        timeline::draw_line(&mut chart, values, color)?;
    }
    draw_budgets(&mut chart, &shown, x_end)?;
    if !off_scale.is_empty() {
        let rules: Vec<String> = off_scale
            .iter()
            .map(|b| style::shorten(&b.rule, style::MAX_NAME_CHARS))
            .collect();
        let note = format!("budgets above this scale: {}", rules.join(", "));
        let note_style = text(13.0, &style::MUTED).pos(Pos::new(HPos::Right, VPos::Top));
        chart.draw_series(std::iter::once(
            EmptyElement::at((x_end, y_end))
                + Text::new(style::shorten(&note, 110), (-8, 24), note_style),
        ))?;
    }
    Ok(())
}

/// Draws each budget as a dashed line with its rule written above its right end; a
/// label that would collide with the previous one goes to the left end instead.
fn draw_budgets(chart: &mut stages::TimeChart, budgets: &[&Budget], x_end: f64) -> DrawResult {
    let mut last_right: Option<i32> = None;
    for budget in budgets {
        chart.draw_series(DashedLineSeries::new(
            vec![(0.0, budget.ms), (x_end, budget.ms)],
            10,
            6,
            style::BUDGET.stroke_width(2),
        ))?;
        let rule = style::shorten(&budget.rule, 60);
        let y = chart.backend_coord(&(x_end, budget.ms)).1;
        let right = last_right.is_none_or(|prev| (prev - y).abs() >= 20);
        let (anchor, offset, h) = if right {
            last_right = Some(y);
            ((x_end, budget.ms), (-8, -4), HPos::Right)
        } else {
            ((0.0, budget.ms), (8, -4), HPos::Left)
        };
        let label_style = text(13.0, &style::BUDGET).pos(Pos::new(h, VPos::Bottom));
        let width = chart
            .plotting_area()
            .estimate_text_size(&rule, &label_style)?
            .0 as i32;
        let (left, right_px) = match h {
            HPos::Right => (offset.0 - width - 4, offset.0 + 4),
            _ => (offset.0 - 4, offset.0 + width + 4),
        };
        chart.draw_series(std::iter::once(
            EmptyElement::at(anchor)
                + Rectangle::new(
                    [(left, offset.1 - 18), (right_px, offset.1)],
                    WHITE.mix(0.85).filled(),
                )
                + Text::new(rule, offset, label_style),
        ))?;
    }
    Ok(())
}

fn alt_text(summary: &RunSummary, series: &timeline::Percentiles, budgets: &[Budget]) -> String {
    let mut alt = format!(
        "Line chart of p50, p95 and p99 latency in {} over {}",
        timeline::resolution(timeline::window_secs(summary)),
        timeline::run_length(summary)
    );
    if let Some((second, micros)) = series.peak_p99() {
        alt.push_str(&format!(
            "; the highest p99 was {} at {second}s",
            format_micros(micros)
        ));
    } else {
        alt.push_str("; no step completed, so there is nothing to plot");
    }
    let stages = summary
        .settings
        .stages
        .len()
        .max(summary.metrics.stages.len());
    if stages > 0 {
        alt.push_str(&format!("; {stages} stage(s) are shaded"));
    }
    if !budgets.is_empty() {
        let rules: Vec<&str> = budgets.iter().map(|b| b.rule.as_str()).collect();
        alt.push_str(&format!("; budget lines: {}", rules.join("; ")));
    }
    alt.push('.');
    alt
}
