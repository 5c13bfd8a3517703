//! What the gate concluded: one verdict per budget (and per stage), and for runs with
//! several stages the measured capacity. Serialized into `summary.json` and rendered by
//! every report.

use serde::{Deserialize, Serialize};

/// The unit a budget's figures are in, so reports format them right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Microseconds (latency measures).
    Micros,
    /// A fraction 0–1 (error rate), shown as a percentage.
    Fraction,
    /// Per second (throughput).
    PerSecond,
    /// A plain count (concurrent WebSocket connections).
    Count,
}

/// The judgement of one budget over one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The rule as written, e.g. `p95 < 200ms for http`.
    pub rule: String,
    /// Where the budget comes from (requirement document), if documented.
    pub source: Option<String>,
    /// The measure: `p95`, `p99.9`, `mean`, `max`, `error_rate`, `throughput`, `ws_connections`.
    pub measure: String,
    /// The comparison: `<`, `<=`, `>`, `>=`.
    pub comparison: String,
    /// The limit, in `unit`.
    pub limit: f64,
    /// The measured value, in `unit`; `None` when it could not be measured.
    pub measured: Option<f64>,
    /// The unit of `limit` and `measured`.
    pub unit: Unit,
    /// The step names the scope covers (empty for run-wide measures such as connections).
    pub steps: Vec<String>,
    /// A readable scope: `all HTTP steps`, `send-message`, `whole run`.
    pub scope: String,
    /// The 0-based stage judged, or `None` for the whole run.
    pub stage: Option<usize>,
    /// Whether the budget was met.
    pub passed: bool,
    /// Why a budget failed without a measurement (e.g. `the step never ran`).
    pub reason: Option<String>,
}

/// All budgets judged on one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageVerdicts {
    /// 0-based stage index.
    pub stage: usize,
    /// The stage's name, if it has one.
    pub name: Option<String>,
    /// Users at the end of the stage.
    pub users: usize,
    /// Steps completed per second during the stage.
    pub requests_per_sec: f64,
    /// Each budget that can be judged per stage.
    pub verdicts: Vec<Verdict>,
    /// Whether every one of them passed.
    pub passed: bool,
}

/// A stage as the capacity statement names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRef {
    /// 0-based stage index.
    pub stage: usize,
    /// The stage's name, if it has one.
    pub name: Option<String>,
    /// Users at the end of the stage.
    pub users: usize,
    /// Steps completed per second during the stage.
    pub requests_per_sec: f64,
}

/// The measured capacity of a multi-stage run: the last stage that met every budget and
/// the first that broke one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The last stage (before the first break) that met every budget.
    pub last_passing: Option<StageRef>,
    /// The first stage that broke a budget.
    pub first_failing: Option<StageRef>,
    /// The rules that stage broke.
    pub broken_rules: Vec<String>,
}

/// The gate's full conclusion for a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Judgement {
    /// Whole-run (and explicitly stage-scoped) budgets; these decide the exit code.
    pub verdicts: Vec<Verdict>,
    /// Every budget judged on every stage, when the run has more than one stage.
    pub stages: Vec<StageVerdicts>,
    /// Last passing and first failing stage, when stages were judged.
    pub capacity: Option<Capacity>,
}

impl Judgement {
    /// True when every deciding verdict passed.
    pub fn passed(&self) -> bool {
        self.verdicts.iter().all(|v| v.passed)
    }
}
