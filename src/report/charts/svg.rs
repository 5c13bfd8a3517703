//! Draws one chart as an SVG document with plotters' `SVGBackend`, adds its tooltips
//! and accessible name, and has `raster` turn the very same document into the PNG.
//! The HTML report inlines the SVG; the PNG files are for READMEs, pull requests and
//! chat.

use super::tips::{xml_text, Tips};
use super::{font, raster, style, CHART_HEIGHT, CHART_WIDTH};
use crate::report::{Chart, ReportError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The area a chart draws into.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// What drawing code returns; plotters' errors are boxed and turned into a
/// [`ReportError`] naming the chart.
pub(crate) type DrawResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What a chart is, before it is drawn.
pub(crate) struct Meta<'a> {
    /// File name of its PNG.
    pub file_name: &'a str,
    /// Its title (drawn in the picture, and its accessible name).
    pub title: &'a str,
    /// Its text alternative.
    pub alt: String,
}

/// Draws a chart of [`CHART_WIDTH`] × [`CHART_HEIGHT`] with `draw`, which also records
/// tooltips, and returns it as SVG and PNG.
///
/// A panic inside the drawing library (it has a few for degenerate input) becomes an
/// error for this chart instead of taking the whole run down.
pub(crate) fn render(
    meta: Meta,
    draw: impl FnOnce(&Area, &mut Tips) -> DrawResult,
) -> Result<Chart, ReportError> {
    font::prepare()?;
    let error = |reason: String| ReportError {
        what: meta.file_name.to_string(),
        reason,
    };
    let mut body = String::new();
    let mut tips = Tips::default();
    let drawn = catch_unwind(AssertUnwindSafe(|| -> DrawResult {
        let root =
            SVGBackend::with_string(&mut body, (CHART_WIDTH, CHART_HEIGHT)).into_drawing_area();
        root.fill(&style::BACKGROUND)?;
        draw(&root, &mut tips)?;
        root.present()?;
        Ok(())
    }));
    match drawn {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(error(e.to_string())),
        Err(_) => return Err(error("the drawing library panicked".to_string())),
    }
    let svg = finish(&body, meta.title, &meta.alt, &tips)
        .ok_or_else(|| error("the SVG backend wrote no <svg> element".to_string()))?;
    let png = raster::to_png(&svg).map_err(error)?;
    Ok(Chart {
        file_name: meta.file_name.to_string(),
        title: meta.title.to_string(),
        alt: meta.alt,
        svg,
        png,
    })
}

/// The document plotters wrote, with an accessible name on the `<svg>` element and the
/// tooltip overlay as its last child (on top of everything drawn).
fn finish(body: &str, title: &str, alt: &str, tips: &Tips) -> Option<String> {
    let open = body.find("<svg ")?;
    let close = body.rfind("</svg>")?;
    let label = xml_text(&format!("{title}. {alt}"));
    let mut svg = String::with_capacity(body.len() + 4_096);
    svg.push_str(&body[open..open + 5]);
    svg.push_str(&format!(
        "role=\"img\" aria-label=\"{label}\" class=\"chart-svg\" "
    ));
    svg.push_str(&body[open + 5..close]);
    svg.push_str(&tips.to_svg());
    svg.push_str(&body[close..]);
    Some(svg)
}
