//! Every chart decodes as a PNG of the documented size, for the fixture, for empty,
//! tiny and long runs and for hostile step names.
//!
//! To look at them: `LOADGATE_CHART_PREVIEW=/tmp/charts-preview cargo test -p loadgate
//! --lib report::charts` writes each case's charts to a folder of that directory.

use super::fixture::{empty_summary, sample_summary};
use super::*;
use crate::metrics::{SecondSample, StepKind, StepMetrics};
use crate::summary::RunSummary;

/// Decodes a PNG into its width, height and RGB pixels.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG pixel data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// Decodes a PNG and returns its width and height.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    let (width, height, _) = decode(bytes);
    (width, height)
}

/// Renders every chart and checks names, order and size.
fn check_all(summary: &RunSummary) -> Vec<Chart> {
    let charts = render_charts(summary).expect("charts render");
    let names: Vec<&str> = charts.iter().map(|c| c.file_name.as_str()).collect();
    assert_eq!(names, CHART_FILES);
    for chart in &charts {
        assert_eq!(
            png_size(&chart.png),
            (CHART_WIDTH, CHART_HEIGHT),
            "{}",
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
        }
    }
}

#[test]
fn fixture_charts_are_pngs_of_the_documented_size() {
    let charts = check_all(&sample_summary());
    preview(&charts, "fixture");
    let latency = &charts[0];
    assert!(latency.alt.contains("p95 < 200ms for send-message"));
    assert!(!latency.alt.contains("error_rate"), "only latency budgets");
    assert!(
        latency.alt.contains("login: p95") && latency.alt.contains("in stage warm-up"),
        "a stage-pinned budget gets its scope's panel: {}",
        latency.alt
    );
}

#[test]
fn fixture_budget_on_send_message_fails_and_pooled_budgets_mark_no_bar() {
    let summary = sample_summary();
    let send = summary
        .judgement
        .verdicts
        .iter()
        .find(|v| v.rule == "p95 < 200ms for send-message")
        .unwrap();
    assert!(!send.passed, "the fixture shows a failing budget");
    let alt = &render_charts(&summary).unwrap()[3].alt;
    assert!(alt.contains("send-message"));
    assert!(
        alt.contains("send-message: 210.4ms  (budget < 200ms), over budget"),
        "{alt}"
    );
    assert!(
        !alt.contains("within budget") && alt.contains("list-rooms: 47.5ms;"),
        "`p95 < 400ms for http` judges the pooled HTTP steps, not list-rooms alone: {alt}"
    );
}

#[test]
fn empty_run_renders_no_data_charts() {
    let charts = check_all(&empty_summary());
    preview(&charts, "empty");
    assert!(charts[2].alt.contains("no step"));
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
        let renamed = format!("{hostile}{i}{name}\n\u{202e}\u{1F600}");
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
            duration_secs: 300,
        })
        .collect();
    let charts = check_all(&summary);
    preview(&charts, "long");
}

#[test]
fn titles_are_drawn_with_the_bundled_font() {
    // The title sits in the top-left corner; with no usable font it would stay white.
    for chart in render_charts(&empty_summary()).unwrap() {
        let (width, _, pixels) = decode(&chart.png);
        let dark = (10..40)
            .flat_map(|y| (20..300).map(move |x| (y * width as usize + x) * 3))
            .filter(|&i| pixels[i] < 100 && pixels[i + 1] < 100 && pixels[i + 2] < 100)
            .count();
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
