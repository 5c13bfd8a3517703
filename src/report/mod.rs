//! Turning a [`RunSummary`] into what people read: the terminal summary and the files
//! of the report folder.
//!
//! - `view/`: the one view model and its unit formatters; every format below reads the
//!   run through it, so all say the same figure the same way.
//! - one module per format, each a [`ReportWriter`]: `html/` (`report.html`, an askama
//!   template), `markdown` (`summary.md`), `junit` (`junit.xml`), `json`
//!   (`summary.json`), `charts/` (the PNG charts); `terminal` and `comparison` print to
//!   the terminal. A new format is a new module beside these, built from
//!   [`view::RunView`] and listed in [`writers`].
//!
//! Writers return bytes and do no I/O; [`write_report`] renders the charts once, hands
//! them to every writer (the HTML inlines them) and writes the folder.

pub mod charts;
pub mod comparison;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod terminal;
pub mod view;

pub use view::format::format_micros;

use crate::summary::RunSummary;
use std::path::Path;

/// One file of the report folder.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    /// File name inside the folder, e.g. `report.html`.
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A rendered chart, drawn once as SVG: the HTML report inlines the SVG (crisp at any
/// zoom, with tooltips) and the PNG files are the same picture rasterized.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File name of the PNG, e.g. `latency-over-time.png`.
    pub file_name: String,
    /// Title, drawn at the top of the picture.
    pub title: String,
    /// Text alternative describing what it shows.
    pub alt: String,
    /// The SVG document (one `<svg>` element, ready to inline in HTML).
    pub svg: String,
    /// PNG bytes, rasterized from `svg`.
    pub png: Vec<u8>,
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("cannot render {what}: {reason}")]
pub struct ReportError {
    /// Which artifact.
    pub what: String,
    /// What went wrong.
    pub reason: String,
}

/// One output format.
pub trait ReportWriter {
    /// Renders this format's files from the summary and the already-rendered charts.
    fn render(
        &self,
        summary: &RunSummary,
        charts: &[Chart],
    ) -> Result<Vec<ReportFile>, ReportError>;
}

/// Renders every format and writes the folder; files are written to a temporary name
/// and renamed, so a failure never leaves a half-written file behind.
pub fn write_report(
    dir: &Path,
    summary: &RunSummary,
    writers: &[&dyn ReportWriter],
    charts: &[Chart],
) -> Result<Vec<String>, std::io::Error> {
    let mut files = Vec::new();
    for writer in writers {
        let rendered = writer
            .render(summary, charts)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        files.extend(rendered);
    }
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for file in files {
        let final_path = dir.join(&file.name);
        let temp_path = dir.join(format!(".{}.partial", file.name));
        std::fs::write(&temp_path, &file.bytes)?;
        std::fs::rename(&temp_path, &final_path)?;
        names.push(file.name);
    }
    Ok(names)
}

/// Every format loadgate writes into a run folder.
pub fn writers() -> Vec<Box<dyn ReportWriter>> {
    vec![
        Box::new(json::JsonSummary),
        Box::new(charts::PngCharts),
        Box::new(html::HtmlReport),
        Box::new(markdown::MarkdownSummary),
        Box::new(junit::JunitReport),
    ]
}

/// Renders the charts once and writes every format into `dir`; the caller decides what
/// a failure means (the command line maps it to its exit code).
pub fn write_run_folder(dir: &Path, summary: &RunSummary) -> std::io::Result<Vec<String>> {
    let charts =
        charts::render_charts(summary).map_err(|e| std::io::Error::other(e.to_string()))?;
    let writers = writers();
    let refs: Vec<&dyn ReportWriter> = writers.iter().map(|w| w.as_ref()).collect();
    write_report(dir, summary, &refs, &charts)
}
