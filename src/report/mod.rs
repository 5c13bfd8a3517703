//! Turning a [`RunSummary`] into what people read: the terminal table and the files of
//! the report folder, one writer per format behind [`ReportWriter`].
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

/// Formats a budget figure in its unit: `12.3ms`, `0.012%`, `143.2/s`, `1000`.
pub fn format_value(value: f64, unit: crate::slo::Unit) -> String {
    use crate::slo::Unit;
    match unit {
        Unit::Micros => format_micros(value.round().max(0.0) as u64),
        Unit::Fraction => {
            let percent = value * 100.0;
            if percent == 0.0 || percent >= 1.0 {
                format!("{percent:.2}%")
            } else {
                format!("{percent:.3}%")
            }
        }
        Unit::PerSecond => format!("{value:.1}/s"),
        Unit::Count => format!("{value:.0}"),
    }
}

/// Formats microseconds for people: `850µs`, `12.3ms`, `1.52s`.
pub fn format_micros(micros: u64) -> String {
    if micros < 1_000 {
        format!("{micros}µs")
    } else if micros < 1_000_000 {
        format!("{:.1}ms", micros as f64 / 1_000.0)
    } else {
        format!("{:.2}s", micros as f64 / 1_000_000.0)
    }
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

/// Renders the charts once and writes every format into `dir`.
pub fn write_run_folder(
    dir: &Path,
    summary: &RunSummary,
) -> Result<Vec<String>, crate::exit::AppError> {
    let io = |source| crate::exit::AppError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let charts =
        charts::render_charts(summary).map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let writers = writers();
    let refs: Vec<&dyn ReportWriter> = writers.iter().map(|w| w.as_ref()).collect();
    write_report(dir, summary, &refs, &charts).map_err(io)
}
