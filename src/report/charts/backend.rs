//! The drawing backend the charts draw on: plotters' bitmap backend, with text laid out
//! by `typeset` (in the bundled font) and slanted data lines anti-aliased by
//! `antialias`. Rectangles, fills and axis-aligned lines go straight to the bitmap.

use super::font::Faces;
use super::{antialias, typeset};
use ab_glyph::FontRef;
use plotters::prelude::BitMapBackend;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};

/// The bitmap backend with better text and lines.
pub(crate) struct ChartBackend<'a> {
    inner: BitMapBackend<'a>,
    faces: &'static Faces,
}

impl<'a> ChartBackend<'a> {
    /// Wraps `inner`, drawing text with `faces`.
    pub fn new(inner: BitMapBackend<'a>, faces: &'static Faces) -> Self {
        ChartBackend { inner, faces }
    }

    fn face(&self, style: FontStyle) -> &'static FontRef<'static> {
        match style {
            FontStyle::Bold => &self.faces.bold,
            _ => &self.faces.regular,
        }
    }

    /// Blends `color` at `coverage` into the pixel, ignoring pixels off the canvas.
    fn blend(&mut self, (x, y): BackendCoord, color: BackendColor, coverage: f32) -> Outcome<'a> {
        let (width, height) = self.inner.get_size();
        if x < 0 || y < 0 || x >= width as i32 || y >= height as i32 {
            return Ok(());
        }
        let ink = BackendColor {
            alpha: color.alpha * f64::from(coverage),
            rgb: color.rgb,
        };
        self.inner.draw_pixel((x, y), ink)
    }
}

type Outcome<'a> = Result<(), DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>>;

impl<'a> DrawingBackend for ChartBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Outcome<'a> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Outcome<'a> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Outcome<'a> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Outcome<'a> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Outcome<'a> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Outcome<'a> {
        let points: Vec<BackendCoord> = path.into_iter().collect();
        let color = style.color();
        if color.alpha == 0.0 || style.stroke_width() == 0 {
            return Ok(());
        }
        if antialias::axis_aligned(&points) {
            return self.inner.draw_path(points, style);
        }
        for (pixel, coverage) in antialias::stroke(&points, f64::from(style.stroke_width())) {
            self.blend(pixel, color, coverage)?;
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Outcome<'a> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Outcome<'a> {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Outcome<'a> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        Ok(typeset::measure(
            self.face(style.style()),
            style.size(),
            text,
        ))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Outcome<'a> {
        let color = style.color();
        if color.alpha <= 0.0 || text.is_empty() {
            return Ok(());
        }
        let font = self.face(style.style());
        typeset::render(
            font,
            style.size(),
            text,
            style.anchor(),
            style.transform(),
            |dx, dy, coverage| self.blend((pos.0 + dx, pos.1 + dy), color, coverage),
        )
    }
}
