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
    /// Bytes (server memory), shown in KB, MB or GB of 1,024.
    Bytes,
    /// A fraction per hour (server memory growth), shown as `%/h`.
    FractionPerHour,
    /// A plain number (a server gauge), shown with three significant digits.
    Number,
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
    /// True when the figure covers only part of what the budget asks for, because the
    /// run was interrupted before its window (the run, or the stage) ended.
    #[serde(default)]
    pub partial: bool,
}

/// Every budget that applies to one stage, judged on that stage: the run-wide upper
/// bounds (latency, error rate: health holds in every stage) and the rules pinned to
/// it with `in stage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageVerdicts {
    /// 0-based stage index.
    pub stage: usize,
    /// The stage's name, if it has one.
    pub name: Option<String>,
    /// Users at the start of the stage.
    pub start_users: usize,
    /// Users at the end of the stage.
    pub users: usize,
    /// Open model: the stage's target arrival rates, which capacity counts instead of
    /// users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rates: Option<RateRange>,
    /// Steps completed per second during the part of the stage that ran.
    pub requests_per_sec: f64,
    /// Each budget that applies to the stage.
    pub verdicts: Vec<Verdict>,
    /// Whether every one of them passed.
    pub passed: bool,
    /// False when an interrupted run stopped inside this stage: its figures cover only
    /// part of it, and capacity does not count it.
    pub complete: bool,
}

/// An open-model stage's target arrival rate, ramping from `start` to `end` (iterations
/// per second).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateRange {
    /// At the stage's start.
    pub start: f64,
    /// At the stage's end.
    pub end: f64,
}

/// A stage as the capacity statement names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageRef {
    /// 0-based stage index.
    pub stage: usize,
    /// The stage's name, if it has one.
    pub name: Option<String>,
    /// The load the statement credits the stage with. A stage that held is credited with
    /// the load it kept throughout, the lower of its start and end (a ramp down from 200
    /// to 0 users held 0, not 200); a stage that broke, with the most it reached, the
    /// higher (a ramp up from 120 to 240 that broke, broke at 240 at most).
    pub users: usize,
    /// Open model: the arrival rate the statement credits the stage with (iterations per
    /// second), by the same rule as `users`; capacity is then stated as a rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Steps completed per second during the stage.
    pub requests_per_sec: f64,
}

/// The measured capacity of a multi-stage run, from the stages that ran to their end:
/// the highest load that met every budget applying to its stage, and the lowest load
/// that broke one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The stage with the highest load among those that met every budget that applies
    /// to them, counting each at the lower of its start and end users (the longest such
    /// stage when several share that load).
    pub held: Option<StageRef>,
    /// The stage with the lowest load among those that broke a budget, counting each at
    /// the higher of its start and end users (the earliest when several share that
    /// load).
    pub broke: Option<StageRef>,
    /// The rules that stage broke.
    pub broken_rules: Vec<String>,
    /// Rules that failed over the whole run but in no judged stage (lower bounds such as
    /// `throughput >= 100/s` are judged on the whole run only), so the capacity
    /// statement never reads as if the run met every budget.
    pub run_wide_broken: Vec<String>,
    /// Stages that did not run to their end (an interrupted run) and so were not
    /// counted, by 0-based index.
    pub not_judged: Vec<usize>,
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
