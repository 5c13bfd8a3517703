//! `p95-per-step.png`: each step's p95 as a bar, in scenario order, against the p95
//! budget that judges that step alone — which steps are slow, and which of them break a
//! budget. A budget pooling several steps is judged on the pool, not on any one bar, so
//! it marks none of them.

use super::frame::{self, text, HouseStyle, LegendEntry, Swatch};
use super::svg::{self, Area, DrawResult, Meta};
use super::tips::Tips;
use super::{style, Chart, P95_PER_STEP};
use crate::report::{format_micros, ReportError};
use crate::slo::{Unit, Verdict};
use crate::summary::RunSummary;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// At most this many bars; further steps are counted in a note under the chart.
pub const MAX_BARS: usize = 20;

/// How a bar compares with its budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Within every p95 budget that covers the step.
    Within,
    /// Over at least one of them.
    Over,
    /// No whole-run p95 budget covers the step.
    NoBudget,
}

/// A p95 budget judging one step alone, with the gate's verdict on it.
#[derive(Debug, Clone)]
struct Mark {
    micros: f64,
    comparison: String,
    rule: String,
    passed: bool,
}

/// One bar.
struct Row {
    name: String,
    /// `None` when the step recorded no latency.
    p95: Option<u64>,
    marks: Vec<Mark>,
    status: Status,
}

impl Row {
    fn color(&self) -> RGBColor {
        match self.status {
            Status::Within => style::GREEN,
            Status::Over => style::RED,
            Status::NoBudget => style::NEUTRAL,
        }
    }

    /// `312.4ms (budget < 250ms)`.
    fn value_label(&self) -> String {
        let Some(p95) = self.p95 else {
            return "no samples".to_string();
        };
        let mut label = format_micros(p95);
        if let Some(tight) = self.tightest() {
            label.push_str(&format!(
                "  (budget {} {})",
                tight.comparison,
                style::limit_label(tight.micros)
            ));
        }
        label
    }

    /// `send-message: p95 210.4ms · budget p95 < 200ms for send-message: broken`.
    fn tooltip(&self) -> String {
        let mut tip = match self.p95 {
            Some(p95) => format!("{}: p95 {}", self.name, format_micros(p95)),
            None => format!("{}: no samples", self.name),
        };
        if self.marks.is_empty() {
            tip.push_str(" · no p95 budget judges this step alone");
        }
        for mark in &self.marks {
            let verdict = if mark.passed { "met" } else { "broken" };
            tip.push_str(&format!(" · budget {}: {verdict}", mark.rule));
        }
        tip
    }

    fn tightest(&self) -> Option<&Mark> {
        self.marks
            .iter()
            .min_by(|a, b| a.micros.total_cmp(&b.micros))
    }
}

/// Renders the chart.
pub(crate) fn render(summary: &RunSummary) -> Result<Chart, ReportError> {
    let rows = rows(summary);
    let meta = Meta {
        file_name: P95_PER_STEP,
        title: "p95 latency per step",
        alt: alt_text(&rows),
    };
    svg::render(meta, |root, tips| draw(root, tips, summary, &rows))
}

/// Steps in scenario order, then any measured step the order does not list.
fn step_names(summary: &RunSummary) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let listed = summary.step_order.iter().map(String::as_str);
    let measured = summary.metrics.steps.keys().map(String::as_str);
    for name in listed.chain(measured) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn rows(summary: &RunSummary) -> Vec<Row> {
    let budgets: Vec<&Verdict> = summary
        .judgement
        .verdicts
        .iter()
        .filter(|v| {
            v.measure == "p95" && v.unit == Unit::Micros && v.stage.is_none() && v.limit.is_finite()
        })
        .collect();
    step_names(summary)
        .into_iter()
        .map(|name| {
            let p95 = summary
                .metrics
                .steps
                .get(name)
                .filter(|s| s.latency.count() > 0)
                .map(|s| s.latency.percentile(95.0));
            let marks: Vec<Mark> = budgets
                .iter()
                // Only a budget that judges this step alone is judged on this bar: a
                // pooled budget (`for http`) can pass while one of its steps is slower.
                .filter(|v| v.steps.len() == 1 && v.steps[0] == name)
                .map(|v| Mark {
                    micros: v.limit,
                    comparison: v.comparison.clone(),
                    rule: v.rule.clone(),
                    passed: v.passed,
                })
                .collect();
            // The gate's own verdicts decide the colour: the chart never re-judges.
            let status = match p95 {
                _ if marks.is_empty() => Status::NoBudget,
                None => Status::NoBudget,
                Some(_) if marks.iter().all(|m| m.passed) => Status::Within,
                Some(_) => Status::Over,
            };
            Row {
                name: style::step_name(name),
                p95,
                marks,
                status,
            }
        })
        .collect()
}

fn draw(root: &Area, tips: &mut Tips, summary: &RunSummary, rows: &[Row]) -> DrawResult {
    let subtitle = format!(
        "{} · 95th percentile latency of each step over the whole run, in scenario order",
        style::shorten(&summary.scenario.name, 60)
    );
    let area = frame::header(root, "p95 latency per step", &subtitle)?;
    if rows.is_empty() {
        return frame::no_data(&area, "the scenario has no steps");
    }
    let area = frame::legend(
        &area,
        &[
            LegendEntry::new(Swatch::Box(style::GREEN), "within its p95 budget"),
            LegendEntry::new(Swatch::Box(style::RED), "over its p95 budget"),
            LegendEntry::new(Swatch::Box(style::NEUTRAL), "no p95 budget"),
            LegendEntry::new(Swatch::Marker(style::INK), "p95 budget"),
        ],
    )?;
    let hidden = rows.len().saturating_sub(MAX_BARS);
    let rows = &rows[..rows.len().min(MAX_BARS)];
    let area = if hidden > 0 {
        let (height_w, height_h) = area.dim_in_pixel();
        let (chart_area, note_area) = area.split_vertically(height_h.saturating_sub(24));
        let note = format!("{hidden} more step(s) not shown: at most {MAX_BARS} bars fit");
        frame::label(
            &note_area,
            &note,
            (height_w as i32 - 24, 4),
            &text(12.0, &style::MUTED),
            HPos::Right,
            VPos::Top,
        )?;
        chart_area
    } else {
        area
    };

    let name_style = text(13.0, &style::INK);
    let mut name_width = 0;
    for row in rows {
        name_width = name_width.max(frame::text_width(&row.name, &name_style));
    }
    let name_width = name_width.clamp(60, 420);
    let value_style = text(13.0, &style::INK);
    let max_ms = rows
        .iter()
        .flat_map(|r| {
            r.p95
                .map(|p| p as f64)
                .into_iter()
                .chain(r.marks.iter().map(|m| m.micros))
        })
        .fold(0.0, f64::max)
        / 1_000.0;
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(&area)
        .margin_left(16)
        .margin_right(32)
        .margin_bottom(12)
        .x_label_area_size(52)
        .y_label_area_size(name_width as u32 + 20)
        .build_cartesian_2d(0.0..style::axis_top(max_ms, 1.3), 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_desc("p95 latency (ms)")
        .x_label_formatter(&|v| style::ms_tick(*v))
        .house_style()
        .draw()?;

    let (base_x, base_y) = area.get_base_pixel();
    let x_end = chart.x_range().end;
    let plot_right = chart.backend_coord(&(x_end, 0.0)).0;
    for (i, row) in rows.iter().enumerate() {
        let top = n - i as f64;
        let (low, high) = (top - 0.78, top - 0.22);
        let middle = top - 0.5;
        let name_at = chart.backend_coord(&(0.0, middle));
        // The whole row, name included, shows the bar's figures on hover.
        tips.rect(
            (
                name_at.0 - name_width - 12,
                chart.backend_coord(&(0.0, top)).1,
            ),
            chart.backend_coord(&(x_end, top - 1.0)),
            row.tooltip(),
        );
        frame::label(
            &area,
            &row.name,
            (name_at.0 - base_x - 10, name_at.1 - base_y),
            &name_style,
            HPos::Right,
            VPos::Center,
        )?;
        let mut candidates = vec![0.0f64];
        if let Some(p95) = row.p95 {
            let ms = p95 as f64 / 1_000.0;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, low), (ms, high)],
                row.color().filled(),
            )))?;
            candidates[0] = ms;
        }
        let mut markers = Vec::new();
        for mark in &row.marks {
            let ms = mark.micros / 1_000.0;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(ms, top - 0.9), (ms, top - 0.1)],
                style::INK.stroke_width(3),
            )))?;
            tips.line(
                chart.backend_coord(&(ms, top - 0.9)),
                chart.backend_coord(&(ms, top - 0.1)),
                format!(
                    "{}: budget {} ({})",
                    row.name,
                    mark.rule,
                    if mark.passed { "met" } else { "broken" }
                ),
            );
            markers.push(chart.backend_coord(&(ms, middle)).0);
            candidates.push(ms);
        }
        // Right after the bar, unless a budget marker would cut through the text; then
        // right after the first marker that leaves the text clear.
        let value = row.value_label();
        let width = frame::text_width(&value, &value_style);
        let bar_end = chart.backend_coord(&(candidates[0], middle)).0 + 8;
        candidates.sort_by(f64::total_cmp);
        let y = chart.backend_coord(&(0.0, middle)).1;
        let clear = |x: i32| !markers.iter().any(|m| *m >= x - 6 && *m <= x + width + 6);
        let x = candidates
            .iter()
            .map(|ms| chart.backend_coord(&(*ms, middle)).0 + 8)
            .filter(|x| *x >= bar_end)
            .find(|x| clear(*x))
            .unwrap_or_else(|| markers.iter().copied().max().unwrap_or(0) + 8)
            .min(plot_right - width - 4);
        frame::label(
            &area,
            &value,
            (x - base_x, y - base_y),
            &value_style,
            HPos::Left,
            VPos::Center,
        )?;
    }
    Ok(())
}

fn alt_text(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "Bar chart of p95 latency per step: the scenario has no steps.".to_string();
    }
    let parts: Vec<String> = rows
        .iter()
        .map(|r| {
            let verdict = match r.status {
                Status::Within => ", within budget",
                Status::Over => ", over budget",
                Status::NoBudget => "",
            };
            format!("{}: {}{verdict}", r.name, r.value_label())
        })
        .collect();
    format!(
        "Bar chart of each step's p95 latency over the whole run. {}.",
        parts.join("; ")
    )
}
