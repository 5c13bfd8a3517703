//! The summary table printed when a run ends: one row per step, in scenario order.

use super::format_micros;
use super::html::format::{capacity_lines, verdict_statement};
use crate::summary::RunSummary;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};

/// The per-step table as text (comfy-table adapts to the terminal width).
pub fn step_table(summary: &RunSummary) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "step", "count", "errors", "req/s", "p50", "p90", "p95", "p99", "max",
    ]);
    let seconds = summary.metrics.duration_secs.max(1e-9);
    for name in &summary.step_order {
        let Some(step) = summary.metrics.steps.get(name) else {
            table.add_row(vec![
                name.clone(),
                "0".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ]);
            continue;
        };
        let h = &step.latency;
        let errors = if step.errors == 0 {
            "0".to_string()
        } else {
            format!("{} ({:.2}%)", step.errors, step.error_rate() * 100.0)
        };
        // Latency columns are of successful attempts; none succeeded, nothing to show.
        let latency = |micros: u64| {
            if h.count() == 0 {
                "-".to_string()
            } else {
                format_micros(micros)
            }
        };
        table.add_row(vec![
            name.clone(),
            step.count.to_string(),
            errors,
            format!("{:.1}", step.count as f64 / seconds),
            latency(h.percentile(50.0)),
            latency(h.percentile(90.0)),
            latency(h.percentile(95.0)),
            latency(h.percentile(99.0)),
            latency(h.max()),
        ]);
    }
    for column in 1..9 {
        if let Some(col) = table.column_mut(column) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

/// Failures grouped by step and kind, with one example each, and attempts cancelled
/// when the run stopped; empty when none.
pub fn failure_lines(summary: &RunSummary) -> Vec<String> {
    let mut lines = Vec::new();
    for name in &summary.step_order {
        if let Some(step) = summary.metrics.steps.get(name) {
            for (kind, failure) in &step.failures {
                lines.push(format!(
                    "{name}: {kind} ×{} (e.g. {})",
                    failure.count, failure.example
                ));
            }
            if step.cancelled > 0 {
                lines.push(format!(
                    "{name}: cancelled ×{} (still in flight when the run stopped; not errors)",
                    step.cancelled
                ));
            }
        }
    }
    lines
}

/// The verdict block: one line per budget, the capacity when stages were judged, and
/// the overall result.
pub fn verdict_lines(summary: &RunSummary) -> Vec<String> {
    let judgement = &summary.judgement;
    let mut lines = Vec::new();
    if judgement.verdicts.is_empty() {
        lines.push("SLO gate: no budgets (add `slo:` or `budgets:` to the scenario)".to_string());
        return lines;
    }
    lines.push("SLO budgets:".to_string());
    for v in &judgement.verdicts {
        let mark = if v.passed { "PASS" } else { "FAIL" };
        lines.push(format!("  {mark}  {}  ({})", v.rule, verdict_statement(v)));
    }
    if let Some(capacity) = &judgement.capacity {
        lines.push(capacity_line(summary, capacity));
    }
    let failed = judgement.verdicts.iter().filter(|v| !v.passed).count();
    lines.push(if failed == 0 {
        format!(
            "SLO gate: PASS (all {} budgets met)",
            judgement.verdicts.len()
        )
    } else {
        format!(
            "SLO gate: FAIL ({failed} of {} budgets broken)",
            judgement.verdicts.len()
        )
    });
    lines
}

/// The capacity statement of a multi-stage run, as one paragraph.
pub fn capacity_line(summary: &RunSummary, capacity: &crate::slo::Capacity) -> String {
    let sentences: Vec<String> = capacity_lines(summary, capacity)
        .into_iter()
        .map(|line| line.text)
        .collect();
    format!("Capacity: {}", sentences.join(" "))
}
