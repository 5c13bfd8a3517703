//! The command line: clap definitions only. Each subcommand's doc comment is its help.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Load tests for chat platforms: YAML scenarios on Goose, judged against SLO budgets.
///
/// Exit codes: 0 every budget met; 1 a budget or baseline comparison failed; 2 bad input
/// (nothing was run); 3 the target could not be reached; 4 the run's files could not be
/// written; 130 interrupted by Ctrl-C, 143 by SIGTERM (partial results kept).
#[derive(Debug, Parser)]
#[command(name = "loadgate", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and judge it; starts the bundled server unless --target is given.
    Run(RunArgs),
    /// Check a scenario without running it, listing every problem.
    Validate {
        /// The scenario file.
        file: PathBuf,
    },
    /// Re-render every report file of a run folder from its summary.json alone.
    Report {
        /// The run folder (or its summary.json).
        dir: PathBuf,
    },
    /// Compare a run with a baseline (summary.json files or run folders); exit 1 on a
    /// regression.
    Compare {
        /// The baseline run.
        baseline: PathBuf,
        /// The run to judge.
        current: PathBuf,
        /// How much worse counts as a regression.
        #[command(flatten)]
        tolerance: ToleranceArgs,
        /// Print the comparison as JSON (every figure with its p-values and minimum
        /// detectable effect) instead of the table; the exit code is the same.
        #[arg(long)]
        json: bool,
    },
}

/// How much worse than the baseline counts as a regression (defaults chosen from
/// `bench/gate-fidelity`; see README.md).
#[derive(Debug, Clone, clap::Args)]
pub struct ToleranceArgs {
    /// Allowed worsening of p95, p99 and throughput, in percent.
    #[arg(long, value_name = "PERCENT", default_value_t = crate::compare::DEFAULT_TOLERANCE_PERCENT)]
    pub tolerance: f64,
    /// Latency changes smaller than this are never a regression; above it, the
    /// relative --tolerance applies (the margin is the larger of the two).
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_LATENCY_FLOOR)]
    pub latency_floor: String,
    /// Allowed rise in error rate, in percentage points.
    #[arg(long, value_name = "POINTS", default_value_t = 0.1)]
    pub error_rate_tolerance: f64,
    /// 1 − the false-alarm level (0.5–0.999): with Holm, the chance that a comparison
    /// of two unchanged runs passes as a whole.
    #[arg(long, value_name = "LEVEL", default_value_t = 0.95)]
    pub confidence: f64,
    /// How the false-alarm level is shared among the figures: `holm` (family-wise) or
    /// `none` (each figure on its own, so many figures mean more false alarms).
    #[arg(long, value_name = "METHOD", default_value = "holm", value_parser = ["holm", "none"])]
    pub correction: String,
    /// Let p99 fail the comparison too. By default it is shown with its detectable
    /// effect but not gated: in a one-minute run a single stall moves it.
    #[arg(long)]
    pub gate_p99: bool,
}

/// Default `--latency-floor`; the same as `compare::DEFAULT_LATENCY_FLOOR_MICROS`.
pub const DEFAULT_LATENCY_FLOOR: &str = "3ms";

/// Options of `loadgate run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Base URL of the server under test (e.g. http://127.0.0.1:8080/prefix); its path
    /// prefixes every step path. Without it the bundled reference server is started
    /// in-process on a free loopback port.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Folder for the run's files [default: reports/<scenario>-<UTC timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Multiply every stage's duration, e.g. 0.1 to run a scenario ten times faster.
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub time_scale: f64,
    /// Compare with this earlier run (summary.json or run folder); a regression fails
    /// the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline counts as a regression.
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
}
