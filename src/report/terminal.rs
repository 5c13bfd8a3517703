//! The summary table printed when a run ends: one row per step, in scenario order.

use super::{format_micros, format_value};
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
        let measured = match (v.measured, &v.reason) {
            (Some(m), _) => format!("measured {}", format_value(m, v.unit)),
            (None, Some(reason)) => reason.clone(),
            (None, None) => "not measured".to_string(),
        };
        lines.push(format!(
            "  {mark}  {}  ({measured}; limit {} {})",
            v.rule,
            v.comparison,
            format_value(v.limit, v.unit)
        ));
    }
    if let Some(capacity) = &judgement.capacity {
        lines.push(capacity_line(capacity));
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

/// One sentence naming the capacity a multi-stage run measured.
pub fn capacity_line(capacity: &crate::slo::Capacity) -> String {
    let stage = |s: &crate::slo::StageRef| match &s.name {
        Some(name) => format!(
            "stage {} `{name}` ({} users, {:.1} req/s)",
            s.stage + 1,
            s.users,
            s.requests_per_sec
        ),
        None => format!(
            "stage {} ({} users, {:.1} req/s)",
            s.stage + 1,
            s.users,
            s.requests_per_sec
        ),
    };
    match (&capacity.last_passing, &capacity.first_failing) {
        (Some(good), Some(bad)) => format!(
            "Capacity: {} met every budget; {} broke {}",
            stage(good),
            stage(bad),
            capacity.broken_rules.join("; ")
        ),
        (Some(good), None) => format!(
            "Capacity: every stage met every budget, up to {}",
            stage(good)
        ),
        (None, Some(bad)) => format!(
            "Capacity: already {} broke {}",
            stage(bad),
            capacity.broken_rules.join("; ")
        ),
        (None, None) => "Capacity: no loaded stage was judged".to_string(),
    }
}
