//! SVG → PNG with resvg, the text set in the bundled font (see `font`), so a chart's
//! PNG is the same picture as its SVG, pixel for pixel on every machine.

use super::font;
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{Options, Tree};

/// Rasterizes `svg` at its own size (1 SVG unit = 1 pixel) and encodes it as PNG.
pub(crate) fn to_png(svg: &str) -> Result<Vec<u8>, String> {
    let options = Options {
        fontdb: font::database().map_err(|e| e.reason)?,
        font_family: font::face_name().to_string(),
        ..Options::default()
    };
    let tree = Tree::from_str(svg, &options).map_err(|e| format!("the SVG does not parse: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = Pixmap::new(size.width(), size.height())
        .ok_or_else(|| format!("no {}×{} canvas", size.width(), size.height()))?;
    resvg::render(&tree, Transform::default(), &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| format!("cannot encode the PNG: {e}"))
}
