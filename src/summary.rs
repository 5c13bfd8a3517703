//! `summary.json`: one documented, versioned type holding everything about a run —
//! settings, measurements (with full HDR histograms) and verdicts — so that every report
//! can be re-rendered from it alone, months later or merged with other shards.

use crate::metrics::RunMetrics;
use crate::slo::Judgement;
use serde::{Deserialize, Serialize};

/// The schema version written by this build; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole record of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// [`SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// `loadgate <version>` that wrote the file.
    pub tool: String,
    /// Which scenario ran.
    pub scenario: ScenarioInfo,
    /// How it ran.
    pub settings: RunSettings,
    /// True when Ctrl-C stopped the run early: the figures cover only part of the plan.
    pub interrupted: bool,
    /// Metric names in the order the scenario defines them (tables follow it).
    pub step_order: Vec<String>,
    /// What was measured.
    pub metrics: RunMetrics,
    /// The budgets' verdicts and, for multi-stage runs, the capacity.
    pub judgement: Judgement,
}

/// The scenario's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// `name:` from the file.
    pub name: String,
    /// `description:` from the file.
    pub description: Option<String>,
    /// The file as given on the command line.
    pub file: String,
}

/// The settings a run used (never any secret: no headers, bodies or environment values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Base URL of the server under test.
    pub target: String,
    /// True when loadgate started its bundled reference server.
    pub embedded_target: bool,
    /// `--time-scale`.
    pub time_scale: f64,
    /// Stages as run (after scaling, in whole seconds).
    pub stages: Vec<StageSetting>,
    /// Flows and their weights.
    pub flows: Vec<FlowSetting>,
    /// UTC start, RFC 3339.
    pub started_at: String,
    /// UTC end, RFC 3339.
    pub finished_at: String,
}

/// One stage as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSetting {
    /// The stage's `name:`, if given.
    pub name: Option<String>,
    /// Users at the end of the stage.
    pub users: usize,
    /// Length in seconds.
    pub duration_secs: u64,
}

/// One flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowSetting {
    /// Flow name.
    pub name: String,
    /// Share of users.
    pub weight: usize,
}
