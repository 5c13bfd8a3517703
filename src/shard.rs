//! What a shard of a split run (`loadgate run --shard I/N`) writes into its
//! `summary.json` so that `loadgate merge` can tell the shards belong together and add
//! them up: its identity, the scenario's fingerprint, the whole plan, the budgets to
//! judge the whole by, and when its stage clock started (to align the shards'
//! per-second series on wall-clock time).

use crate::engine::plan::PlannedStage;
use crate::scenario::{Arrivals, Scenario};
use crate::slo::Budget;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A shard's identity and what merging it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// Which shard, from 1 (`--shard 2/3` is index 2).
    pub index: usize,
    /// How many shards the run was split into.
    pub count: usize,
    /// SHA-256 (hex) of the scenario file's bytes followed by its budgets file's: shards
    /// of one run read the same files.
    pub scenario_sha256: String,
    /// The whole run's plan, which every shard of it must share.
    pub plan: WholePlan,
    /// The budgets, to judge the merged run on the whole.
    pub budgets: Vec<BudgetRecord>,
    /// UTC time (RFC 3339, milliseconds) at which this shard's stage clock started: its
    /// second 0.
    pub clock_started_at: String,
}

/// The whole run's load plan, after `--time-scale` (not one shard's share).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WholePlan {
    /// `--time-scale`.
    pub time_scale: f64,
    /// Every stage of the whole run.
    pub stages: Vec<PlanStage>,
    /// Flows and their weights.
    pub flows: Vec<PlanFlow>,
    /// Open model: `load.max_users` of the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_users: Option<usize>,
    /// Open model: `even` or `poisson`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<String>,
}

/// One stage of the whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStage {
    /// The stage's `name:`, if any.
    pub name: Option<String>,
    /// Users at the end of the stage, over all shards.
    pub users: usize,
    /// Open model: iterations per second at the end of the stage, over all shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Length in whole seconds.
    pub duration_secs: u64,
}

/// One flow of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFlow {
    /// Flow name.
    pub name: String,
    /// Share of users.
    pub weight: usize,
}

/// What a merged run's `summary.json` records about the shards it was added up from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeRecord {
    /// How many shards the run was split into (all of them were merged).
    pub count: usize,
    /// The scenario's fingerprint, as every shard recorded it.
    pub scenario_sha256: String,
    /// The whole plan, as every shard recorded it.
    pub plan: WholePlan,
    /// Each shard, in index order.
    pub shards: Vec<MergedShard>,
}

/// One shard of a merged run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedShard {
    /// Which shard, from 1.
    pub index: usize,
    /// The folder it was read from, as given to `loadgate merge`.
    pub folder: String,
    /// When its stage clock started (UTC, RFC 3339, milliseconds).
    pub clock_started_at: String,
    /// Whole seconds its per-second series was shifted by to line up with the earliest
    /// shard's (its start, rounded to the second).
    pub offset_secs: u64,
    /// Whether Ctrl-C or SIGTERM stopped it early.
    pub interrupted: bool,
}

/// One budget as the scenario gave it, resolved to its stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRecord {
    /// The rule as written.
    pub rule: String,
    /// The requirement it comes from.
    pub source: Option<String>,
    /// The 0-based stage it is limited to.
    pub stage: Option<usize>,
}

impl BudgetRecord {
    /// The record of `budget`.
    pub fn of(budget: &Budget) -> Self {
        BudgetRecord {
            rule: budget.text.clone(),
            source: budget.source.clone(),
            stage: budget.stage,
        }
    }

    /// The budget again, its rule parsed anew; an error names the rule.
    pub fn budget(&self) -> Result<Budget, String> {
        let rule = crate::slo::rule::parse_rule(&self.rule)
            .map_err(|e| format!("budget `{}`: {e}", self.rule))?;
        Ok(Budget {
            text: self.rule.clone(),
            rule,
            source: self.source.clone(),
            stage: self.stage,
        })
    }
}

impl WholePlan {
    /// The plan of the whole `scenario`, with its stages as `stages` (after the time
    /// scale).
    pub fn of(scenario: &Scenario, stages: &[PlannedStage], time_scale: f64) -> Self {
        WholePlan {
            time_scale,
            stages: stages
                .iter()
                .map(|s| PlanStage {
                    name: s.name.clone(),
                    users: s.users,
                    rate: s.rate,
                    duration_secs: s.duration.as_secs(),
                })
                .collect(),
            flows: scenario
                .flows
                .iter()
                .map(|f| PlanFlow {
                    name: f.name.clone(),
                    weight: f.weight,
                })
                .collect(),
            max_users: scenario.load.open.map(|o| o.max_users),
            arrivals: scenario.load.open.map(|o| {
                match o.arrivals {
                    Arrivals::Even => "even",
                    Arrivals::Poisson => "poisson",
                }
                .to_string()
            }),
        }
    }
}

/// SHA-256 (hex) of the scenario file's bytes, then its budgets file's (if it names one).
pub fn fingerprint(scenario_file: &Path, budgets_file: Option<&Path>) -> std::io::Result<String> {
    let mut hash = Sha256::new();
    hash.update(std::fs::read(scenario_file)?);
    if let Some(file) = budgets_file {
        hash.update(b"\0slo\0");
        hash.update(std::fs::read(file)?);
    }
    Ok(hash
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_covers_the_scenario_and_its_budgets() {
        let dir = tempfile::tempdir().unwrap();
        let (scenario, slo) = (dir.path().join("s.yaml"), dir.path().join("slo.yaml"));
        std::fs::write(&scenario, "name: a\n").unwrap();
        std::fs::write(&slo, "budgets: []\n").unwrap();
        let alone = fingerprint(&scenario, None).unwrap();
        let with = fingerprint(&scenario, Some(&slo)).unwrap();
        assert_eq!(alone.len(), 64);
        assert_ne!(alone, with);
        std::fs::write(&slo, "budgets: [] \n").unwrap();
        assert_ne!(fingerprint(&scenario, Some(&slo)).unwrap(), with);
        assert!(fingerprint(&dir.path().join("none"), None).is_err());
    }

    #[test]
    fn a_budget_survives_its_record() {
        let record = BudgetRecord {
            rule: "p95 < 200ms for http in stage 2".into(),
            source: Some("x".into()),
            stage: Some(1),
        };
        let budget = record.budget().unwrap();
        assert_eq!(BudgetRecord::of(&budget), record);
        let bad = BudgetRecord {
            rule: "p95 <".into(),
            ..record
        };
        assert!(bad.budget().unwrap_err().contains("`p95 <`"));
    }
}
