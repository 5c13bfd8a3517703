//! `report.html`: the whole run on one self-contained page that opens anywhere, offline,
//! months later: verdict first, then budgets, capacity, steps, charts, errors and
//! settings. CSS is inline, charts are inline SVG (with tooltips), and nothing is
//! fetched from any network (a Content-Security-Policy meta tag forbids it too). The
//! page is an askama template (`templates/report.html`), so every string from the
//! summary — step names, server error bodies, the target — is HTML-escaped by default;
//! the charts' SVG is inserted as is, escaped by the chart writer.
//!
//! - `view`: the page: the shared [`crate::report::view::RunView`] plus the charts and
//!   settings only the page shows.

mod view;

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;

use super::{Chart, ReportError, ReportFile, ReportWriter};
use crate::summary::RunSummary;
use askama::Template;

/// The report's file name inside the report folder.
pub const FILE_NAME: &str = "report.html";

/// The stylesheet, inlined into every page so the file stands alone.
const CSS: &str = include_str!("report.css");

/// Writes `report.html`, the report for people: readable on a desktop, a phone and
/// on paper, with no network access needed to view it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlReport;

/// The page template; its fields are already formatted text.
#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    page: &'a view::Page,
    css: &'static str,
}

impl HtmlReport {
    /// The page as text, for callers that want the HTML without a [`ReportFile`].
    pub fn render_html(
        &self,
        summary: &RunSummary,
        charts: &[Chart],
    ) -> Result<String, ReportError> {
        let page = view::Page::new(summary, charts);
        ReportPage {
            page: &page,
            css: CSS,
        }
        .render()
        .map_err(|e| ReportError {
            what: FILE_NAME.to_string(),
            reason: e.to_string(),
        })
    }
}

impl ReportWriter for HtmlReport {
    fn render(
        &self,
        summary: &RunSummary,
        charts: &[Chart],
    ) -> Result<Vec<ReportFile>, ReportError> {
        Ok(vec![ReportFile {
            name: FILE_NAME.to_string(),
            bytes: self.render_html(summary, charts)?.into_bytes(),
        }])
    }
}
