//! Tooltips for the SVG charts: invisible shapes laid over what the chart drew (a bar,
//! a second of a line, a budget line), each with an SVG `<title>` that a browser shows
//! on hover — the exact figures behind the picture, without any script.
//!
//! The shapes are fully transparent, so the rasterized PNG is unaffected; they still
//! catch the pointer because their fill or stroke is set (only its opacity is zero).

use super::style::sanitize;
use std::fmt::Write as _;

/// The transparent hit areas of one chart, in pixels of the whole picture.
#[derive(Debug, Default)]
pub(crate) struct Tips {
    shapes: Vec<(Shape, String)>,
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    Rect { x0: i32, y0: i32, x1: i32, y1: i32 },
    Line { from: (i32, i32), to: (i32, i32) },
}

/// Half the width of a budget line's hover band: easy to hit, still thin.
const LINE_REACH: i32 = 5;

impl Tips {
    /// A rectangle with corners `a` and `b` (any order) showing `text`.
    pub fn rect(&mut self, a: (i32, i32), b: (i32, i32), text: impl Into<String>) {
        let shape = Shape::Rect {
            x0: a.0.min(b.0),
            y0: a.1.min(b.1),
            x1: a.0.max(b.0),
            y1: a.1.max(b.1),
        };
        self.shapes.push((shape, text.into()));
    }

    /// A line from `from` to `to` (hoverable a few pixels either side) showing `text`.
    pub fn line(&mut self, from: (i32, i32), to: (i32, i32), text: impl Into<String>) {
        self.shapes.push((Shape::Line { from, to }, text.into()));
    }

    /// The overlay as one SVG group, every title XML-escaped. Later shapes lie on top,
    /// so add broad areas (a second of the run) before narrow ones (a budget line).
    pub fn to_svg(&self) -> String {
        let mut out = String::from(
            "<g class=\"tips\" fill=\"#000\" fill-opacity=\"0\" stroke=\"#000\" \
             stroke-opacity=\"0\">\n",
        );
        for (shape, text) in &self.shapes {
            let title = xml_text(text);
            // Writing to a String cannot fail.
            let _ = match *shape {
                Shape::Rect { x0, y0, x1, y1 } => writeln!(
                    out,
                    "<rect x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\" stroke=\"none\">\
                     <title>{title}</title></rect>",
                    (x1 - x0).max(1),
                    (y1 - y0).max(1),
                ),
                Shape::Line { from, to } => writeln!(
                    out,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke-width=\"{}\">\
                     <title>{title}</title></line>",
                    from.0,
                    from.1,
                    to.0,
                    to.1,
                    LINE_REACH * 2
                ),
            };
        }
        out.push_str("</g>\n");
        out
    }
}

/// `text` made safe as XML character data or an attribute value: markup characters
/// escaped, and characters XML 1.0 forbids (control characters, U+FFFE, U+FFFF)
/// replaced by spaces, so no step name can break the document or inject markup.
pub(crate) fn xml_text(text: &str) -> String {
    let clean = sanitize(text);
    quick_xml::escape::escape(clean.as_str()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_escaped_and_cleaned() {
        assert_eq!(
            xml_text("<script>&\"'\u{0}\u{FFFF}x"),
            "&lt;script&gt;&amp;&quot;&apos;  x"
        );
        let mut tips = Tips::default();
        tips.rect((10, 20), (0, 0), "a<b");
        tips.line((0, 5), (9, 5), "budget");
        let svg = tips.to_svg();
        assert!(svg.contains("<rect x=\"0\" y=\"0\" width=\"10\" height=\"20\""));
        assert!(svg.contains("<title>a&lt;b</title>"));
        assert!(svg.contains("<title>budget</title></line>"));
        assert_eq!(svg.matches("<title>").count(), 2);
    }
}
