//! The drawing surface every chart shares: an in-memory bitmap encoded to PNG, plus the
//! pieces all four charts draw the same way (header, legend row, "no data" note), so the
//! charts look like one family.

use super::backend::ChartBackend;
use super::{font, style, CHART_HEIGHT, CHART_WIDTH};
use crate::report::ReportError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The area a chart draws into.
pub(crate) type Area<'a> = DrawingArea<ChartBackend<'a>, Shift>;

/// What drawing code returns; plotters' errors are boxed and turned into a
/// [`ReportError`] naming the chart.
pub(crate) type DrawResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Height of the title block at the top of every chart, in pixels.
const HEADER_HEIGHT: u32 = 62;

/// Renders one chart of [`CHART_WIDTH`] × [`CHART_HEIGHT`] and returns its PNG bytes.
///
/// A panic inside the drawing library (it has a few for degenerate input) becomes an
/// error for this chart instead of taking the whole run down.
pub(crate) fn render_png(
    file_name: &str,
    draw: impl FnOnce(&Area) -> DrawResult,
) -> Result<Vec<u8>, ReportError> {
    let faces = font::faces()?;
    let error = |reason: String| ReportError {
        what: file_name.to_string(),
        reason,
    };
    let (width, height) = (CHART_WIDTH, CHART_HEIGHT);
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    let drawn = catch_unwind(AssertUnwindSafe(|| -> DrawResult {
        let bitmap = BitMapBackend::with_buffer(&mut rgb, (width, height));
        let root = ChartBackend::new(bitmap, faces).into_drawing_area();
        root.fill(&style::BACKGROUND)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    }));
    match drawn {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(error(e.to_string())),
        Err(_) => return Err(error("the drawing library panicked".to_string())),
    }
    encode_png(&rgb, width, height).map_err(|e| error(e.to_string()))
}

/// Encodes 8-bit RGB pixels as a PNG.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Text in the bundled face.
pub(crate) fn text(size: f64, color: &RGBColor) -> TextStyle<'static> {
    (font::FAMILY, size).into_font().color(color)
}

/// Bold text in the bundled face.
pub(crate) fn bold(size: f64, color: &RGBColor) -> TextStyle<'static> {
    (font::FAMILY, size)
        .into_font()
        .style(FontStyle::Bold)
        .color(color)
}

/// Draws `label` with its anchor at `at` (pixels of `area`).
pub(crate) fn label(
    area: &Area,
    label: &str,
    at: (i32, i32),
    style: &TextStyle,
    h: HPos,
    v: VPos,
) -> DrawResult {
    let style = style.pos(Pos::new(h, v));
    area.draw(&Text::new(label.to_string(), at, style))?;
    Ok(())
}

/// Width of `label` in pixels.
pub(crate) fn text_width(area: &Area, label: &str, style: &TextStyle) -> DrawResult<u32> {
    Ok(area.estimate_text_size(label, style)?.0)
}

/// Draws the title and a grey subtitle and returns the area below them.
pub(crate) fn header<'a>(area: &Area<'a>, title: &str, subtitle: &str) -> DrawResult<Area<'a>> {
    let (top, rest) = area.split_vertically(HEADER_HEIGHT);
    label(
        &top,
        title,
        (24, 14),
        &bold(24.0, &style::INK),
        HPos::Left,
        VPos::Top,
    )?;
    label(
        &top,
        &style::shorten(subtitle, 150),
        (24, 44),
        &text(14.0, &style::MUTED),
        HPos::Left,
        VPos::Top,
    )?;
    Ok(rest)
}

/// How a legend entry's swatch is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled square.
    Box(RGBColor),
    /// A short vertical bar, like a budget marker.
    Marker(RGBColor),
}

/// One entry of a legend row.
pub(crate) struct LegendEntry {
    /// The swatch.
    pub swatch: Swatch,
    /// The text after it.
    pub label: String,
}

impl LegendEntry {
    /// An entry with `label` (cut if very long; step names should already be cut).
    pub fn new(swatch: Swatch, label: &str) -> Self {
        LegendEntry {
            swatch,
            label: style::shorten(label, 64),
        }
    }
}

/// Height of one legend row, in pixels.
const LEGEND_ROW: u32 = 24;

/// Draws the legend as rows under the header, wrapping when a row is full, and returns
/// the area below it. Nothing is drawn (and no space taken) for no entries.
pub(crate) fn legend<'a>(area: &Area<'a>, entries: &[LegendEntry]) -> DrawResult<Area<'a>> {
    if entries.is_empty() {
        return Ok(area.clone());
    }
    let style = text(14.0, &style::INK);
    let (width, _) = area.dim_in_pixel();
    let right_edge = width as i32 - 24;
    let mut placed = Vec::new();
    let (mut x, mut row) = (24i32, 0u32);
    for entry in entries {
        let w = 30 + text_width(area, &entry.label, &style)? as i32 + 22;
        if x > 24 && x + w > right_edge {
            x = 24;
            row += 1;
        }
        placed.push((x, row, entry));
        x += w;
    }
    let rows = row + 1;
    let (top, rest) = area.split_vertically(rows * LEGEND_ROW + 6);
    for (x, row, entry) in placed {
        let y = (row * LEGEND_ROW) as i32 + LEGEND_ROW as i32 / 2;
        draw_swatch(&top, entry.swatch, x, y)?;
        label(
            &top,
            &entry.label,
            (x + 30, y),
            &style,
            HPos::Left,
            VPos::Center,
        )?;
    }
    Ok(rest)
}

fn draw_swatch(area: &Area, swatch: Swatch, x: i32, y: i32) -> DrawResult {
    match swatch {
        Swatch::Line(color) => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 24, y)],
                color.stroke_width(3),
            ))?;
        }
        Swatch::Dashed(color) => {
            for start in [x, x + 10, x + 20] {
                area.draw(&PathElement::new(
                    vec![(start, y), (start + 5, y)],
                    color.stroke_width(2),
                ))?;
            }
        }
        Swatch::Marker(color) => {
            area.draw(&PathElement::new(
                vec![(x + 12, y - 9), (x + 12, y + 9)],
                color.stroke_width(3),
            ))?;
        }
        Swatch::Box(color) => {
            area.draw(&Rectangle::new(
                [(x + 4, y - 8), (x + 20, y + 8)],
                color.filled(),
            ))?;
        }
    }
    Ok(())
}

/// Fills `area` with a framed empty panel and a centred note, for charts with nothing
/// to plot.
pub(crate) fn no_data(area: &Area, note: &str) -> DrawResult {
    let (width, height) = area.dim_in_pixel();
    let (w, h) = (width as i32, height as i32);
    area.draw(&Rectangle::new(
        [(24, 8), (w - 24, h - 24)],
        style::PANEL.filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(24, 8), (w - 24, h - 24)],
        style::GRID.stroke_width(1),
    ))?;
    label(
        area,
        "No data",
        (w / 2, h / 2 - 14),
        &bold(22.0, &style::MUTED),
        HPos::Center,
        VPos::Center,
    )?;
    label(
        area,
        note,
        (w / 2, h / 2 + 18),
        &text(15.0, &style::MUTED),
        HPos::Center,
        VPos::Center,
    )?;
    Ok(())
}

/// The axis, label and grid styling every chart shares, so the four charts look alike
/// and a change of house style is made in one place.
pub(crate) trait HouseStyle {
    /// Applies the shared label, axis and grid styles.
    fn house_style(&mut self) -> &mut Self;
}

impl<X, Y, DB> HouseStyle for plotters::chart::MeshStyle<'_, '_, X, Y, DB>
where
    X: plotters::coord::ranged1d::Ranged<ValueType: std::fmt::Debug>,
    Y: plotters::coord::ranged1d::Ranged<ValueType: std::fmt::Debug>,
    DB: DrawingBackend,
{
    fn house_style(&mut self) -> &mut Self {
        self.label_style(text(14.0, &style::INK))
            .axis_desc_style(text(15.0, &style::MUTED))
            .axis_style(style::BOUNDARY.stroke_width(1))
            .bold_line_style(style::GRID.mix(0.6).stroke_width(1))
            .light_line_style(style::GRID.mix(0.0).stroke_width(0))
    }
}
