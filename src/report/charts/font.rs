//! The typeface compiled into the binary, so the PNG charts render the same on machines
//! that have no system fonts at all (containers, CI runners).
//!
//! Noto Sans 1.04 (© Google) comes from the `notosans` crate (MIT OR Apache-2.0). The
//! font file's own metadata licenses it under Apache-2.0, and the crate also ships it
//! with the SIL Open Font License 1.1 text: permissive either way, and the notice
//! travels inside the font's name table.
//!
//! The SVG names the face in its `font-family` ([`FAMILY`]); the rasterizer gets the
//! same bytes in its font database ([`database`]), and text widths for layout are
//! measured from the face's own advances ([`text_width`]) at the size the SVG asks for.
//! The faces are also registered with plotters, whose axis code measures tick labels.

use crate::report::ReportError;
use plotters::style::{register_font, FontStyle};
use resvg::usvg::fontdb::{self, Database};
use std::sync::{Arc, OnceLock};
use ttf_parser::Face;

/// The `font-family` the SVG asks for: the bundled face first, then the browser's
/// generic sans-serif when the page is read on a machine without Noto Sans.
pub(crate) const FAMILY: &str = "Noto Sans, sans-serif";

/// The bundled face's family name, as its name table spells it.
const FACE_NAME: &str = "Noto Sans";

/// Generic names plotters' defaults use; each maps to the bundled face.
const FAMILIES: [&str; 4] = [FAMILY, "sans-serif", "serif", "monospace"];

/// The two weights the charts use, parsed once.
struct Faces {
    regular: Face<'static>,
    bold: Face<'static>,
    database: Arc<Database>,
}

fn faces() -> Result<&'static Faces, ReportError> {
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
        Face::parse(bytes, 0)
            .map_err(|_| format!("the bundled Noto Sans {which} font does not parse"))
    };
    let regular = parse(notosans::REGULAR_TTF, "Regular")?;
    let bold = parse(notosans::BOLD_TTF, "Bold")?;
    for family in FAMILIES {
        register_font(family, FontStyle::Normal, notosans::REGULAR_TTF)
            .map_err(|_| "plotters rejected the bundled Regular font".to_string())?;
        register_font(family, FontStyle::Bold, notosans::BOLD_TTF)
            .map_err(|_| "plotters rejected the bundled Bold font".to_string())?;
    }
    let mut database = Database::new();
    for bytes in [notosans::REGULAR_TTF, notosans::BOLD_TTF] {
        database.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
    }
    database.set_sans_serif_family(FACE_NAME);
    database.set_serif_family(FACE_NAME);
    database.set_monospace_family(FACE_NAME);
    Ok(Faces {
        regular,
        bold,
        database: Arc::new(database),
    })
}

/// Makes the bundled faces ready (parsed, registered with plotters); call before
/// drawing. Fails only if the compiled-in font is broken.
pub(crate) fn prepare() -> Result<(), ReportError> {
    faces().map(|_| ())
}

/// The rasterizer's font database: the bundled faces only, so no system font is read
/// and every machine draws the same pixels.
pub(crate) fn database() -> Result<Arc<Database>, ReportError> {
    Ok(faces()?.database.clone())
}

/// The name resvg falls back to for text without a family.
pub(crate) fn face_name() -> &'static str {
    FACE_NAME
}

/// Width in pixels of `text` set at `px` (the SVG `font-size`), from the face's glyph
/// advances; characters the face lacks count as its missing-glyph box.
pub(crate) fn text_width(text: &str, px: f64, bold: bool) -> f64 {
    let Ok(faces) = faces() else {
        return text.chars().count() as f64 * px * 0.6;
    };
    let face = if bold { &faces.bold } else { &faces.regular };
    let units: f64 = text
        .chars()
        .map(|c| {
            let glyph = face.glyph_index(c).unwrap_or_default();
            f64::from(face.glyph_hor_advance(glyph).unwrap_or(0))
        })
        .sum();
    units * px / f64::from(face.units_per_em())
}
