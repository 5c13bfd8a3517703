//! The open model's own table: per stage, the arrival rate asked for, the iterations
//! that started and the ones dropped, so a reader sees whether the load was delivered.

use super::format::{format_arrival_rate, rate_range, stage_label};
use crate::summary::RunSummary;

/// One stage's arrivals, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalRow {
    /// `stage 2 · hold`.
    pub stage: String,
    /// Target rate: `200/s`, or `50/s→200/s` for a ramp.
    pub target: String,
    /// Iterations the plan asked for in the stage.
    pub planned: String,
    /// Iterations that started.
    pub started: String,
    /// Started per second of the stage that ran.
    pub delivered: String,
    /// Iterations dropped (no user free in time).
    pub dropped: String,
    /// True when any iteration was dropped.
    pub has_drops: bool,
}

/// The sentence that says what latency means in an open-model run.
pub const OPEN_MODEL_LATENCY: &str = "Open model: latency is timed from each iteration's intended start, so time spent waiting for a free user counts; summary.json also keeps the service time, from the actual send.";

/// One row per stage of an open-model run; empty for a closed-model run.
pub fn arrival_rows(summary: &RunSummary) -> Vec<ArrivalRow> {
    summary
        .metrics
        .stages
        .iter()
        .filter_map(|stage| {
            let a = stage.arrivals.as_ref()?;
            Some(ArrivalRow {
                stage: stage_label(stage.index, stage.name.as_deref()),
                target: rate_range(a.start_rate, a.end_rate),
                planned: format!("{:.0}", a.planned),
                started: a.started.to_string(),
                delivered: format_arrival_rate(a.started as f64 / stage.ran_secs.max(1e-9)),
                dropped: a.dropped.to_string(),
                has_drops: a.dropped > 0,
            })
        })
        .collect()
}
