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
