//! The command line: clap definitions only. Each subcommand's doc comment is its help.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Load tests for chat platforms: YAML scenarios on Goose, judged against SLO budgets.
///
/// Exit codes: 0 every budget met; 1 a budget or baseline comparison failed; 2 bad input
/// (nothing was run); 3 the target could not be reached; 4 the run's files could not be
/// written; 130 interrupted (partial results kept).
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
}

/// Options of `loadgate run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Base URL of the server under test (e.g. http://127.0.0.1:8080); without it the
    /// bundled reference server is started in-process on a free loopback port.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// Folder for the run's files [default: reports/<scenario>-<UTC timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Multiply every stage's duration, e.g. 0.1 to run a scenario ten times faster.
    #[arg(long, value_name = "F", default_value_t = 1.0)]
    pub time_scale: f64,
}
