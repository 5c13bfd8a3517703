//! The report's charts: latency and throughput over time (with the stages shaded and
//! the latency budgets drawn), the latency distribution, and p95 per step against its
//! budget. Each is drawn once, as SVG (plotters' `SVGBackend`), by [`render_charts`]:
//! the HTML report inlines the SVG, with the figures in `<title>` tooltips, and the
//! PNG rasterized from the same SVG by resvg is written by [`PngCharts`].
//!
//! The PNGs set their text in a font compiled into the binary (see `font`), so they
//! render identically on machines without any system fonts.
//!
//! - `latency_time`, `throughput`, `distribution`, `p95_steps`: one chart each;
//!   `server`: the monitored server's memory and CPU, for runs that watched it;
//! - `timeline`, `time_axis`, `stages`: the time axis, its series and the stage bands
//!   the over-time charts share; `nines`: the distribution's percentile axis;
//! - `svg`, `raster`, `tips`: SVG document → PNG, and the tooltip overlay;
//! - `frame`, `style`, `font`: header, legend, colours, number formats, the typeface;
//! - `fixture` (tests and the `fixtures` feature only): a synthetic run.

mod distribution;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;
mod font;
mod frame;
mod latency_time;
mod nines;
mod p95_steps;
mod raster;
mod server;
mod stages;
mod style;
mod svg;
mod throughput;
mod time_axis;
mod timeline;
mod tips;

#[cfg(test)]
mod tests;

use super::{Chart, ReportError, ReportFile, ReportWriter};
use crate::summary::RunSummary;

pub use distribution::MAX_CURVES;
pub use p95_steps::MAX_BARS;

/// Width of every chart in pixels (SVG units): wide enough for a long run's time axis
/// and a legend row.
pub const CHART_WIDTH: u32 = 1200;

/// Height of every chart in pixels (2:1, so two charts fit on a screen one above the
/// other).
pub const CHART_HEIGHT: u32 = 600;

/// File name of the p50/p95/p99-per-second chart.
pub const LATENCY_OVER_TIME: &str = "latency-over-time.png";
/// File name of the requests/errors/users-per-second chart.
pub const THROUGHPUT_OVER_TIME: &str = "throughput-over-time.png";
/// File name of the percentile-distribution chart.
pub const LATENCY_DISTRIBUTION: &str = "latency-distribution.png";
/// File name of the p95-per-step bar chart.
pub const P95_PER_STEP: &str = "p95-per-step.png";

/// File name of the server memory and CPU chart (runs that monitored the server only).
pub const SERVER_RESOURCES: &str = "server-resources.png";

/// Every chart's file name, in the order [`render_charts`] returns them (the order the
/// HTML report shows them).
pub const CHART_FILES: [&str; 4] = [
    LATENCY_OVER_TIME,
    THROUGHPUT_OVER_TIME,
    LATENCY_DISTRIBUTION,
    P95_PER_STEP,
];

/// Renders the four charts of a run, in [`CHART_FILES`] order, each as SVG and PNG, and
/// [`SERVER_RESOURCES`] after them when the run monitored the server.
/// Empty or partial runs give charts with a "No data" note rather than an error; an
/// error means a chart could not be drawn or rasterized at all.
pub fn render_charts(summary: &RunSummary) -> Result<Vec<Chart>, ReportError> {
    let mut charts = vec![
        latency_time::render(summary)?,
        throughput::render(summary)?,
        distribution::render(summary)?,
        p95_steps::render(summary)?,
    ];
    if let Some(server) = server::render(summary) {
        charts.push(server?);
    }
    Ok(charts)
}

/// Writes the already-rendered charts as PNG files of the report folder, so they can be
/// opened, attached to tickets or embedded elsewhere without the HTML page.
#[derive(Debug, Clone, Copy, Default)]
pub struct PngCharts;

impl ReportWriter for PngCharts {
    fn render(
        &self,
        _summary: &RunSummary,
        charts: &[Chart],
    ) -> Result<Vec<ReportFile>, ReportError> {
        Ok(charts
            .iter()
            .map(|chart| ReportFile {
                name: chart.file_name.clone(),
                bytes: chart.png.clone(),
            })
            .collect())
    }
}
