//! loadgate: load tests for chat platforms, written in YAML, run on Goose, judged
//! against SLO budgets.
//!
//! Data flows one way: YAML → [`scenario`] → [`engine`] (Goose runs it; steps record
//! into [`metrics`]) → [`summary`] → [`report`].
//!
//! # Layout
//!
//! - [`cli`]: clap definitions; [`exit`]: exit codes and the top-level error;
//! - [`run`], [`validate`], [`rerender`], [`merge`]: the subcommands' pipelines;
//!   [`shard`]: what a shard of a split run records for merging;
//! - [`compare`]: baseline comparison that tells regressions from noise (statistics
//!   only); [`baseline`]: the `compare` subcommand and `--baseline` glue;
//! - [`scenario`]: the YAML format, checked into a [`scenario::Scenario`] with
//!   file:line:column errors;
//! - [`engine`]: scenarios as Goose scenarios, HTTP and WebSocket steps;
//! - [`target`]: the server under test (checked, or the bundled one in-process);
//! - [`metrics`]: HDR histograms per step, stage and second; failures by class; the
//!   server's series;
//! - [`monitor`]: scrapes the target's Prometheus metrics during the run;
//! - [`slo`]: budgets, their verdicts and the measured capacity;
//! - [`progress`]: the live display; [`summary`]: the `summary.json` type;
//! - [`report`]: the terminal table and report files.

pub mod baseline;
pub mod cli;
pub mod compare;
pub mod engine;
pub mod exit;
pub mod merge;
pub mod metrics;
pub mod monitor;
pub mod progress;
pub mod report;
pub mod rerender;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod slo;
pub mod summary;
pub mod target;
pub mod validate;
