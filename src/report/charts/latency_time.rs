//! `latency-over-time.png`: the latency of successful steps in each second, one panel per
//! latency budget's scope, each panel drawing the figure its budgets judge (p95, mean,
//! …) against those budgets, over the run's stages. A budget is never drawn against
//! steps it does not judge, so a reader sees a breach only where the gate could.
//!
//! A run without latency budgets gets one panel for the HTTP steps and one for the
//! WebSocket measures, each with p50, p95 and p99.

use super::frame::{self, bold, text, HouseStyle, LegendEntry, Swatch};
use super::stages::{self, Band};
use super::svg::{self, Area, DrawResult, Meta};
use super::time_axis::TimeAxis;
use super::timeline::{self, ScopeSeries, Stat};
use super::tips::Tips;
use super::{style, Chart, LATENCY_OVER_TIME};
use crate::report::{format_micros, ReportError};
use crate::slo::Unit;
use crate::summary::RunSummary;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;

/// Budgets further above the data than this factor are listed as off scale rather than
/// drawn, so a generous budget does not flatten the curves into the bottom edge.
const OFF_SCALE: f64 = 3.0;

/// The most panels one chart holds; further scopes are named in the subtitle.
const MAX_PANELS: usize = 6;

/// A latency budget line.
struct Budget {
    ms: f64,
    rule: String,
    /// The seconds it applies to when pinned to a stage (`in stage X`).
    span: Option<(f64, f64)>,
    /// What the gate measured, in µs (`None` when it could not measure).
    measured: Option<f64>,
    /// The gate's verdict.
    passed: bool,
}

impl Budget {
    /// `budget p95 < 200ms for send-message: measured 210.4ms, broken`.
    fn tooltip(&self) -> String {
        let measured = match self.measured {
            Some(m) if m.is_finite() && m >= 0.0 => format_micros(m.round() as u64),
            _ => "not measured".to_string(),
        };
        let verdict = if self.passed { "met" } else { "broken" };
        format!("budget {}: measured {measured}, {verdict}", self.rule)
    }
}

/// One scope's panel.
struct Panel {
    /// The scope's label, which keys its per-second series.
    scope: String,
    stats: Vec<Stat>,
    budgets: Vec<Budget>,
    series: ScopeSeries,
}

/// Renders the chart.
pub(crate) fn render(summary: &RunSummary) -> Result<Chart, ReportError> {
    let panels = panels(summary);
    let meta = Meta {
        file_name: LATENCY_OVER_TIME,
        title: "Latency over time",
        alt: alt_text(summary, &panels),
    };
    svg::render(meta, |root, tips| draw(root, tips, summary, &panels))
}

/// One panel per latency budget scope, in the order the budgets are listed; or, without
/// latency budgets, one per recorded series (HTTP and WebSocket).
fn panels(summary: &RunSummary) -> Vec<Panel> {
    let mut panels: Vec<Panel> = Vec::new();
    for v in &summary.judgement.verdicts {
        if v.unit != Unit::Micros || !v.limit.is_finite() || v.limit < 0.0 {
            continue;
        }
        let Some(stat) = Stat::of_measure(&v.measure) else {
            continue;
        };
        let at = match panels.iter().position(|p| p.scope == v.scope) {
            Some(at) => at,
            None => {
                panels.push(Panel {
                    scope: v.scope.clone(),
                    stats: Vec::new(),
                    budgets: Vec::new(),
                    series: ScopeSeries::default(),
                });
                panels.len() - 1
            }
        };
        let panel = &mut panels[at];
        if !panel.stats.contains(&stat) {
            panel.stats.push(stat);
        }
        if !panel.budgets.iter().any(|b| b.rule == v.rule) {
            panel.budgets.push(Budget {
                ms: v.limit / 1_000.0,
                rule: v.rule.clone(),
                span: v.stage.and_then(|i| stage_span(summary, i)),
                measured: v.measured,
                passed: v.passed,
            });
        }
    }
    if panels.is_empty() {
        let mut scopes: Vec<&String> = Vec::new();
        for sample in &summary.metrics.series {
            for scope in sample.latency.keys() {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
        }
        panels = scopes
            .into_iter()
            .map(|scope| Panel {
                scope: scope.clone(),
                stats: vec![
                    Stat::Percentile(50.0),
                    Stat::Percentile(95.0),
                    Stat::Percentile(99.0),
                ],
                budgets: Vec::new(),
                series: ScopeSeries::default(),
            })
            .collect();
    }
    for panel in &mut panels {
        panel.series = timeline::scope_series(summary, &panel.scope, &panel.stats);
    }
    panels
}

/// The seconds stage `index` covers, as measured or else as planned.
fn stage_span(summary: &RunSummary, index: usize) -> Option<(f64, f64)> {
    if let Some(stage) = summary.metrics.stages.iter().find(|s| s.index == index) {
        return Some((stage.start_secs, stage.start_secs + stage.duration_secs));
    }
    let planned = &summary.settings.stages;
    let start: u64 = planned.iter().take(index).map(|s| s.duration_secs).sum();
    planned
        .get(index)
        .map(|s| (start as f64, (start + s.duration_secs) as f64))
}

/// The colour of a stat's line, the same in every panel.
fn color(stat: Stat) -> RGBColor {
    match stat {
        Stat::Percentile(50.0) => style::BLUE,
        Stat::Percentile(95.0) => style::ORANGE,
        Stat::Percentile(99.0) => style::RED,
        Stat::Percentile(p) if p > 99.0 => style::PURPLE,
        Stat::Percentile(_) => style::SERIES[5],
        Stat::Mean => style::GREEN,
        Stat::Max => style::SERIES[6],
    }
}

fn draw(root: &Area, tips: &mut Tips, summary: &RunSummary, panels: &[Panel]) -> DrawResult {
    let shown = &panels[..panels.len().min(MAX_PANELS)];
    let mut subtitle = format!(
        "{} · successful steps, {} · each budget against its own steps · {}",
        style::shorten(&summary.scenario.name, 40),
        timeline::resolution(timeline::window_secs(summary)),
        timeline::run_length(summary)
    );
    if panels.len() > shown.len() {
        subtitle.push_str(&format!(
            " · {} more scopes not drawn",
            panels.len() - shown.len()
        ));
    }
    let area = frame::header(root, "Latency over time", &subtitle)?;
    if panels.is_empty() {
        return frame::no_data(&area, "no step succeeded during the run");
    }
    let mut stats: Vec<Stat> = Vec::new();
    for stat in shown.iter().flat_map(|p| p.stats.iter()) {
        if !stats.contains(stat) {
            stats.push(*stat);
        }
    }
    let mut entries: Vec<LegendEntry> = stats
        .iter()
        .map(|s| LegendEntry::new(Swatch::Line(color(*s)), &s.label()))
        .collect();
    if shown.iter().any(|p| !p.budgets.is_empty()) {
        entries.push(LegendEntry::new(
            Swatch::Dashed(style::BUDGET),
            "budget (over its stage when pinned to one)",
        ));
    }
    let area = frame::legend(&area, &entries)?;
    let (rows, cols) = match shown.len() {
        1 => (1, 1),
        2 => (2, 1),
        3 | 4 => (2, 2),
        _ => (3, 2),
    };
    let cells = area.split_evenly((rows, cols));
    for (panel, cell) in shown.iter().zip(cells.iter()) {
        draw_panel(cell, tips, summary, panel, shown.len())?;
    }
    Ok(())
}

fn draw_panel(
    area: &Area,
    tips: &mut Tips,
    summary: &RunSummary,
    panel: &Panel,
    count: usize,
) -> DrawResult {
    let (top, body) = area.split_vertically(26);
    let (width, _) = top.dim_in_pixel();
    let scope_style = bold(14.0, &style::INK);
    frame::label(
        &top,
        &frame::fit(&panel.scope, &scope_style, width as i32 - 48),
        (24, 6),
        &scope_style,
        HPos::Left,
        VPos::Top,
    )?;
    if panel.series.is_empty() {
        return frame::no_data(&body, "no successful step in this scope");
    }
    let data_max = panel.series.max_ms();
    let (shown, off_scale): (Vec<&Budget>, Vec<&Budget>) = panel
        .budgets
        .iter()
        .partition(|b| b.ms <= data_max.max(1e-3) * OFF_SCALE);
    let bands = stages::stage_bands(summary);
    let x_end = timeline::x_end(summary, &bands);
    let top_ms = shown.iter().map(|b| b.ms).fold(data_max, f64::max);
    let y_end = style::axis_top(top_ms, 1.18);
    let small = count > 2;
    let mut chart = ChartBuilder::on(&body)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(6)
        .x_label_area_size(if small { 30 } else { 44 })
        .y_label_area_size(if small { 62 } else { 72 })
        .build_cartesian_2d(TimeAxis::new(x_end), 0.0..y_end)?;
    stages::draw_bands(&mut chart, &bands)?;
    let run_secs = summary.metrics.duration_secs.max(x_end);
    let x_format = |v: &f64| style::time_tick(*v, run_secs);
    let y_format = |v: &f64| style::ms_tick(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(if small { 6 } else { 10 })
        .y_labels(if small { 4 } else { 6 })
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format);
    if small {
        mesh.y_desc("ms");
    } else {
        mesh.x_desc("time since start").y_desc("latency (ms)");
    }
    mesh.house_style().draw()?;
    for (line, stat) in panel.series.lines.iter().zip(&panel.stats) {
        timeline::draw_line(&mut chart, line, color(*stat))?;
    }
    window_tips(&chart, tips, summary, panel, &bands, (run_secs, y_end));
    draw_budgets(&mut chart, tips, &shown, x_end)?;
    if !off_scale.is_empty() {
        let rules: Vec<String> = off_scale
            .iter()
            .map(|b| style::shorten(&b.rule, style::MAX_NAME_CHARS))
            .collect();
        let note = style::shorten(&format!("above this scale: {}", rules.join(", ")), 80);
        let note_style = text(12.0, &style::MUTED).pos(Pos::new(HPos::Right, VPos::Top));
        let width = frame::text_width(&note, &note_style);
        // On a white backdrop, so a stage label under it stays out of the way.
        let (left, top) = (-8 - width - 4, 20);
        chart.draw_series(std::iter::once(
            EmptyElement::at((x_end, y_end))
                + Rectangle::new([(left, top), (-4, top + 18)], WHITE.mix(0.9).filled())
                + Text::new(note, (-8, 22), note_style),
        ))?;
        let corner = chart.backend_coord(&(x_end, y_end));
        let details: Vec<String> = off_scale.iter().map(|b| b.tooltip()).collect();
        tips.rect(
            (corner.0 + left, corner.1 + top),
            (corner.0 - 4, corner.1 + top + 18),
            details.join(" · "),
        );
    }
    Ok(())
}

/// Draws each budget as a dashed line (over its stage when pinned to one) with its rule
/// written above its right end; a label that would collide with the previous one goes to
/// the left end instead.
fn draw_budgets(
    chart: &mut stages::TimeChart,
    tips: &mut Tips,
    budgets: &[&Budget],
    x_end: f64,
) -> DrawResult {
    let mut last_right: Option<i32> = None;
    for budget in budgets {
        let (from, to) = budget
            .span
            .map(|(a, b)| (a.clamp(0.0, x_end), b.clamp(0.0, x_end)))
            .unwrap_or((0.0, x_end));
        chart.draw_series(DashedLineSeries::new(
            vec![(from, budget.ms), (to, budget.ms)],
            10,
            6,
            style::BUDGET.stroke_width(2),
        ))?;
        tips.line(
            chart.backend_coord(&(from, budget.ms)),
            chart.backend_coord(&(to, budget.ms)),
            budget.tooltip(),
        );
        let rule = style::shorten(&budget.rule, 60);
        let (to_px, y) = chart.backend_coord(&(to, budget.ms));
        let plot_left = chart.backend_coord(&(0.0, budget.ms)).0;
        // Right-aligned at the line's end, unless it would collide with the previous
        // label or run out of the plot on the left (a short stage near the start).
        let fits_left_of_end =
            to_px - 8 - frame::text_width(&rule, &text(12.0, &style::BUDGET)) >= plot_left;
        let right = fits_left_of_end && last_right.is_none_or(|prev| (prev - y).abs() >= 20);
        let (anchor, offset, h) = if right {
            last_right = Some(y);
            ((to, budget.ms), (-8, -4), HPos::Right)
        } else {
            ((from, budget.ms), (8, -4), HPos::Left)
        };
        let label_style = text(12.0, &style::BUDGET).pos(Pos::new(h, VPos::Bottom));
        let width = frame::text_width(&rule, &label_style);
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

/// One tooltip per window of the panel: the time, its stage and every line's value.
fn window_tips(
    chart: &stages::TimeChart,
    tips: &mut Tips,
    summary: &RunSummary,
    panel: &Panel,
    bands: &[Band],
    (run_secs, y_end): (f64, f64),
) {
    let window = timeline::window_secs(summary) as f64;
    // Window middles are whole or half seconds: keyed in half seconds.
    let mut windows: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (line, stat) in panel.series.lines.iter().zip(&panel.stats) {
        for (x, ms) in line.iter().flatten() {
            windows
                .entry((x * 2.0).round() as i64)
                .or_default()
                .push(format!(
                    "{} {}",
                    stat.label(),
                    format_micros((ms * 1_000.0).round() as u64)
                ));
        }
    }
    for (key, values) in windows {
        let start = key as f64 / 2.0 - window / 2.0;
        let when = if window > 1.0 {
            format!(
                "{}–{}",
                style::time_tick(start, run_secs),
                style::time_tick(start + window, run_secs)
            )
        } else {
            style::time_tick(start, run_secs)
        };
        let stage = stages::band_at(bands, start)
            .map(|b| format!(" ({})", b.full))
            .unwrap_or_default();
        tips.rect(
            chart.backend_coord(&(start, y_end)),
            chart.backend_coord(&(start + window, 0.0)),
            format!("{when}{stage} · {}: {}", panel.scope, values.join(", ")),
        );
    }
}

fn alt_text(summary: &RunSummary, panels: &[Panel]) -> String {
    let mut alt = format!(
        "Line charts of the latency of successful steps in {} over {}, one panel per budget scope",
        timeline::resolution(timeline::window_secs(summary)),
        timeline::run_length(summary)
    );
    if panels.is_empty() {
        alt.push_str("; no step succeeded, so there is nothing to plot.");
        return alt;
    }
    for panel in panels {
        let stats: Vec<String> = panel.stats.iter().map(|s| s.label()).collect();
        alt.push_str(&format!("; {}: {}", panel.scope, stats.join(", ")));
        let peak = panel
            .series
            .lines
            .first()
            .into_iter()
            .flatten()
            .flatten()
            .fold(None, |best: Option<(f64, f64)>, p| match best {
                Some(b) if b.1 >= p.1 => Some(b),
                _ => Some(*p),
            });
        match peak {
            Some((second, ms)) => alt.push_str(&format!(
                " (highest {} {} at {:.0}s)",
                panel.stats[0].label(),
                format_micros((ms * 1_000.0).round() as u64),
                second.floor()
            )),
            None => alt.push_str(" (no successful step)"),
        }
        if !panel.budgets.is_empty() {
            let rules: Vec<&str> = panel.budgets.iter().map(|b| b.rule.as_str()).collect();
            alt.push_str(&format!(" against {}", rules.join(", ")));
        }
    }
    alt.push('.');
    alt
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::fixture::sample_summary;

    #[test]
    fn one_panel_per_budget_scope_with_its_own_figures() {
        let summary = sample_summary();
        let panels = panels(&summary);
        let scopes: Vec<&str> = panels.iter().map(|p| p.scope.as_str()).collect();
        assert_eq!(scopes, ["send-message", "all HTTP steps", "login"]);
        let http = &panels[1];
        assert_eq!(
            http.stats,
            [Stat::Percentile(95.0), Stat::Percentile(99.9)],
            "p95 and p99.9 budgets share the HTTP panel"
        );
        assert_eq!(http.budgets.len(), 2);
        let login = &panels[2];
        assert_eq!(
            login.budgets[0].span,
            Some((0.0, 10.0)),
            "a budget pinned to warm-up is drawn over warm-up only"
        );
        // Each panel's line comes from its own scope: send-message is the slowest step,
        // so its p95 line tops the pooled HTTP p95 line somewhere.
        let top = |p: &Panel| {
            p.series.lines[0]
                .iter()
                .flatten()
                .map(|pt| pt.1)
                .fold(0.0, f64::max)
        };
        assert!(
            top(&panels[0]) > top(login),
            "send-message is slower than login"
        );
        for panel in &panels {
            assert!(!panel.series.is_empty(), "{} has a series", panel.scope);
        }
    }

    #[test]
    fn without_latency_budgets_http_and_websocket_are_apart() {
        let mut summary = sample_summary();
        summary
            .judgement
            .verdicts
            .retain(|v| v.unit != Unit::Micros);
        for second in &mut summary.metrics.series {
            second.latency.clear();
            let mut h = crate::metrics::LatencyHistogram::with_precision(2);
            h.record(1_000);
            second.latency.insert("all HTTP steps".into(), h.clone());
            second.latency.insert("all WebSocket measures".into(), h);
        }
        let panels = panels(&summary);
        let scopes: Vec<&str> = panels.iter().map(|p| p.scope.as_str()).collect();
        assert_eq!(scopes, ["all HTTP steps", "all WebSocket measures"]);
        assert!(panels
            .iter()
            .all(|p| p.budgets.is_empty() && p.stats.len() == 3));
    }
}
