//! The step part of the view: one row of figures per step (for the whole run and for
//! each stage), the all-steps total, and failures grouped by step and kind.

use super::format::{
    format_micros, format_percent, format_rate, ordered_steps, per_second, stage_label, stage_name,
    NONE,
};
use crate::metrics::{StepKind, StepMetrics};
use crate::summary::RunSummary;
use std::collections::BTreeMap;

/// One step's figures, formatted. Latencies are of successful attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    /// The step's name.
    pub name: String,
    /// `HTTP`, `WS send`, …; empty for the total and for a step that never ran.
    pub kind: &'static str,
    /// Attempts.
    pub count: String,
    /// Failed attempts.
    pub errors: String,
    /// Failed attempts as a share of all: `0.66%`, or `–` when none ran.
    pub error_pct: String,
    /// True when any attempt failed.
    pub has_errors: bool,
    /// Attempts per second.
    pub rps: String,
    /// Median latency.
    pub p50: String,
    /// 90th percentile.
    pub p90: String,
    /// 95th percentile.
    pub p95: String,
    /// 99th percentile.
    pub p99: String,
    /// Slowest success.
    pub max: String,
}

impl StepRow {
    /// Errors and their share in one cell, for narrow tables: `3 (0.66%)`, or `0`.
    pub fn errors_with_pct(&self) -> String {
        if self.has_errors {
            format!("{} ({})", self.errors, self.error_pct)
        } else {
            self.errors.clone()
        }
    }
}

/// The per-step table: a row per step in scenario order, and the all-steps total when
/// there is more than one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTable {
    /// One row per step.
    pub rows: Vec<StepRow>,
    /// All steps merged (`all steps`), when there are at least two.
    pub total: Option<StepRow>,
}

/// One stage's own step table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageSection {
    /// `stage 2 · steady`.
    pub label: String,
    /// Users at the end of the stage.
    pub users: usize,
    /// The stage's planned length: `1m 00s`.
    pub duration: String,
    /// Attempts per second over the part of the stage that ran.
    pub rps: String,
    /// The stage's verdict, when stages were judged.
    pub passed: Option<bool>,
    /// The steps that ran in it.
    pub rows: Vec<StepRow>,
}

/// One kind of failure of one step, with an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRow {
    /// The step.
    pub step: String,
    /// The kind: `http 503`, `timeout`, `cancelled`.
    pub label: String,
    /// How many.
    pub count: u64,
    /// One example message (or what `cancelled` means).
    pub example: String,
}

/// How people name a step's kind.
pub fn kind_label(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Http => "HTTP",
        StepKind::WsConnect => "WS connect",
        StepKind::WsSend => "WS send",
        StepKind::WsReceive => "WS receive",
        StepKind::WsFirstFrame => "WS first frame",
        StepKind::WsClose => "WS close",
    }
}

/// The figures of one step over `seconds`.
pub fn figures_row(name: String, kind: &'static str, step: &StepMetrics, seconds: f64) -> StepRow {
    let h = &step.latency;
    let timed = h.count() > 0;
    let latency = |micros: u64| {
        if timed {
            format_micros(micros)
        } else {
            NONE.to_string()
        }
    };
    StepRow {
        name,
        kind,
        count: step.count.to_string(),
        errors: step.errors.to_string(),
        error_pct: if step.count == 0 {
            NONE.to_string()
        } else {
            format_percent(step.error_rate(), 0)
        },
        has_errors: step.errors > 0,
        rps: format_rate(per_second(step.count, seconds)),
        p50: latency(h.percentile(50.0)),
        p90: latency(h.percentile(90.0)),
        p95: latency(h.percentile(95.0)),
        p99: latency(h.percentile(99.0)),
        max: latency(h.max()),
    }
}

/// A row for a step the scenario has but that never ran.
fn never_ran(name: &str) -> StepRow {
    let none = || NONE.to_string();
    StepRow {
        name: name.to_string(),
        kind: "",
        count: "0".into(),
        errors: "0".into(),
        error_pct: none(),
        has_errors: false,
        rps: none(),
        p50: none(),
        p90: none(),
        p95: none(),
        p99: none(),
        max: none(),
    }
}

/// The whole run's step table.
pub fn step_table(summary: &RunSummary) -> StepTable {
    let steps = &summary.metrics.steps;
    let seconds = summary.metrics.duration_secs;
    StepTable {
        rows: ordered_steps(summary, steps)
            .into_iter()
            .map(|name| match steps.get(name) {
                Some(step) => figures_row(name.to_string(), kind_label(step.kind), step, seconds),
                None => never_ran(name),
            })
            .collect(),
        total: total_row(steps, seconds),
    }
}

/// The "all steps" row, shown only when there is more than one step to add up.
fn total_row(steps: &BTreeMap<String, StepMetrics>, seconds: f64) -> Option<StepRow> {
    if steps.len() < 2 {
        return None;
    }
    let mut all = steps.values();
    let mut merged = all.next()?.clone();
    for step in all {
        merged.merge(step);
    }
    Some(figures_row("all steps".to_string(), "", &merged, seconds))
}

/// Each stage's own step table, in stage order.
pub fn stage_sections(summary: &RunSummary) -> Vec<StageSection> {
    summary
        .metrics
        .stages
        .iter()
        .map(|stage| {
            let total: u64 = stage.steps.values().map(|s| s.count).sum();
            StageSection {
                label: stage_label(stage.index, stage_name(summary, stage.index)),
                users: stage.users,
                duration: super::format::format_duration(stage.duration_secs),
                rps: format_rate(per_second(total, stage.ran_secs)),
                passed: summary
                    .judgement
                    .stages
                    .iter()
                    .find(|v| v.stage == stage.index)
                    .map(|v| v.passed),
                rows: ordered_steps(summary, &stage.steps)
                    .into_iter()
                    .filter_map(|name| {
                        let step = stage.steps.get(name)?;
                        Some(figures_row(
                            name.to_string(),
                            kind_label(step.kind),
                            step,
                            stage.duration_secs,
                        ))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Failures grouped by step and kind, with one example each, and the attempts
/// cancelled when the run stopped.
pub fn failure_rows(summary: &RunSummary) -> Vec<FailureRow> {
    let mut rows = Vec::new();
    for name in ordered_steps(summary, &summary.metrics.steps) {
        let Some(step) = summary.metrics.steps.get(name) else {
            continue;
        };
        for (label, failure) in &step.failures {
            rows.push(FailureRow {
                step: name.to_string(),
                label: label.clone(),
                count: failure.count,
                example: failure.example.clone(),
            });
        }
        if step.cancelled > 0 {
            rows.push(FailureRow {
                step: name.to_string(),
                label: "cancelled".to_string(),
                count: step.cancelled,
                example: "still in flight when the run stopped; not counted as errors".to_string(),
            });
        }
    }
    rows
}
