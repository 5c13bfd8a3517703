//! The one view model of a run: everything the terminal, `report.html`, `summary.md`
//! and `junit.xml` show, already formatted as text by one set of unit formatters
//! ([`format`]). Each format only lays this out, so a figure reads the same wherever it
//! is shown (`5%`, never `5.00%` in one place and `5%` in another), and a broken budget
//! is printed with enough digits to show it is over its limit everywhere.
//!
//! - [`format`]: units (`12.3ms`, `0.66%`, `143.2/s`), stage labels, durations;
//! - `verdicts`: the headline, one row per budget, the capacity statement;
//! - `steps`: per-step figures for the run and each stage, failures by kind;
//! - `stages`: every budget judged on every stage;
//! - `comparison`: the `--baseline` comparison;
//! - `arrivals`: the open model's rates asked for, delivered and dropped;
//! - `generator`: loadgate's own CPU and timer lag, and whether it was the bottleneck.
//! - `server`: the monitored server's series and scrapes.

mod arrivals;
mod comparison;
pub mod format;
mod generator;
mod server;
mod stages;
mod steps;
mod verdicts;

pub use arrivals::{arrival_rows, ArrivalRow, OPEN_MODEL_LATENCY};
pub use comparison::{baseline_view, BaselineRow, BaselineView};
pub use generator::{bottleneck, generator_view, GeneratorRow, GeneratorView, BOTTLENECK};
pub use server::{series_value, server_view, ServerRow, ServerView, SHARED_PROCESS};
pub use stages::{matrix, Matrix, MatrixCell, MatrixRow};
pub use steps::{
    failure_rows, figures_row, kind_label, stage_sections, step_table, FailureRow, StageSection,
    StepRow, StepTable,
};
pub use verdicts::{
    capacity_lines, headline, verdict_row, verdict_rows, CapacityLine, Headline, Source, VerdictRow,
};

use crate::summary::RunSummary;

/// The whole run as every format shows it, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunView {
    /// PASS or FAIL, and why.
    pub headline: Headline,
    /// When the built-in `load delivered` check failed: "loadgate itself was the
    /// bottleneck…" and why, said right after the headline.
    pub bottleneck: Option<String>,
    /// True when the run was stopped before its plan finished.
    pub interrupted: bool,
    /// One row per deciding budget.
    pub verdicts: Vec<VerdictRow>,
    /// The capacity statement of a multi-stage run (empty otherwise).
    pub capacity: Vec<CapacityLine>,
    /// The comparison with `--baseline`, when one was given.
    pub baseline: Option<BaselineView>,
    /// Every budget on every stage, when stages were judged.
    pub matrix: Option<Matrix>,
    /// The per-step table of the whole run.
    pub steps: StepTable,
    /// Each stage's own step table.
    pub stages: Vec<StageSection>,
    /// Failures by step and kind.
    pub failures: Vec<FailureRow>,
    /// Open model: each stage's rates and iterations (empty in the closed model).
    pub arrivals: Vec<ArrivalRow>,
    /// Open model: what latency means here ([`OPEN_MODEL_LATENCY`]).
    pub latency_note: Option<&'static str>,
    /// The generator's own CPU and timer lag (absent in runs recorded before loadgate
    /// watched itself).
    pub generator: Option<GeneratorView>,
    /// The monitored server's series and scrapes, when the run watched it.
    pub server: Option<ServerView>,
}

impl RunView {
    /// Builds the view of a run.
    pub fn new(summary: &RunSummary) -> RunView {
        RunView {
            headline: headline(summary),
            bottleneck: bottleneck(summary),
            interrupted: summary.interrupted,
            verdicts: verdict_rows(summary),
            capacity: summary
                .judgement
                .capacity
                .as_ref()
                .map(|c| capacity_lines(summary, c))
                .unwrap_or_default(),
            baseline: summary.comparison.as_ref().map(baseline_view),
            matrix: matrix(summary),
            steps: step_table(summary),
            stages: stage_sections(summary),
            failures: failure_rows(summary),
            arrivals: arrival_rows(summary),
            latency_note: summary
                .metrics
                .stages
                .iter()
                .any(|s| s.arrivals.is_some())
                .then_some(OPEN_MODEL_LATENCY),
            generator: generator_view(summary),
            server: server_view(summary),
        }
    }

    /// The capacity statement as one paragraph (`None` when there is none).
    pub fn capacity_paragraph(&self) -> Option<String> {
        (!self.capacity.is_empty()).then(|| {
            self.capacity
                .iter()
                .map(|line| line.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

#[cfg(test)]
mod tests;
