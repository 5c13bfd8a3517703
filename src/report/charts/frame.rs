//! The pieces all four charts draw the same way (header, legend row, "no data" note,
//! text styles, axis styling), so the charts look like one family.

use super::svg::{Area, DrawResult};
use super::{font, style};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Height of the title block at the top of every chart, in pixels.
const HEADER_HEIGHT: u32 = 62;

/// plotters writes `font-size` as the style's size divided by this; sizes below are
/// given as the SVG's pixel size and scaled up by it.
const SVG_FONT_SCALE: f64 = 1.24;

/// Text in the bundled face, `px` pixels high (the SVG `font-size`).
pub(crate) fn text(px: f64, color: &RGBColor) -> TextStyle<'static> {
    (font::FAMILY, px * SVG_FONT_SCALE).into_font().color(color)
}

/// Bold text in the bundled face, `px` pixels high.
pub(crate) fn bold(px: f64, color: &RGBColor) -> TextStyle<'static> {
    (font::FAMILY, px * SVG_FONT_SCALE)
        .into_font()
        .style(FontStyle::Bold)
        .color(color)
}

/// Draws `label` with its anchor at `at` (pixels of `area`). Characters an SVG cannot
/// hold become spaces; markup is escaped by the backend.
pub(crate) fn label(
    area: &Area,
    label: &str,
    at: (i32, i32),
    style: &TextStyle,
    h: HPos,
    v: VPos,
) -> DrawResult {
    let style = style.pos(Pos::new(h, v));
    area.draw(&Text::new(style::sanitize(label), at, style))?;
    Ok(())
}

/// Width of `label` in pixels as the SVG sets it in `style`.
pub(crate) fn text_width(label: &str, style: &TextStyle) -> i32 {
    let px = style.font.get_size() / SVG_FONT_SCALE;
    let bold = matches!(style.font.get_style(), FontStyle::Bold);
    font::text_width(label, px, bold).ceil() as i32
}

/// `text` as it fits in `max_px` set in `style`: whole, or cut with an ellipsis (empty
/// when not even one character and the ellipsis fit).
pub(crate) fn fit(text: &str, style: &TextStyle, max_px: i32) -> String {
    if text_width(text, style) <= max_px {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut low, mut high) = (0, chars.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        let candidate: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if text_width(&candidate, style) <= max_px {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    if low == 0 {
        return String::new();
    }
    let mut cut: String = chars[..low]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string();
    cut.push('…');
    cut
}

/// Draws the title and a grey subtitle and returns the area below them.
pub(crate) fn header<'a>(area: &Area<'a>, title: &str, subtitle: &str) -> DrawResult<Area<'a>> {
    let (top, rest) = area.split_vertically(HEADER_HEIGHT);
    label(
        &top,
        title,
        (24, 14),
        &bold(20.0, &style::INK),
        HPos::Left,
        VPos::Top,
    )?;
    let (width, _) = area.dim_in_pixel();
    let subtitle_style = text(13.0, &style::MUTED);
    label(
        &top,
        &fit(subtitle, &subtitle_style, width as i32 - 48),
        (24, 44),
        &subtitle_style,
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
    let style = text(13.0, &style::INK);
    let (width, _) = area.dim_in_pixel();
    let right_edge = width as i32 - 24;
    let mut placed = Vec::new();
    let (mut x, mut row) = (24i32, 0u32);
    for entry in entries {
        let w = 30 + text_width(&entry.label, &style) + 22;
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
        &bold(20.0, &style::MUTED),
        HPos::Center,
        VPos::Center,
    )?;
    label(
        area,
        note,
        (w / 2, h / 2 + 18),
        &text(14.0, &style::MUTED),
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
        self.label_style(text(13.0, &style::INK))
            .axis_desc_style(text(13.0, &style::MUTED))
            .axis_style(style::BOUNDARY.stroke_width(1))
            .bold_line_style(style::GRID.mix(0.6).stroke_width(1))
            .light_line_style(style::GRID.mix(0.0).stroke_width(0))
    }
}
