//! The charts as a reader sees them: each PNG is decoded and its pixels are checked (a
//! breach is red in its own bar, a budget line is drawn where the budget is, an empty
//! run says "No data", a chart with data has coloured data in its plot area), and each
//! SVG is parsed as XML (tooltips present, hostile text escaped).
//!
//! To look at them: `LOADGATE_CHART_PREVIEW=/tmp/charts-preview cargo test -p loadgate
//! --lib report::charts` writes each case's charts (PNG and SVG) to a folder there.

use super::fixture::{empty_summary, sample_summary};
use super::*;
use crate::metrics::{SecondSample, StepKind, StepMetrics};
use crate::summary::RunSummary;
use resvg::tiny_skia::Pixmap;
use resvg::usvg::roxmltree;

/// A decoded PNG.
struct Picture {
    width: u32,
    height: u32,
    /// RGBA, row by row (the charts are opaque, so premultiplied = straight).
    rgba: Vec<u8>,
}

impl Picture {
    fn decode(bytes: &[u8]) -> Picture {
        let pixmap = Pixmap::decode_png(bytes).expect("a PNG");
        Picture {
            width: pixmap.width(),
            height: pixmap.height(),
            rgba: pixmap.data().to_vec(),
        }
    }

    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y * self.width + x) as usize * 4;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]
    }

    /// Pixels of the rectangle [x0, x1) × [y0, y1) for which `test` holds.
    fn count(
        &self,
        (x0, y0): (u32, u32),
        (x1, y1): (u32, u32),
        test: impl Fn([u8; 3]) -> bool,
    ) -> usize {
        (y0..y1.min(self.height))
            .flat_map(|y| (x0..x1.min(self.width)).map(move |x| (x, y)))
            .filter(|&(x, y)| test(self.at(x, y)))
            .count()
    }
}

/// Within a few levels of `color` per channel (anti-aliased edges are not counted).
fn near(color: plotters::style::RGBColor) -> impl Fn([u8; 3]) -> bool {
    move |p| {
        let want = [color.0, color.1, color.2];
        p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 6)
    }
}

/// A clearly coloured pixel: data (lines, bars, areas), not text, grid or background,
/// which are all grey.
fn saturated(p: [u8; 3]) -> bool {
    let (max, min) = (*p.iter().max().unwrap(), *p.iter().min().unwrap());
    max - min > 60
}

/// Below the header (title and subtitle), where the plot is.
const PLOT_TOP: u32 = 100;

/// Renders every chart and checks names, order, size and that the SVG is XML.
fn check_all(summary: &RunSummary) -> Vec<Chart> {
    let charts = render_charts(summary).expect("charts render");
    let names: Vec<&str> = charts.iter().map(|c| c.file_name.as_str()).collect();
    assert_eq!(names, CHART_FILES);
    for chart in &charts {
        let picture = Picture::decode(&chart.png);
        assert_eq!(
            (picture.width, picture.height),
            (CHART_WIDTH, CHART_HEIGHT),
            "{}",
            chart.file_name
        );
        let doc = roxmltree::Document::parse(&chart.svg)
            .unwrap_or_else(|e| panic!("{}: the SVG is not XML: {e}", chart.file_name));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        assert!(
            doc.descendants().all(|n| n.tag_name().name() != "script"),
            "no script in {}",
            chart.file_name
        );
        assert!(!chart.title.is_empty());
        assert!(!chart.alt.is_empty());
    }
    charts
}

/// Writes the charts to `LOADGATE_CHART_PREVIEW` (if set) for a person to look at.
fn preview(charts: &[Chart], subdir: &str) {
    if let Some(dir) = std::env::var_os("LOADGATE_CHART_PREVIEW") {
        let dir = std::path::Path::new(&dir).join(subdir);
        std::fs::create_dir_all(&dir).unwrap();
        for chart in charts {
            std::fs::write(dir.join(&chart.file_name), &chart.png).unwrap();
            let svg = chart.file_name.replace(".png", ".svg");
            std::fs::write(dir.join(svg), &chart.svg).unwrap();
        }
    }
}

/// The `<title>` texts of the SVG's tooltips, with the shape each belongs to.
fn tooltips(svg: &str) -> Vec<(roxmltree::Node<'_, '_>, String)> {
    // Leaked so the nodes can outlive this function; fine in a test.
    let doc = Box::leak(Box::new(roxmltree::Document::parse(svg).unwrap()));
    doc.descendants()
        .filter(|n| n.tag_name().name() == "title")
        .filter_map(|t| Some((t.parent()?, t.text()?.to_string())))
        .collect()
}

fn attr(node: roxmltree::Node, name: &str) -> i32 {
    node.attribute(name)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{name} on {node:?}")) as i32
}

#[test]
fn fixture_charts_draw_their_data() {
    let charts = check_all(&sample_summary());
    preview(&charts, "fixture");
    for chart in &charts {
        let picture = Picture::decode(&chart.png);
        let coloured = picture.count((0, PLOT_TOP), (CHART_WIDTH, CHART_HEIGHT), saturated);
        assert!(
            coloured > 3_000,
            "{}: only {coloured} coloured pixels in the plot area: it draws no data",
            chart.file_name
        );
    }
    let latency = &charts[0];
    assert!(latency.alt.contains("p95 < 200ms for send-message"));
    assert!(!latency.alt.contains("error_rate"), "only latency budgets");
    assert!(
        latency.alt.contains("login: p95") && latency.alt.contains("in stage warm-up"),
        "a stage-pinned budget gets its scope's panel: {}",
        latency.alt
    );
}

/// A tooltip's text and its rectangle's corners.
type Row = (String, (u32, u32), (u32, u32));

#[test]
fn a_breached_budget_is_red_in_its_own_bar() {
    let summary = sample_summary();
    let send = summary
        .judgement
        .verdicts
        .iter()
        .find(|v| v.rule == "p95 < 200ms for send-message")
        .unwrap();
    assert!(!send.passed, "the fixture shows a failing budget");
    let chart = &render_charts(&summary).unwrap()[3];
    assert!(
        chart
            .alt
            .contains("send-message: 210.4ms  (budget < 200ms), over budget"),
        "{}",
        chart.alt
    );
    assert!(
        !chart.alt.contains("within budget") && chart.alt.contains("list-rooms: 47.5ms;"),
        "`p95 < 400ms for http` judges the pooled HTTP steps, not list-rooms alone: {}",
        chart.alt
    );
    // The bars, top to bottom, are the steps in scenario order; send-message is the
    // third of five. Its row (from its tooltip) must hold the red, and no other row.
    let picture = Picture::decode(&chart.png);
    let rows: Vec<Row> = tooltips(&chart.svg)
        .into_iter()
        .filter(|(shape, _)| shape.tag_name().name() == "rect")
        .map(|(shape, text)| {
            let (x, y) = (attr(shape, "x"), attr(shape, "y"));
            let (w, h) = (attr(shape, "width"), attr(shape, "height"));
            (text, (x as u32, y as u32), ((x + w) as u32, (y + h) as u32))
        })
        .collect();
    assert_eq!(rows.len(), 5, "one tooltip per bar: {rows:?}");
    assert!(
        rows[2].0.starts_with("send-message: p95 210.4ms"),
        "{rows:?}"
    );
    assert!(rows[2].0.contains("p95 < 200ms for send-message: broken"));
    let red = near(style::RED);
    let neutral = near(style::NEUTRAL);
    for (i, (text, from, to)) in rows.iter().enumerate() {
        let reds = picture.count(*from, *to, &red);
        let greys = picture.count(*from, *to, &neutral);
        if i == 2 {
            assert!(reds > 2_000, "the breached bar is red: {reds} red pixels");
            assert_eq!(greys, 0, "and not grey");
        } else {
            assert_eq!(reds, 0, "no red in the row of {text}");
            assert!(greys > 500, "a bar without its own budget is grey: {text}");
        }
    }
    // The red bar reaches past the budget marker, which is drawn where its tooltip is.
    let (marker, _) = tooltips(&chart.svg)
        .into_iter()
        .find(|(shape, text)| shape.tag_name().name() == "line" && text.contains("budget"))
        .expect("a budget marker with a tooltip");
    let x = attr(marker, "x1") as u32;
    let (y1, y2) = (attr(marker, "y1") as u32, attr(marker, "y2") as u32);
    let y = y1.min(y2);
    let ink = near(style::INK);
    assert!(
        picture.count((x - 2, y), (x + 3, y1.max(y2)), ink) > 20,
        "the budget marker is drawn at its tooltip"
    );
    assert!(
        picture.count(
            (x + 4, (y1 + y2) / 2 - 4),
            (x + 12, (y1 + y2) / 2 + 4),
            &red
        ) > 20,
        "the red bar goes on past the budget it breaks"
    );
}

#[test]
fn budget_lines_are_drawn_where_their_tooltips_say() {
    let chart = &render_charts(&sample_summary()).unwrap()[0];
    let picture = Picture::decode(&chart.png);
    let budgets: Vec<_> = tooltips(&chart.svg)
        .into_iter()
        .filter(|(shape, text)| shape.tag_name().name() == "line" && text.starts_with("budget "))
        .collect();
    assert!(budgets.len() >= 3, "{budgets:?}");
    let send = budgets
        .iter()
        .find(|(_, t)| t.contains("p95 < 200ms for send-message"))
        .expect("the send-message budget line");
    assert!(
        send.1.contains("broken") && send.1.contains("measured 2"),
        "{}",
        send.1
    );
    for (line, text) in &budgets {
        let (x1, x2, y) = (attr(*line, "x1"), attr(*line, "x2"), attr(*line, "y1"));
        let dark = picture.count(
            (x1 as u32, (y - 1) as u32),
            (x2 as u32, (y + 2) as u32),
            near(style::BUDGET),
        );
        assert!(
            dark as i32 > (x2 - x1) / 3,
            "{text}: only {dark} budget-coloured pixels along its line"
        );
    }
}

#[test]
fn empty_run_says_no_data_in_every_chart() {
    let charts = check_all(&empty_summary());
    preview(&charts, "empty");
    assert!(charts[2].alt.contains("no step"));
    for chart in &charts {
        assert!(chart.svg.contains("No data"), "{}", chart.file_name);
        let picture = Picture::decode(&chart.png);
        let coloured = picture.count((0, PLOT_TOP), (CHART_WIDTH, CHART_HEIGHT), saturated);
        assert!(
            coloured < 50,
            "{}: {coloured} coloured pixels",
            chart.file_name
        );
        // The grey panel fills the middle, and the note is written on it.
        let (cx, cy) = (CHART_WIDTH / 2, CHART_HEIGHT / 2 + 30);
        let panel = picture.count((100, cy - 150), (300, cy + 150), near(style::PANEL));
        assert!(
            panel > 50_000,
            "{}: no empty panel ({panel})",
            chart.file_name
        );
        let note = picture.count((cx - 100, cy - 60), (cx + 100, cy + 40), |p| p[0] < 160);
        assert!(
            note > 200,
            "{}: no note on the panel ({note})",
            chart.file_name
        );
    }
}

#[test]
fn svg_has_tooltips_and_escapes_hostile_names() {
    let mut summary = sample_summary();
    let hostile = "<script>&\"'";
    let steps = std::mem::take(&mut summary.metrics.steps);
    summary.step_order.clear();
    for (name, metrics) in steps {
        let renamed = format!("{hostile}{name}");
        summary.step_order.push(renamed.clone());
        summary.metrics.steps.insert(renamed, metrics);
    }
    for verdict in &mut summary.judgement.verdicts {
        verdict.rule = format!("{hostile} {}", verdict.rule);
        if verdict.steps.len() == 1 {
            verdict.steps = vec![format!("{hostile}{}", verdict.steps[0])];
        }
    }
    for stage in &mut summary.settings.stages {
        stage.name = Some(format!("{hostile}\u{0}\u{FFFF}"));
    }
    summary.scenario.name = hostile.to_string();
    let charts = check_all(&summary);
    preview(&charts, "hostile-escaped");
    for chart in &charts {
        assert!(!chart.svg.contains("<script"), "{}", chart.file_name);
        assert!(
            chart.svg.contains("&lt;script&gt;&amp;&quot;&apos;"),
            "{}: hostile text is escaped, not dropped",
            chart.file_name
        );
        let tips = tooltips(&chart.svg);
        assert!(
            tips.len() >= 5,
            "{}: {} tooltips",
            chart.file_name,
            tips.len()
        );
        assert!(
            tips.iter().any(|(_, t)| t.contains(hostile)),
            "{}: a tooltip names a step, read back as the text it is",
            chart.file_name
        );
    }
    let bars = tooltips(&charts[3].svg);
    assert!(bars
        .iter()
        .any(|(_, t)| t.starts_with("<script>&\"'send-message: p95 ")));
}

#[test]
fn zero_length_run_with_steps_but_no_samples_renders() {
    let mut summary = sample_summary();
    summary.metrics.duration_secs = 0.0;
    summary.metrics.series.clear();
    summary.metrics.stages.clear();
    for step in summary.metrics.steps.values_mut() {
        *step = StepMetrics::new(step.kind);
    }
    let charts = check_all(&summary);
    preview(&charts, "zero-length");
    assert!(charts[3].alt.contains("no samples"));
}

#[test]
fn single_second_run_renders() {
    let mut summary = sample_summary();
    summary.metrics.duration_secs = 0.6;
    summary.metrics.series.truncate(1);
    summary.metrics.stages.truncate(1);
    summary.settings.stages.truncate(1);
    preview(&check_all(&summary), "one-second");
}

#[test]
fn gaps_and_nan_do_not_break_the_time_axis() {
    let mut summary = sample_summary();
    summary.metrics.series.retain(|s| s.second % 7 != 3);
    summary.metrics.series.push(SecondSample::new(40));
    summary.metrics.duration_secs = f64::NAN;
    summary.metrics.stages[1].start_secs = f64::INFINITY;
    check_all(&summary);
}

#[test]
fn hostile_and_many_step_names_render() {
    let mut summary = sample_summary();
    let hostile = "<script>alert(1)</script>".repeat(8);
    let steps = std::mem::take(&mut summary.metrics.steps);
    summary.step_order.clear();
    for (i, (name, metrics)) in steps.into_iter().enumerate() {
        let renamed = format!("{hostile}{i}{name}\n\u{202e}\u{1F600}\u{0}");
        summary.step_order.push(renamed.clone());
        summary.metrics.steps.insert(renamed, metrics);
    }
    for i in 0..30 {
        let name = format!("extra-step-{i}");
        let mut step = StepMetrics::new(StepKind::Http);
        step.count = 1;
        step.latency.record(1_000 * (i + 1));
        summary.step_order.push(name.clone());
        summary.metrics.steps.insert(name, step);
    }
    for verdict in &mut summary.judgement.verdicts {
        verdict.rule = format!("{hostile} {}", verdict.rule);
        verdict.steps = summary.step_order.clone();
    }
    for stage in &mut summary.settings.stages {
        stage.name = Some(hostile.clone());
    }
    summary.scenario.name = hostile.repeat(4);
    let charts = check_all(&summary);
    preview(&charts, "hostile");
    assert!(charts[3].alt.contains('…'), "long names are cut");
}

#[test]
fn few_steps_get_one_curve_each() {
    let mut summary = sample_summary();
    let keep: Vec<String> = summary
        .step_order
        .iter()
        .take(MAX_CURVES)
        .cloned()
        .collect();
    summary.metrics.steps.retain(|name, _| keep.contains(name));
    let alt = &render_charts(&summary).unwrap()[2].alt;
    assert!(alt.contains("one curve per step"));
}

#[test]
fn png_writer_returns_the_charts_as_files() {
    let summary = sample_summary();
    let charts = render_charts(&summary).unwrap();
    let files = PngCharts.render(&summary, &charts).unwrap();
    assert_eq!(files.len(), 4);
    for (file, chart) in files.iter().zip(&charts) {
        assert_eq!(file.name, chart.file_name);
        assert_eq!(file.bytes, chart.png);
    }
}

#[test]
fn long_run_with_many_stages_renders() {
    let mut summary = sample_summary();
    let pattern = summary.metrics.series.clone();
    summary.metrics.series = (0..3_600u64)
        .map(|second| {
            let mut sample = pattern[(second % 30) as usize].clone();
            sample.second = second;
            sample
        })
        .collect();
    summary.metrics.duration_secs = 3_600.0;
    summary.metrics.stages.clear();
    summary.settings.stages = (0..12)
        .map(|i| crate::summary::StageSetting {
            name: (i % 3 != 0).then(|| format!("plateau-{i}")),
            users: 10 * (i + 1),
            duration_secs: if i == 5 { 20 } else { 300 },
        })
        .collect();
    let charts = check_all(&summary);
    preview(&charts, "long");
    // Short stages are named, upright when they must be: never a bare number.
    let svg = &charts[1].svg;
    assert!(svg.contains("plateau-5"), "the 20-second stage is named");
    assert!(
        svg.contains("rotate(90"),
        "written upright in its narrow band"
    );
}

#[test]
fn titles_are_drawn_with_the_bundled_font() {
    // The title sits in the top-left corner; with no usable font it would stay white.
    for chart in render_charts(&empty_summary()).unwrap() {
        let picture = Picture::decode(&chart.png);
        let dark = picture.count((20, 10), (300, 40), |p| p.iter().all(|c| *c < 100));
        assert!(
            dark > 100,
            "{}: only {dark} dark title pixels",
            chart.file_name
        );
    }
}

#[test]
fn rendering_is_deterministic() {
    let summary = sample_summary();
    assert_eq!(
        render_charts(&summary).unwrap(),
        render_charts(&summary).unwrap()
    );
}
