//! Text drawn properly: a drawing backend that wraps plotters' bitmap backend and lays
//! out text itself with `ab_glyph` — sub-pixel glyph positions, side bearings, kerning
//! and one shared baseline — instead of plotters' built-in glyph placement, which puts
//! glyphs a pixel or two off and makes small labels look ragged.
//!
//! Everything else (lines, shapes, fills) goes straight to the bitmap backend.

use super::font::Faces;
use ab_glyph::{point, Font, FontRef, Glyph, PxScale, ScaleFont};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};

/// The bitmap backend with this module's text rendering.
pub(crate) struct TextBackend<'a> {
    inner: BitMapBackend<'a>,
    faces: &'static Faces,
}

impl<'a> TextBackend<'a> {
    /// Wraps `inner`, drawing text with `faces`.
    pub fn new(inner: BitMapBackend<'a>, faces: &'static Faces) -> Self {
        TextBackend { inner, faces }
    }

    fn face(&self, style: FontStyle) -> &'static FontRef<'static> {
        match style {
            FontStyle::Bold => &self.faces.bold,
            _ => &self.faces.regular,
        }
    }
}

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

type Outcome<E> = Result<(), DrawingErrorKind<E>>;

impl<'a> DrawingBackend for TextBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Outcome<Self::ErrorType> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Outcome<Self::ErrorType> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Outcome<Self::ErrorType> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Outcome<Self::ErrorType> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Outcome<Self::ErrorType> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Outcome<Self::ErrorType> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Outcome<Self::ErrorType> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Outcome<Self::ErrorType> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Outcome<Self::ErrorType> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let line = lay_out(self.face(style.style()), style.size(), text);
        Ok((line.width.ceil() as u32, line.height.ceil() as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Outcome<Self::ErrorType> {
        let color = style.color();
        if color.alpha <= 0.0 || text.is_empty() {
            return Ok(());
        }
        let font = self.face(style.style());
        let line = lay_out(font, style.size(), text);
        let anchor = style.anchor();
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
        let transform = style.transform();
        let (width, height) = self.inner.get_size();
        for mut glyph in line.glyphs {
            glyph.position = point(glyph.position.x + dx, glyph.position.y + dy);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
            let mut outcome = Ok(());
            outline.draw(|x, y, coverage| {
                if outcome.is_err() || coverage <= 0.0 {
                    return;
                }
                let (tx, ty) = transform.transform(left + x as i32, top + y as i32);
                let (px, py) = (pos.0 + tx, pos.1 + ty);
                if px < 0 || py < 0 || px >= width as i32 || py >= height as i32 {
                    return;
                }
                let ink = BackendColor {
                    alpha: color.alpha * f64::from(coverage.min(1.0)),
                    rgb: color.rgb,
                };
                outcome = self.inner.draw_pixel((px, py), ink);
            });
            outcome?;
        }
        Ok(())
    }
}
