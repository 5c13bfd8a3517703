//! `server-resources.png`: the monitored server's memory and CPU over the run, one
//! panel each, over the shaded stages, with the server budgets drawn in: each
//! `server_memory` or `server_cpu` limit as a dashed line (over its stage when pinned
//! to one), and the line a memory growth budget fitted, dotted, over the stages it
//! was fitted to. Only drawn for runs that monitored the server.

use super::frame::{self, bold, text, HouseStyle, LegendEntry, Swatch};
use super::stages;
use super::svg::{self, Area, DrawResult, Meta};
use super::time_axis::TimeAxis;
use super::tips::Tips;
use super::{style, timeline, Chart, SERVER_RESOURCES};
use crate::metrics::server::{growth, Point, SeriesUnit, ServerMetrics, ServerSeries};
use crate::report::view::series_value;
use crate::report::ReportError;
use crate::scenario::monitor::{SERVER_CPU, SERVER_MEMORY};
use crate::slo::{Unit, Verdict};
use crate::summary::RunSummary;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Most points drawn per line; longer series are thinned evenly.
const MAX_DRAWN: usize = 800;

/// One panel: a series and the budgets on it.
struct Panel<'a> {
    title: &'static str,
    series: Option<&'a ServerSeries>,
    /// Values are divided by this for the axis (bytes → MB, fraction → %).
    scale: f64,
    axis: &'static str,
    color: RGBColor,
    budgets: Vec<&'a Verdict>,
    /// The fitted growth line, for memory.
    fit: Option<(Point, Point)>,
}

/// Renders the chart; `None` when the run monitored nothing.
pub(crate) fn render(summary: &RunSummary) -> Option<Result<Chart, ReportError>> {
    let server = summary.metrics.server.as_ref()?;
    let meta = Meta {
        file_name: SERVER_RESOURCES,
        title: "Server resources",
        alt: alt_text(summary, server),
    };
    Some(svg::render(meta, |root, tips| {
        draw(root, tips, summary, server)
    }))
}

fn panels<'a>(summary: &'a RunSummary, server: &'a ServerMetrics) -> [Panel<'a>; 2] {
    let on = |name: &str, unit: Unit| -> Vec<&'a Verdict> {
        summary
            .judgement
            .verdicts
            .iter()
            .filter(|v| v.unit == unit && v.measure.contains(name) && v.limit.is_finite())
            .collect()
    };
    let memory = server.series_named(SERVER_MEMORY);
    let holds = crate::slo::holding_spans(&summary.metrics);
    let fit = memory.and_then(|m| {
        let points: Vec<Point> = if holds.is_empty() {
            m.points.clone()
        } else {
            holds.iter().flat_map(|(a, b)| m.window(*a, *b)).collect()
        };
        let has_growth_budget = summary
            .judgement
            .verdicts
            .iter()
            .any(|v| v.unit == Unit::FractionPerHour && v.measure.contains(SERVER_MEMORY));
        has_growth_budget
            .then(|| growth(&points).ok().map(|g| g.line))
            .flatten()
    });
    [
        Panel {
            title: "memory (server_memory)",
            series: memory,
            scale: 1_048_576.0,
            axis: "MB",
            color: style::BLUE,
            budgets: on(SERVER_MEMORY, Unit::Bytes),
            fit,
        },
        Panel {
            title: "CPU (server_cpu)",
            series: server.series_named(SERVER_CPU),
            scale: 0.01,
            axis: "% of cores",
            color: style::ORANGE,
            budgets: on(SERVER_CPU, Unit::Fraction),
            fit: None,
        },
    ]
}

fn draw(root: &Area, tips: &mut Tips, summary: &RunSummary, server: &ServerMetrics) -> DrawResult {
    let subtitle = format!(
        "{} · scraped every {}s · {} · {}",
        style::shorten(&summary.scenario.name, 40),
        style::count_tick(server.interval_secs),
        server.scrape_statement(),
        timeline::run_length(summary)
    );
    let area = frame::header(root, "Server resources", &subtitle)?;
    let panels = panels(summary, server);
    let mut entries = vec![
        LegendEntry::new(Swatch::Line(style::BLUE), "resident memory"),
        LegendEntry::new(
            Swatch::Line(style::ORANGE),
            &format!("CPU, share of {} core(s)", style::count_tick(server.cores)),
        ),
    ];
    if panels.iter().any(|p| !p.budgets.is_empty()) {
        entries.push(LegendEntry::new(Swatch::Dashed(style::BUDGET), "budget"));
    }
    if panels[0].fit.is_some() {
        entries.push(LegendEntry::new(
            Swatch::Dashed(style::PURPLE),
            "fitted growth (stages that hold the load)",
        ));
    }
    let area = frame::legend(&area, &entries)?;
    let cells = area.split_evenly((2, 1));
    for (panel, cell) in panels.iter().zip(cells.iter()) {
        draw_panel(cell, tips, summary, panel)?;
    }
    Ok(())
}

fn draw_panel(area: &Area, tips: &mut Tips, summary: &RunSummary, panel: &Panel) -> DrawResult {
    let (top, body) = area.split_vertically(26);
    frame::label(
        &top,
        panel.title,
        (24, 6),
        &bold(14.0, &style::INK),
        HPos::Left,
        VPos::Top,
    )?;
    let Some(series) = panel.series.filter(|s| !s.points.is_empty()) else {
        return frame::no_data(&body, "never scraped: see the Server section");
    };
    let points: Vec<(f64, f64)> = thin(&series.points)
        .iter()
        .map(|p| (p.at(), p.value() / panel.scale))
        .collect();
    let data_max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let budget_max = panel
        .budgets
        .iter()
        .map(|v| v.limit / panel.scale)
        .filter(|l| *l <= data_max.max(1e-9) * 3.0)
        .fold(0.0, f64::max);
    let bands = stages::stage_bands(summary);
    let x_end = timeline::x_end(summary, &bands);
    let y_end = style::axis_top(data_max.max(budget_max), 1.18);
    // A budget far above what was measured would flatten the line to nothing: it is
    // named in the panel's header, right of the title, instead of drawn.
    let above: Vec<String> = panel
        .budgets
        .iter()
        .filter(|v| v.limit / panel.scale > y_end)
        .map(|v| style::shorten(&v.rule, 60))
        .collect();
    if !above.is_empty() {
        let note = text(12.0, &style::BUDGET);
        let width = i32::try_from(top.dim_in_pixel().0).unwrap_or(i32::MAX);
        let title_end = 24 + frame::text_width(panel.title, &bold(14.0, &style::INK)) + 16;
        let fitted = frame::fit(
            &format!("{}: above this scale", above.join(", ")),
            &note,
            width - 24 - title_end,
        );
        frame::label(
            &top,
            &fitted,
            (width - 24, 8),
            &note,
            HPos::Right,
            VPos::Top,
        )?;
    }
    let mut chart = ChartBuilder::on(&body)
        .margin_left(12)
        .margin_right(24)
        .margin_bottom(6)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d(TimeAxis::new(x_end), 0.0..y_end)?;
    stages::draw_bands(&mut chart, &bands)?;
    let run_secs = summary.metrics.duration_secs.max(x_end);
    let x_format = |v: &f64| style::time_tick(*v, run_secs);
    let y_format = |v: &f64| style::count_tick(*v);
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(5)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .y_desc(panel.axis)
        .house_style()
        .draw()?;
    timeline::draw_line(&mut chart, &vec![points.clone()], panel.color)?;
    let window = (x_end / points.len().max(1) as f64).max(0.5);
    for (p, raw) in points.iter().zip(thin(&series.points)) {
        tips.rect(
            chart.backend_coord(&(p.0 - window / 2.0, y_end)),
            chart.backend_coord(&(p.0 + window / 2.0, 0.0)),
            format!(
                "{} · {}: {}",
                style::time_tick(p.0, run_secs),
                series.name,
                series_value(raw.value(), series.unit)
            ),
        );
    }
    if let Some((from, to)) = panel.fit {
        chart.draw_series(DashedLineSeries::new(
            vec![
                (from.at(), from.value() / panel.scale),
                (to.at(), to.value() / panel.scale),
            ],
            4,
            4,
            style::PURPLE.stroke_width(2),
        ))?;
    }
    for verdict in &panel.budgets {
        let y = verdict.limit / panel.scale;
        if y > y_end {
            continue;
        }
        let (from, to) = verdict
            .stage
            .and_then(|i| bands.get(i))
            .map(|b| (b.start.clamp(0.0, x_end), b.end.clamp(0.0, x_end)))
            .unwrap_or((0.0, x_end));
        chart.draw_series(DashedLineSeries::new(
            vec![(from, y), (to, y)],
            10,
            6,
            style::BUDGET.stroke_width(2),
        ))?;
        let measured = verdict
            .measured
            .map(|m| series_value(m, unit_of(verdict)))
            .unwrap_or_else(|| "not measured".to_string());
        tips.line(
            chart.backend_coord(&(from, y)),
            chart.backend_coord(&(to, y)),
            format!(
                "budget {}: measured {measured}, {}",
                verdict.rule,
                if verdict.passed { "met" } else { "broken" }
            ),
        );
        // Under the line's start, clear of the stage names along the chart's top and
        // the short stages' upright names at its right end.
        let label_style = text(12.0, &style::BUDGET).pos(Pos::new(HPos::Left, VPos::Top));
        chart.draw_series(std::iter::once(
            EmptyElement::at((from, y))
                + Text::new(style::shorten(&verdict.rule, 60), (8, 4), label_style),
        ))?;
    }
    Ok(())
}

/// The series unit a verdict's figures are in, for tooltips.
fn unit_of(verdict: &Verdict) -> SeriesUnit {
    match verdict.unit {
        Unit::Bytes => SeriesUnit::Bytes,
        Unit::Fraction => SeriesUnit::Fraction,
        Unit::PerSecond => SeriesUnit::PerSecond,
        _ => SeriesUnit::Number,
    }
}

/// At most [`MAX_DRAWN`] points, evenly spaced through the series.
fn thin(points: &[Point]) -> Vec<Point> {
    let step = points.len().div_ceil(MAX_DRAWN).max(1);
    points.iter().step_by(step).copied().collect()
}

fn alt_text(summary: &RunSummary, server: &ServerMetrics) -> String {
    let peak = |name: &str| {
        server
            .series_named(name)
            .and_then(|s| {
                s.points
                    .iter()
                    .map(Point::value)
                    .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
                    .map(|v| series_value(v, s.unit))
            })
            .unwrap_or_else(|| "never scraped".to_string())
    };
    format!(
        "Line charts of the server's resident memory and CPU over {}, from {}; memory peaked at {}, CPU at {}; {}.",
        timeline::run_length(summary),
        server.url,
        peak(SERVER_MEMORY),
        peak(SERVER_CPU),
        server.scrape_statement()
    )
}
