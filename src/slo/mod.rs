//! SLO budgets: the rules (`p95 < 200ms for http`), their evaluation against a run's
//! measurements, and the verdicts that decide the exit code.
//!
//! - `verdict`: the result types written to `summary.json` and rendered by reports.

pub mod verdict;

pub use verdict::{Capacity, Judgement, StageRef, StageVerdicts, Unit, Verdict};
