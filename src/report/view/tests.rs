//! One voice: every format prints the same figure the same way, because each is built
//! from the same [`RunView`].

use super::*;
use crate::report::html::fixture::{sample_charts, sample_summary, with_generator};
use crate::report::terminal::Terminal;
use crate::report::{html::HtmlReport, junit::JunitReport, markdown::MarkdownSummary};
use crate::report::{ReportFile, ReportWriter};
use crate::slo::Unit;

fn file(writer: &dyn ReportWriter, summary: &RunSummary) -> String {
    let files: Vec<ReportFile> = writer.render(summary, &sample_charts("x")).unwrap();
    String::from_utf8(files[0].bytes.clone()).unwrap()
}

/// The run as each format shows it: terminal, report.html, summary.md, junit.xml.
fn every_format(summary: &RunSummary) -> Vec<(&'static str, String)> {
    vec![
        ("terminal", Terminal::plain(120).summary(summary).join("\n")),
        ("report.html", file(&HtmlReport, summary)),
        ("summary.md", file(&MarkdownSummary, summary)),
        ("junit.xml", file(&JunitReport, summary)),
    ]
}

#[test]
fn a_budget_just_over_its_limit_reads_as_over_in_every_format() {
    let mut summary = sample_summary();
    let v = &mut summary.judgement.verdicts[0];
    v.unit = Unit::Micros;
    v.comparison = "<".into();
    v.limit = 200_000.0;
    v.measured = Some(200_040.0);
    v.passed = false;
    for (format, text) in every_format(&summary) {
        assert!(
            text.contains("200.04ms"),
            "{format} lacks 200.04ms:\n{text}"
        );
        assert!(
            text.contains("200.00ms"),
            "{format} lacks 200.00ms:\n{text}"
        );
        assert!(
            !text.contains("measured 200.0ms"),
            "{format} rounds a breach to its limit:\n{text}"
        );
    }
}

#[test]
fn error_percentages_read_the_same_in_every_format() {
    let summary = sample_summary();
    let view = RunView::new(&summary);
    let rate = &view.verdicts[1];
    assert_eq!(rate.measured.as_deref(), Some("0.66%"));
    let step = view.steps.rows.iter().find(|r| r.has_errors).unwrap();
    assert_eq!(step.error_pct, "0.833%");
    for (format, text) in every_format(&summary) {
        assert!(text.contains("0.66%"), "{format} lacks 0.66%");
        if format != "junit.xml" {
            assert!(text.contains("0.833%"), "{format} lacks 0.833%:\n{text}");
            assert!(!text.contains("0.83%"), "{format} has 0.83%");
        }
    }
}

#[test]
fn the_capacity_and_headline_are_worded_once() {
    let summary = sample_summary();
    let view = RunView::new(&summary);
    let capacity = view.capacity_paragraph().expect("a capacity statement");
    let first = &view.capacity[0].text;
    assert_eq!(view.headline.detail, "2 of 5 budgets broken.");
    for (format, text) in every_format(&summary) {
        let text = text.replace("&#60;", "<").replace("&lt;", "<");
        assert!(text.contains(first.as_str()), "{format} lacks {first}");
        if format == "terminal" || format == "summary.md" {
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let capacity_flat = capacity.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat.replace('\\', "").contains(&capacity_flat),
                "{format} words the capacity differently"
            );
        }
        if format != "junit.xml" {
            assert!(text.contains("2 of 5 budgets broken."), "{format}");
        }
    }
}

#[test]
fn a_source_starting_with_a_web_address_becomes_a_link() {
    let mut summary = sample_summary();
    summary.judgement.verdicts[0].source =
        Some("https://wiki.example.com/slo#api, API latency".to_string());
    summary.judgement.verdicts[1].source = Some("javascript:alert(1)".to_string());
    let rows = verdict_rows(&summary);
    let link = rows[0].source.as_ref().unwrap();
    assert_eq!(
        link.href.as_deref(),
        Some("https://wiki.example.com/slo#api")
    );
    assert_eq!(rows[1].source.as_ref().unwrap().href, None);
    let html = file(&HtmlReport, &summary);
    assert!(html.contains(
        "<a href=\"https://wiki.example.com/slo#api\" rel=\"noreferrer\">https://wiki.example.com/slo#api, API latency</a>"
    ), "{html}");
    assert!(!html.contains("href=\"javascript"));
}

#[test]
fn the_generator_figures_and_the_bottleneck_read_the_same_in_every_format() {
    let summary = with_generator(sample_summary(), true);
    let view = RunView::new(&summary);
    let generator = view.generator.as_ref().expect("a generator section");
    assert_eq!(generator.rows.len(), 4, "the run and three stages");
    let peak = &generator.rows[3];
    assert_eq!(
        (peak.cpu_mean.as_str(), peak.cpu_peak.as_str()),
        ("93%", "95%")
    );
    assert_eq!(peak.lag_p99, "1.50s");
    assert_eq!(peak.slot_p99, None, "closed model");
    let bottleneck = view.bottleneck.as_deref().expect("the check failed");
    assert!(bottleneck.starts_with(BOTTLENECK), "{bottleneck}");
    assert!(
        bottleneck.contains("The generator was CPU-bound in stage 3 · peak"),
        "{bottleneck}"
    );
    assert!(view
        .headline
        .detail
        .ends_with("The built-in load delivered check failed."));
    assert!(!view.headline.passed);
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (format, text) in every_format(&summary) {
        let text = flat(&text);
        assert!(
            text.contains(&flat(BOTTLENECK)),
            "{format} lacks the bottleneck sentence:\n{text}"
        );
        for figure in ["93%", "1.50s"] {
            assert!(text.contains(figure), "{format} lacks {figure}");
        }
    }
}

#[test]
fn a_healthy_generator_is_shown_and_no_bottleneck_is_claimed() {
    let summary = with_generator(sample_summary(), false);
    let view = RunView::new(&summary);
    assert!(view.generator.is_some());
    assert_eq!(view.bottleneck, None);
    assert_eq!(view.headline.detail, "2 of 5 budgets broken.");
    for (format, text) in every_format(&summary) {
        assert!(!text.contains("was the bottleneck"), "{format}");
        assert!(text.contains("41%"), "{format} shows the CPU");
    }
}
