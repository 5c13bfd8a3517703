//! `summary.json`: the run's whole record (see [`crate::summary`]), pretty-printed so a
//! diff between two runs reads well.

use super::{Chart, ReportError, ReportFile, ReportWriter};
use crate::summary::RunSummary;

/// Writes `summary.json`.
pub struct JsonSummary;

impl ReportWriter for JsonSummary {
    fn render(
        &self,
        summary: &RunSummary,
        _charts: &[Chart],
    ) -> Result<Vec<ReportFile>, ReportError> {
        let bytes = serde_json::to_vec_pretty(summary).map_err(|e| ReportError {
            what: "summary.json".into(),
            reason: e.to_string(),
        })?;
        Ok(vec![ReportFile {
            name: "summary.json".into(),
            bytes,
        }])
    }
}
