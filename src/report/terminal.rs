//! The summary table printed when a run ends: one row per step, in scenario order.

use super::format_micros;
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
        table.add_row(vec![
            name.clone(),
            step.count.to_string(),
            errors,
            format!("{:.1}", step.count as f64 / seconds),
            format_micros(h.percentile(50.0)),
            format_micros(h.percentile(90.0)),
            format_micros(h.percentile(95.0)),
            format_micros(h.percentile(99.0)),
            format_micros(h.max()),
        ]);
    }
    for column in 1..9 {
        if let Some(col) = table.column_mut(column) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    table.to_string()
}

/// Failures grouped by step and kind, with one example each; empty when none failed.
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
        }
    }
    lines
}
