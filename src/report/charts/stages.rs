//! The load profile's stages as shaded bands behind the over-time charts, so a reader
//! can tell which stage a latency rise or an error burst belongs to.
//!
//! Each band is labelled with the longest of its labels that fits; a band too narrow
//! for even its name cut short gets the name written upright along its left edge, and
//! the tooltips name the stage of every second.

use super::frame::{self, text};
use super::style;
use super::svg::DrawResult;
use super::time_axis::TimeAxis;
use crate::summary::RunSummary;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

/// One stage on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    /// Seconds from the run's start.
    pub start: f64,
    /// Seconds from the run's start.
    pub end: f64,
    /// Candidate labels, longest first; the first that fits the band is drawn.
    pub labels: Vec<String>,
    /// The shortest readable label (the stage's name, or `stage N`), cut to fit when
    /// no candidate does, or written upright in a very narrow band.
    pub short: String,
    /// Everything about the stage, for tooltips: `stage 2 · steady · 50 users`.
    pub full: String,
}

/// The stages as measured (`metrics.stages`), or else as planned (`settings.stages`,
/// durations added up).
pub(crate) fn stage_bands(summary: &RunSummary) -> Vec<Band> {
    let settings = &summary.settings.stages;
    let name_of = |index: usize| settings.get(index).and_then(|s| s.name.clone());
    let mut bands: Vec<Band> = if summary.metrics.stages.is_empty() {
        let mut start = 0.0;
        settings
            .iter()
            .enumerate()
            .map(|(index, stage)| {
                let end = start + stage.duration_secs as f64;
                let band = band(index, stage.name.clone(), stage.users, start, end);
                start = end;
                band
            })
            .collect()
    } else {
        let mut measured: Vec<_> = summary.metrics.stages.iter().collect();
        measured.sort_by_key(|s| s.index);
        measured
            .iter()
            .map(|s| {
                let end = s.start_secs + s.duration_secs;
                band(s.index, name_of(s.index), s.users, s.start_secs, end)
            })
            .collect()
    };
    bands.retain(|b| b.start.is_finite() && b.end.is_finite() && b.end > b.start);
    bands
}

fn band(index: usize, name: Option<String>, users: usize, start: f64, end: f64) -> Band {
    let number = index + 1;
    let users = format!("{users} user{}", if users == 1 { "" } else { "s" });
    match name.filter(|n| !n.trim().is_empty()) {
        Some(name) => {
            let name = style::shorten(&name, 28);
            Band {
                start,
                end,
                labels: vec![
                    format!("{number} · {name} · {users}"),
                    format!("{name} · {users}"),
                ],
                full: format!("stage {number} · {name} · {users}"),
                short: name,
            }
        }
        None => Band {
            start,
            end,
            labels: vec![format!("stage {number} · {users}")],
            full: format!("stage {number} · {users}"),
            short: format!("stage {number}"),
        },
    }
}

/// The latest second any band reaches (0 without stages).
pub(crate) fn bands_end(bands: &[Band]) -> f64 {
    bands.iter().map(|b| b.end).fold(0.0, f64::max)
}

/// The band holding second `at`, if any.
pub(crate) fn band_at(bands: &[Band], at: f64) -> Option<&Band> {
    bands.iter().find(|b| b.start <= at && at < b.end)
}

/// A chart whose x axis is seconds and y axis is a plain number.
pub(crate) type TimeChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<TimeAxis, RangedCoordf64>>;

/// Narrowest band, in pixels, that gets a label inside it: ellipsized names need room
/// for a few letters; below it the name is written upright.
const MIN_LEVEL_LABEL: i32 = 48;

/// Fewest letters of a name cut short, before its ellipsis, worth writing level.
const MIN_CUT_CHARS: usize = 6;

/// Narrowest band, in pixels, that can hold an upright label.
const MIN_UPRIGHT_LABEL: i32 = 16;

/// What to write in a band `room` pixels wide and `height` pixels tall: the longest
/// label that fits level, the name cut to fit, or the name upright; `None` when the
/// band is too narrow for any text (its tooltips still name it).
fn choose_label(band: &Band, room: i32, height: i32) -> Option<(String, bool)> {
    let level = text(12.0, &style::MUTED);
    if let Some(label) = band
        .labels
        .iter()
        .chain(std::iter::once(&band.short))
        .find(|l| frame::text_width(l, &level) + 12 <= room)
    {
        return Some((label.clone(), false));
    }
    if room >= MIN_LEVEL_LABEL {
        // A name cut to a few letters ("ram…") says little: upright reads better.
        let cut = frame::fit(&band.short, &level, room - 12);
        if cut.chars().count() > MIN_CUT_CHARS {
            return Some((cut, false));
        }
    }
    if room >= MIN_UPRIGHT_LABEL {
        let cut = frame::fit(&band.short, &level, height - 12);
        if !cut.is_empty() {
            return Some((cut, true));
        }
    }
    None
}

/// Shades every other band, draws the boundaries and writes each stage's label at the
/// top of its band (see [`choose_label`]).
pub(crate) fn draw_bands(chart: &mut TimeChart, bands: &[Band]) -> DrawResult {
    let x_range = chart.x_range();
    let y_range = chart.y_range();
    let (y_low, y_high) = (y_range.start, y_range.end);
    let clamp = |x: f64| x.clamp(x_range.start, x_range.end);
    for (i, band) in bands.iter().enumerate() {
        let (start, end) = (clamp(band.start), clamp(band.end));
        if end <= start {
            continue;
        }
        if i % 2 == 1 {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(start, y_low), (end, y_high)],
                style::BAND.filled(),
            )))?;
        }
        if i > 0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(start, y_low), (start, y_high)],
                style::BOUNDARY.stroke_width(1),
            )))?;
        }
        let (left, top) = chart.backend_coord(&(start, y_high));
        let (right, bottom) = chart.backend_coord(&(end, y_low));
        let Some((label, upright)) = choose_label(band, right - left, bottom - top) else {
            continue;
        };
        let level = text(12.0, &style::MUTED).pos(Pos::new(HPos::Left, VPos::Top));
        let (style, offset) = if upright {
            // Turned a quarter clockwise, a top-anchored line lies left of its anchor.
            (level.transform(FontTransform::Rotate90), (16, 6))
        } else {
            (level, (6, 6))
        };
        chart.draw_series(std::iter::once(
            EmptyElement::at((start, y_high)) + Text::new(label, offset, style),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_stages_get_their_name_never_a_bare_number() {
        let named = band(2, Some("cool-down".into()), 5, 0.0, 1.0);
        assert_eq!(
            choose_label(&named, 400, 300),
            Some(("3 · cool-down · 5 users".to_string(), false))
        );
        assert_eq!(
            choose_label(&named, 80, 300),
            Some(("cool-down".to_string(), false))
        );
        let long = band(2, Some("cool-down-and-drain".into()), 5, 0.0, 1.0);
        let (cut, upright) = choose_label(&long, 90, 300).unwrap();
        assert!(
            cut.starts_with("cool-do") && cut.ends_with('…') && !upright,
            "{cut}"
        );
        assert_eq!(
            choose_label(&named, 50, 300),
            Some(("cool-down".to_string(), true)),
            "a name cut to a few letters is written upright instead"
        );
        assert_eq!(
            choose_label(&named, 20, 300),
            Some(("cool-down".to_string(), true)),
            "too narrow for a level name: upright"
        );
        assert_eq!(choose_label(&named, 8, 300), None);
        let unnamed = band(0, None, 1, 0.0, 1.0);
        assert_eq!(
            choose_label(&unnamed, 30, 300),
            Some(("stage 1".to_string(), true))
        );
        for room in [4, 10, 20, 40, 60, 100, 200] {
            if let Some((label, _)) = choose_label(&named, room, 300) {
                assert!(label.parse::<u32>().is_err(), "bare number at {room}px");
            }
        }
    }
}
