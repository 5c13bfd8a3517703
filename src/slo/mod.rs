//! SLO budgets: the rules (`p95 < 200ms for http`), where they come from, their
//! evaluation against a run's measurements, and the verdicts that decide the exit code.
//!
//! - `rule`: the syntax; `budgets`: the budgets file and inline rules, checked against
//!   the scenario; `evaluate`: verdicts, stage verdicts and capacity; `delivered`: the
//!   open model's built-in `load delivered` check; `server`: the server budgets' figures
//!   from the monitored series; `verdict`: the result types written to `summary.json`.

pub mod budgets;
pub mod delivered;
pub mod evaluate;
pub mod rule;
mod server;
pub mod verdict;

pub use budgets::{load_budgets, Budget};
pub use evaluate::{holding_spans, judge, series_scopes};
pub use verdict::{Capacity, Judgement, RateRange, StageRef, StageVerdicts, Unit, Verdict};
