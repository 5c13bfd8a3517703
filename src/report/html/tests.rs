//! Tests of `report.html`: layout order, self-containment, unit formatting, and that
//! hostile text from a run can never become markup.

use super::fixture::{hostile_summary, sample_charts, sample_summary};
use super::*;

fn render(summary: &RunSummary, charts: &[Chart]) -> String {
    let files = HtmlReport.render(summary, charts).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "report.html");
    String::from_utf8(files[0].bytes.clone()).unwrap()
}

fn sample() -> String {
    render(
        &sample_summary(),
        &sample_charts("p50 and p95 latency per second"),
    )
}

/// Every tag name the document opens or closes, lower-cased.
fn tag_names(html: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!' || *c == '-')
            .collect();
        names.push(name.to_ascii_lowercase());
    }
    names
}

/// The tags the template itself writes; anything else came from data.
const OUR_TAGS: &[&str] = &[
    "!doctype", "html", "head", "meta", "title", "style", "body", "main", "header", "p", "h1",
    "h2", "section", "span", "div", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "code",
    "strong", "figure", "svg", "g", "rect", "line", "polyline", "polygon", "circle", "text",
    "details", "summary", "dl", "dt", "dd", "caption", "footer",
];

#[test]
fn snapshot_of_the_body() {
    let html = sample();
    let body = &html[html.find("<body>").expect("a body")..];
    insta::assert_snapshot!(body);
}

#[test]
fn sections_come_in_reading_order() {
    let html = sample();
    let order = [
        "<h1>chat-baseline</h1>",
        "id=\"verdict\"",
        "id=\"budgets\"",
        "id=\"capacity\"",
        "id=\"stage-verdicts\"",
        "id=\"steps\"",
        "id=\"charts\"",
        "id=\"stages\"",
        "id=\"errors\"",
        "id=\"settings\"",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|needle| {
            html.find(needle)
                .unwrap_or_else(|| panic!("missing {needle}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "out of order: {positions:?}"
    );
    assert!(html.contains("<span class=\"banner-word\">FAIL</span>"));
    assert!(html.contains("2 of 5 budgets broken."));
    assert!(!html.contains("INTERRUPTED"));
}

#[test]
fn steps_follow_the_scenario_order() {
    let html = sample();
    let steps = &html[html.find("id=\"steps\"").unwrap()..html.find("id=\"charts\"").unwrap()];
    let order = [
        "login",
        "list-rooms",
        "ws-connect",
        "send-message",
        "receive-echo",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|s| steps.find(&format!("<th scope=\"row\">{s}")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert!(steps.contains("all steps"), "a totals row");
}

#[test]
fn budget_figures_are_in_their_units() {
    let html = sample();
    let budgets =
        &html[html.find("id=\"budgets\"").unwrap()..html.find("id=\"capacity\"").unwrap()];
    for expected in [
        "<strong>81.9ms</strong>",
        "&#60; 200.0ms",
        "<strong>0.66%</strong>",
        "&#60; 0.1%",
        "<strong>15.0/s</strong>",
        "&#62; 5.0/s",
        "<strong>100</strong>",
        "&#62;= 100",
        "not measured",
        "the step never ran",
        "REQ-7 chat latency",
    ] {
        assert!(
            budgets.contains(expected),
            "budgets lack {expected}:\n{budgets}"
        );
    }
    let capacity =
        &html[html.find("id=\"capacity\"").unwrap()..html.find("id=\"stage-verdicts\"").unwrap()];
    assert!(capacity.contains("50 users (stage 2 · steady, 30.0 req/s)"));
    assert!(capacity
        .contains("100 users (stage 3 · peak, 40.0 req/s), breaking p95 &#60; 200ms for http"));
}

#[test]
fn the_page_stands_alone() {
    let html = sample();
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<link",
        "<script",
        "@import",
        "url(",
        "@font-face",
        "href=",
        "<iframe",
        "<object",
    ] {
        assert!(!lower.contains(banned), "report.html contains {banned}");
    }
    assert!(
        !lower.contains(" src="),
        "nothing is loaded, not even a data: image"
    );
    assert_eq!(html.matches("<svg ").count(), 1, "the chart is inline SVG");
    assert!(html.contains("aria-label=\"p50 and p95 latency per second\""));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("@media print"));
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn interrupted_runs_say_so_at_the_top() {
    let mut summary = sample_summary();
    summary.interrupted = true;
    let html = render(&summary, &[]);
    let banner = html.find("INTERRUPTED").expect("an interrupted banner");
    assert!(banner < html.find("id=\"budgets\"").unwrap());
    assert!(
        !html.contains("id=\"charts\""),
        "no charts, no chart section"
    );
}

#[test]
fn a_run_without_budgets_passes_and_says_nothing_was_gated() {
    let mut summary = sample_summary();
    summary.judgement = Default::default();
    let html = render(&summary, &[]);
    assert!(html.contains("<span class=\"banner-word\">PASS</span>"));
    assert!(html.contains("nothing was gated"));
    assert!(!html.contains("id=\"capacity\""));
    assert!(!html.contains("id=\"stage-verdicts\""));
}

#[test]
fn hostile_text_is_never_markup() {
    let html = render(
        &super::fixture::with_generator(hostile_summary(), true),
        &sample_charts("alt <script>alert(1)</script> \" '"),
    );
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("<script"),
        "unescaped <script in report.html"
    );
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    for name in tag_names(&html) {
        assert!(OUR_TAGS.contains(&name.as_str()), "unexpected tag <{name}>");
    }
    // Quotes in attributes are escaped, so no attribute can be broken out of.
    assert!(html.contains("aria-label=\"alt &lt;script&gt;alert(1)&lt;/script&gt; &quot; &apos;\""));
    assert!(html.contains("INTERRUPTED"));
    assert!(html.contains("id=\"bottleneck\""), "the generator banner");
    assert!(html.contains("<section id=\"generator\">"));
}

#[test]
fn an_empty_run_renders_without_tables() {
    let summary = crate::report::charts::fixture::empty_summary();
    let html = render(&summary, &[]);
    assert!(html.contains("No step ran."));
    assert!(html.contains("No step failed."));
    assert!(html.contains("No budgets were set for this run."));
    assert!(!html.contains("id=\"stages\""));
}

#[test]
fn the_baseline_section_shows_each_figures_detectable_regression() {
    let mut summary = sample_summary();
    let mut comparison = summary.compared_with(&sample_summary(), Default::default());
    comparison.figures[0].regression = true;
    summary.comparison = Some(comparison);
    let html = render(&summary, &[]);
    let section = &html[html.find("id=\"baseline\"").expect("a baseline section")..];
    assert!(
        section.contains("<th class=\"num\">Detectable</th>"),
        "{section}"
    );
    assert!(
        section.contains("Flagged when worse beyond 5%"),
        "{section}"
    );
    assert!(section.contains("REGRESSION"));
}
