//! `summary.json`: one documented, versioned type holding everything about a run —
//! settings, measurements (with full HDR histograms) and verdicts — so that every report
//! can be re-rendered from it alone, months later or merged with other shards.

use crate::metrics::RunMetrics;
use crate::slo::Judgement;
use serde::{Deserialize, Serialize};

/// The schema version written by this build; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// True when Ctrl-C or SIGTERM stopped the run early: the figures cover only part of
    /// the plan.
    pub interrupted: bool,
    /// Metric names in the order the scenario defines them (tables follow it).
    pub step_order: Vec<String>,
    /// What was measured.
    pub metrics: RunMetrics,
    /// The budgets' verdicts and, for multi-stage runs, the capacity.
    pub judgement: Judgement,
    /// The comparison with `--baseline`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<crate::compare::Comparison>,
    /// Set when this run was one shard of a split run (`--shard I/N`): its identity and
    /// what `loadgate merge` needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::ShardRecord>,
    /// Set when this run was added up from shards by `loadgate merge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<crate::shard::MergeRecord>,
}

/// Why a summary.json cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a loadgate summary of this schema.
    #[error("{path}: not a loadgate summary.json (schema {SCHEMA_VERSION}): {reason}")]
    Invalid {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl RunSummary {
    /// This run compared with `baseline` (`loadgate compare`, `run --baseline`).
    pub fn compared_with(
        &self,
        baseline: &RunSummary,
        tolerance: crate::compare::Tolerance,
    ) -> crate::compare::Comparison {
        crate::compare::compare(
            format!(
                "{} started {}",
                baseline.scenario.name, baseline.settings.started_at
            ),
            &baseline.metrics,
            &self.metrics,
            &self.step_order,
            tolerance,
        )
    }

    /// Reads `path` (a summary.json, or a run folder holding one), checking the schema.
    pub fn read(path: &std::path::Path) -> Result<Self, SummaryError> {
        let file = if path.is_dir() {
            path.join("summary.json")
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file).map_err(|source| SummaryError::Read {
            path: file.clone(),
            source,
        })?;
        let version: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| SummaryError::Invalid {
                path: file.clone(),
                reason: e.to_string(),
            })?;
        match version.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(SummaryError::Invalid {
                    path: file,
                    reason: format!("it has schema version {v}"),
                })
            }
            None => {
                return Err(SummaryError::Invalid {
                    path: file,
                    reason: "no schema_version".into(),
                })
            }
        }
        serde_json::from_value(version).map_err(|e| SummaryError::Invalid {
            path: file,
            reason: e.to_string(),
        })
    }
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
    /// `load.connections`: whose keep-alive connections users' requests went over
    /// (`per_user` in files written before it was recorded, the only mode then).
    #[serde(default)]
    pub connections: crate::scenario::Connections,
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
