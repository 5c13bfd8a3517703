//! Text laid out with `ab_glyph` directly: sub-pixel glyph positions, side bearings,
//! kerning and one shared baseline. Plotters' own glyph placement puts glyphs a pixel or
//! two off, which makes small labels look ragged; `backend` calls this instead.

use ab_glyph::{point, Font, FontRef, Glyph, PxScale, ScaleFont};
use plotters_backend::text_anchor::{HPos, Pos, VPos};
use plotters_backend::FontTransform;

/// Glyphs placed on a baseline at y = ascent (so y = 0 is the top of the line box).
struct Line {
    glyphs: Vec<Glyph>,
    width: f32,
    height: f32,
}

fn lay_out(font: &FontRef<'static>, size: f64, text: &str) -> Line {
    let scaled = font.as_scaled(PxScale::from(size.max(1.0) as f32));
    let mut caret = 0.0f32;
    let mut previous = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            caret += scaled.kern(previous, id);
        }
        glyphs.push(id.with_scale_and_position(scaled.scale(), point(caret, scaled.ascent())));
        caret += scaled.h_advance(id);
        previous = Some(id);
    }
    Line {
        glyphs,
        width: caret,
        height: scaled.ascent() - scaled.descent(),
    }
}

/// Width and height of `text`'s line box in pixels.
pub(crate) fn measure(font: &FontRef<'static>, size: f64, text: &str) -> (u32, u32) {
    let line = lay_out(font, size, text);
    (line.width.ceil() as u32, line.height.ceil() as u32)
}

/// Rasterizes `text` anchored at the origin by `anchor`, turned by `transform`, calling
/// `plot(dx, dy, coverage)` for every touched pixel (offsets from the anchor point).
pub(crate) fn render<E>(
    font: &FontRef<'static>,
    size: f64,
    text: &str,
    anchor: Pos,
    transform: FontTransform,
    mut plot: impl FnMut(i32, i32, f32) -> Result<(), E>,
) -> Result<(), E> {
    let line = lay_out(font, size, text);
    let dx = match anchor.h_pos {
        HPos::Left => 0.0,
        HPos::Center => -line.width / 2.0,
        HPos::Right => -line.width,
    };
    let dy = match anchor.v_pos {
        VPos::Top => 0.0,
        VPos::Center => -line.height / 2.0,
        VPos::Bottom => -line.height,
    };
    for mut glyph in line.glyphs {
        glyph.position = point(glyph.position.x + dx, glyph.position.y + dy);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
        let mut outcome = Ok(());
        outline.draw(|x, y, coverage| {
            if outcome.is_ok() && coverage > 0.0 {
                let (tx, ty) = transform.transform(left + x as i32, top + y as i32);
                outcome = plot(tx, ty, coverage.min(1.0));
            }
        });
        outcome?;
    }
    Ok(())
}
