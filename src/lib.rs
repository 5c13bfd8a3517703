//! loadgate: load tests for chat platforms, written in YAML, run on Goose, judged
//! against SLO budgets.
//!
//! # Layout
//!
//! - [`scenario`]: the YAML format, checked into a [`scenario::Scenario`] with
//!   file:line:column errors.
//! - [`metrics`]: HDR histograms per step, stage and second; failures by class.

pub mod metrics;
pub mod scenario;
