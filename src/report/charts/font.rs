//! The typeface compiled into the binary, so charts render the same on machines that have
//! no system fonts at all (containers, CI runners).
//!
//! Noto Sans 1.04 (© Google) comes from the `notosans` crate (MIT OR Apache-2.0). The
//! font file's own metadata licenses it under Apache-2.0, and the crate also ships it
//! with the SIL Open Font License 1.1 text: permissive either way, and the notice
//! travels inside the font's name table.
//!
//! The faces are parsed once; `typeset` draws all text with them. They are also
//! registered with plotters under every generic family name, so plotters' own text
//! measuring (axis label areas) uses the same metrics and never looks for a system font.

use crate::report::ReportError;
use ab_glyph::FontRef;
use plotters::style::{register_font, FontStyle};
use std::sync::OnceLock;

/// The family name the charts ask for.
pub(crate) const FAMILY: &str = "sans-serif";

/// Generic names plotters' defaults use; each maps to the bundled face.
const FAMILIES: [&str; 3] = ["sans-serif", "serif", "monospace"];

/// The two weights the charts use.
#[derive(Debug)]
pub(crate) struct Faces {
    /// Labels, ticks, legends.
    pub regular: FontRef<'static>,
    /// Titles.
    pub bold: FontRef<'static>,
}

/// The parsed faces, registered with plotters on first use; later calls return the
/// first outcome.
pub(crate) fn faces() -> Result<&'static Faces, ReportError> {
    static FACES: OnceLock<Result<Faces, String>> = OnceLock::new();
    FACES
        .get_or_init(load)
        .as_ref()
        .map_err(|reason| ReportError {
            what: "charts".to_string(),
            reason: reason.clone(),
        })
}

fn load() -> Result<Faces, String> {
    let parse = |bytes: &'static [u8], which: &str| {
        FontRef::try_from_slice(bytes)
            .map_err(|_| format!("the bundled Noto Sans {which} font does not parse"))
    };
    let faces = Faces {
        regular: parse(notosans::REGULAR_TTF, "Regular")?,
        bold: parse(notosans::BOLD_TTF, "Bold")?,
    };
    for family in FAMILIES {
        register_font(family, FontStyle::Normal, notosans::REGULAR_TTF)
            .map_err(|_| "plotters rejected the bundled Regular font".to_string())?;
        register_font(family, FontStyle::Bold, notosans::BOLD_TTF)
            .map_err(|_| "plotters rejected the bundled Bold font".to_string())?;
    }
    Ok(faces)
}
