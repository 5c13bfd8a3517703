//! `loadgate report DIR`: every report file re-rendered from the folder's summary.json
//! alone — for a run from months ago, or after an upgrade of the report formats.

use crate::baseline::read_run;
use crate::exit::{AppError, Exit};
use crate::report::write_run_folder;
use std::path::Path;

/// Re-renders the folder holding `path` (a run folder or its summary.json).
pub fn rerender(path: &Path) -> Result<Exit, AppError> {
    let summary = read_run(path)?;
    let dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    };
    let files = write_run_folder(&dir, &summary).map_err(|source| AppError::Io {
        path: dir.clone(),
        source,
    })?;
    println!(
        "re-rendered {} file(s) in {}: {}",
        files.len(),
        dir.display(),
        files.join(", ")
    );
    Ok(Exit::Passed)
}
