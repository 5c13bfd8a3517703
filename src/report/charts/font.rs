//! The typeface compiled into the binary, so charts render the same on machines that have
//! no system fonts at all (containers, CI runners).
//!
//! Noto Sans comes from the `notosans` crate (the font is under the SIL Open Font License
//! 1.1, shipped with that crate). It is registered with plotters once, under every generic
//! family name plotters may ask for, so no lookup can fall through to the system.

use crate::report::ReportError;
use plotters::style::{register_font, FontStyle};
use std::sync::OnceLock;

/// The family name the charts ask for.
pub(crate) const FAMILY: &str = "sans-serif";

/// Generic names plotters' defaults use; each maps to the bundled face.
const FAMILIES: [&str; 3] = ["sans-serif", "serif", "monospace"];

/// Registers the bundled face once per process; later calls return the first outcome.
pub(crate) fn ensure_registered() -> Result<(), ReportError> {
    static OUTCOME: OnceLock<Result<(), String>> = OnceLock::new();
    OUTCOME
        .get_or_init(register_all)
        .clone()
        .map_err(|reason| ReportError {
            what: "charts".to_string(),
            reason,
        })
}

fn register_all() -> Result<(), String> {
    for family in FAMILIES {
        register_font(family, FontStyle::Normal, notosans::REGULAR_TTF)
            .map_err(|_| "the bundled Noto Sans Regular font does not parse".to_string())?;
        register_font(family, FontStyle::Bold, notosans::BOLD_TTF)
            .map_err(|_| "the bundled Noto Sans Bold font does not parse".to_string())?;
    }
    Ok(())
}
