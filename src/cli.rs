//! The command line: clap definitions only. Each subcommand's doc comment is its help.

use crate::exit::exit_codes_help;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Load tests for chat platforms: YAML scenarios on Goose, judged against SLO budgets.
#[derive(Debug, Parser)]
#[command(name = "loadgate", version, about, long_about = None, after_help = exit_codes_help())]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and judge it; starts the bundled server unless --target is given.
    #[command(after_help = exit_codes_help())]
    Run(RunArgs),
    /// Check a scenario (or a budgets file such as scenarios/slo.yaml) without running
    /// anything, listing every problem.
    #[command(after_help = exit_codes_help())]
    Validate {
        /// The scenario or budgets file.
        file: PathBuf,
    },
    /// Re-render every report file of a run folder from its summary.json alone.
    Report {
        /// The run folder (or its summary.json).
        dir: PathBuf,
    },
    /// Add up the run folders of a split run's shards (`run --shard I/N`) into one run
    /// folder, judged on the whole.
    #[command(after_help = exit_codes_help())]
    Merge(MergeArgs),
    /// Compare a run with a baseline (summary.json files or run folders); exit 1 on a
    /// regression.
    #[command(after_help = exit_codes_help())]
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
    #[arg(long, value_name = "PERCENT", default_value_t = crate::compare::DEFAULT_TOLERANCE_PERCENT, allow_negative_numbers = true)]
    pub tolerance: f64,
    /// Latency changes smaller than this are never a regression; above it, the
    /// relative --tolerance applies (the margin is the larger of the two).
    #[arg(long, value_name = "DURATION", default_value = DEFAULT_LATENCY_FLOOR)]
    pub latency_floor: String,
    /// Allowed rise in error rate, in percentage points.
    #[arg(
        long,
        value_name = "POINTS",
        default_value_t = 0.1,
        allow_negative_numbers = true
    )]
    pub error_rate_tolerance: f64,
    /// 1 − the false-alarm level (0.5–0.999): with Holm, the chance that a comparison
    /// of two unchanged runs passes as a whole.
    #[arg(
        long,
        value_name = "LEVEL",
        default_value_t = 0.95,
        allow_negative_numbers = true
    )]
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
    /// Multiply every stage's duration, e.g. 0.1 to run a scenario ten times faster
    /// (above 0, at most 100).
    #[arg(long, value_name = "F", default_value_t = 1.0, allow_negative_numbers = true,
          value_parser = parse_time_scale)]
    pub time_scale: f64,
    /// Compare with this earlier run (summary.json or run folder); a regression fails
    /// the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// How much worse than the baseline counts as a regression.
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
    /// Run only shard I of N (counted from 1, e.g. 2/3) of the scenario: its share of
    /// each stage's users, or of the arrivals and max_users; `loadgate merge` adds the N
    /// run folders up and judges the budgets on the whole. A shard's exit code does not
    /// depend on its budgets.
    #[arg(long, value_name = "I/N", value_parser = crate::scenario::shard::Shard::parse)]
    pub shard: Option<crate::scenario::shard::Shard>,
}

/// Options of `loadgate merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' run folders (or their summary.json files), one per shard, in any
    /// order.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged run's files.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Largest `--time-scale`: a 90 s scenario then plans two and a half hours.
pub const MAX_TIME_SCALE: f64 = 100.0;

/// Checks a `--time-scale` value: a finite number above 0 and at most
/// [`MAX_TIME_SCALE`]. Negative numbers reach this check (rather than being taken for a
/// flag), so `--time-scale -1` is told what is wrong with it.
pub fn check_time_scale(scale: f64) -> Result<f64, String> {
    if scale.is_finite() && scale > 0.0 && scale <= MAX_TIME_SCALE {
        Ok(scale)
    } else {
        Err(format!(
            "{scale} must be greater than 0 and at most {MAX_TIME_SCALE} (e.g. 0.1 runs ten times faster)"
        ))
    }
}

/// clap's parser for `--time-scale`.
fn parse_time_scale(text: &str) -> Result<f64, String> {
    let scale: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number (e.g. 0.1 runs ten times faster)"))?;
    check_time_scale(scale)
}
