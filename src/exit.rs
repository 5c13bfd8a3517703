//! The exit codes loadgate promises scripts and CI jobs, and the top-level error type
//! that maps onto them.

use crate::engine::EngineError;
use crate::scenario::Diagnostics;
use crate::target::TargetError;
use std::path::PathBuf;
use std::process::ExitCode;

/// Every exit code loadgate uses; README.md documents the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Ran, and every budget was met.
    Passed = 0,
    /// Ran, and a budget or the baseline comparison failed.
    Failed = 1,
    /// Bad input (scenario or flag); nothing was run.
    BadInput = 2,
    /// The target could not be reached at start; nothing was run.
    Unreachable = 3,
    /// The run could not be carried out or its files written.
    Internal = 4,
    /// Interrupted by Ctrl-C (SIGINT); partial results were written and say so.
    Interrupted = 130,
    /// Stopped by SIGTERM (a cancelled CI job); partial results were written and say so.
    Terminated = 143,
}

impl Exit {
    /// Every exit code, in the order `--help` and README.md list them.
    pub const ALL: [Exit; 7] = [
        Exit::Passed,
        Exit::Failed,
        Exit::BadInput,
        Exit::Unreachable,
        Exit::Internal,
        Exit::Interrupted,
        Exit::Terminated,
    ];

    /// The number the process exits with.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// What the code means, in one line of `--help` that fits 80 columns (README.md
    /// says the same at more length).
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Passed => "ran; every budget was met, and no regression against --baseline",
            Exit::Failed => "ran; a budget or the baseline comparison failed",
            Exit::BadInput => "bad input (scenario, budgets file, summary.json, flag); nothing run",
            Exit::Unreachable => "the target could not be reached at start; nothing was run",
            Exit::Internal => "the run could not be carried out or its files not written",
            Exit::Interrupted => "interrupted by Ctrl-C (SIGINT); the partial report was written",
            Exit::Terminated => "stopped by SIGTERM (a cancelled CI job); partial report written",
        }
    }
}

/// The exit-code table shown at the end of `--help`, built from [`Exit::ALL`] so the
/// help cannot drift from the codes the program returns.
pub fn exit_codes_help() -> String {
    let mut text = String::from("Exit codes:");
    for exit in Exit::ALL {
        text.push_str(&format!("\n  {:>3}  {}", exit.code(), exit.meaning()));
    }
    text
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Everything that stops a command, each with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The scenario (or budgets file) has problems; all are listed.
    #[error("{0}")]
    Scenario(#[from] Diagnostics),
    /// A flag's value is invalid.
    #[error("{0}")]
    Flag(String),
    /// The target is unusable.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Goose refused the run.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A report input (summary.json) could not be used.
    #[error("{0}")]
    Input(String),
    /// The `--out` folder cannot be written; found before any load was sent.
    #[error("--out {}: cannot write there: {source}; nothing was run", path.display())]
    OutDir {
        /// The folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The run's files could not be written at the end; its summary.json was kept
    /// elsewhere when possible, so `loadgate report` can re-render it.
    #[error("{}", report_not_written(source, kept.as_deref()))]
    ReportNotWritten {
        /// The run folder.
        path: PathBuf,
        /// What went wrong.
        source: Box<AppError>,
        /// Where summary.json was kept instead, if that worked.
        kept: Option<PathBuf>,
    },
}

fn report_not_written(source: &AppError, kept: Option<&std::path::Path>) -> String {
    let head = format!("the run files could not be written: {source}");
    match kept {
        Some(kept) => format!(
            "{head}\nloadgate: the measurements are kept in {}; re-render the report with `loadgate report {}`",
            kept.join("summary.json").display(),
            kept.display()
        ),
        None => format!("{head}\nloadgate: summary.json could not be kept anywhere else either"),
    }
}

impl AppError {
    /// The documented exit code for this error.
    pub fn exit(&self) -> Exit {
        match self {
            AppError::Scenario(_) | AppError::Flag(_) | AppError::Input(_) => Exit::BadInput,
            AppError::Target(TargetError::BadUrl(_)) => Exit::BadInput,
            AppError::Target(TargetError::Unreachable { .. }) => Exit::Unreachable,
            AppError::Target(TargetError::Embedded(_))
            | AppError::Engine(_)
            | AppError::Io { .. }
            | AppError::OutDir { .. }
            | AppError::ReportNotWritten { .. } => Exit::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_and_readme_list_every_exit_code() {
        let help = exit_codes_help();
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        assert!(help.lines().all(|l| l.chars().count() < 80), "{help}");
        for exit in Exit::ALL {
            let code = exit.code();
            assert!(
                help.contains(&format!("{code:>3}  {}", exit.meaning())),
                "{help}"
            );
            assert!(
                readme.contains(&format!("\n| {code} | ")),
                "README.md's exit-code table lacks {code}"
            );
            assert_eq!(ExitCode::from(exit), ExitCode::from(code));
        }
    }
}
