//! The load profile's stages as shaded bands behind the over-time charts, so a reader
//! can tell which stage a latency rise or an error burst belongs to.

use super::backend::ChartBackend;
use super::canvas::{text, DrawResult};
use super::style;
use super::time_axis::TimeAxis;
use crate::summary::RunSummary;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One stage on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    /// Seconds from the run's start.
    pub start: f64,
    /// Seconds from the run's start.
    pub end: f64,
    /// Candidate labels, longest first; the first that fits the band is drawn.
    pub labels: Vec<String>,
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
    let mut labels = Vec::new();
    if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
        let name = style::shorten(&name, 28);
        labels.push(format!("{number} · {name} · {users}"));
        labels.push(format!("{number} · {name}"));
    } else {
        labels.push(format!("stage {number} · {users}"));
    }
    labels.push(format!("{number} · {users}"));
    labels.push(number.to_string());
    Band { start, end, labels }
}

/// The latest second any band reaches (0 without stages).
pub(crate) fn bands_end(bands: &[Band]) -> f64 {
    bands.iter().map(|b| b.end).fold(0.0, f64::max)
}

/// A chart whose x axis is seconds and y axis is a plain number.
pub(crate) type TimeChart<'a, 'b> =
    ChartContext<'a, ChartBackend<'b>, Cartesian2d<TimeAxis, RangedCoordf64>>;

/// Shades every other band, draws the boundaries and writes each stage's label at the
/// top of its band (the longest label that fits, none if even the number does not).
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
        let label_style = text(13.0, &style::MUTED).pos(Pos::new(HPos::Left, VPos::Top));
        let room = chart.backend_coord(&(end, y_high)).0 - chart.backend_coord(&(start, y_high)).0;
        let area = chart.plotting_area();
        let mut chosen = None;
        for candidate in &band.labels {
            let width = area.estimate_text_size(candidate, &label_style)?.0 as i32;
            if width + 12 <= room {
                chosen = Some(candidate.clone());
                break;
            }
        }
        if let Some(label) = chosen {
            chart.draw_series(std::iter::once(
                EmptyElement::at((start, y_high)) + Text::new(label, (6, 6), label_style),
            ))?;
        }
    }
    Ok(())
}
