//! `junit.xml`: the gate's verdicts as JUnit test results, so CI systems that already
//! read test reports (Jenkins, GitLab, GitHub test reporters) show each budget as a
//! test case that passed or failed.
//!
//! One `<testsuite name="loadgate: <scenario>">` holds one `<testcase classname="slo">`
//! per deciding verdict, so its failure count matches the exit code's view of the run;
//! an interrupted run adds a failing `run completed` case. Per-stage results and the
//! capacity do not decide the exit code, so they go to the suite's `<system-out>` and
//! `<properties>` rather than into failing test cases that would turn builds red.
//!
//! Written with quick-xml; every attribute and text is escaped, newlines in attributes
//! become character references (so parsers keep them), and characters XML 1.0 cannot
//! carry at all (most control characters) become U+FFFD.

use super::view::format::format_duration;
use super::view::{RunView, VerdictRow};
use super::{Chart, ReportError, ReportFile, ReportWriter};
use crate::summary::RunSummary;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::name::QName;
use quick_xml::Writer;
use std::borrow::Cow;
use std::io;

/// The report's file name inside the report folder.
pub const FILE_NAME: &str = "junit.xml";

/// The name of the test case an interrupted run adds.
pub const RUN_COMPLETED: &str = "run completed";

/// Writes `junit.xml`, so CI test-report views list every budget as a test.
#[derive(Debug, Clone, Copy, Default)]
pub struct JunitReport;

impl ReportWriter for JunitReport {
    fn render(
        &self,
        summary: &RunSummary,
        _charts: &[Chart],
    ) -> Result<Vec<ReportFile>, ReportError> {
        let bytes = junit_xml(summary).map_err(|e| ReportError {
            what: FILE_NAME.to_string(),
            reason: e.to_string(),
        })?;
        Ok(vec![ReportFile {
            name: FILE_NAME.to_string(),
            bytes,
        }])
    }
}

/// Replaces what XML 1.0 cannot hold, even escaped, with U+FFFD.
fn xml_chars(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(
            text.chars()
                .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

/// An attribute whose value is fully escaped, including whitespace that XML attribute
/// normalization would otherwise turn into spaces.
fn attr<'a>(key: &'a str, value: &str) -> Attribute<'a> {
    let escaped = quick_xml::escape::escape(xml_chars(value).into_owned())
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;");
    Attribute {
        key: QName(key.as_bytes()),
        value: Cow::Owned(escaped.into_bytes()),
    }
}

/// Element text, escaped.
fn text(content: &str) -> BytesText<'static> {
    BytesText::new(&xml_chars(content)).into_owned()
}

/// Seconds as JUnit writes them.
fn seconds(secs: f64) -> String {
    format!("{:.3}", if secs.is_finite() { secs.max(0.0) } else { 0.0 })
}

/// The failure message: the verdict's statement, on one line.
fn failure_message(row: &VerdictRow) -> String {
    row.statement.replace(['\n', '\r'], " ")
}

/// The failure's body: every fact about the verdict, one per line.
fn detail(row: &VerdictRow) -> String {
    let mut lines = vec![
        format!("budget: {}", row.rule),
        format!("scope: {}", row.scope),
    ];
    if let Some(stage) = &row.stage {
        lines.push(format!("stage: {stage}"));
    }
    lines.push(format!(
        "measured: {}",
        row.measured.as_deref().unwrap_or("not measured")
    ));
    lines.push(format!("limit: {} {}", row.comparison, row.limit));
    if let Some(reason) = &row.reason {
        lines.push(format!("reason: {reason}"));
    }
    if let Some(source) = &row.source {
        lines.push(format!("source: {}", source.text));
    }
    lines.join("\n")
}

/// The bottleneck sentence, per-stage verdicts, the capacity and the generator's own
/// figures as readable lines for `<system-out>`.
fn stage_lines(view: &RunView) -> Vec<String> {
    let mut lines: Vec<String> = view.bottleneck.iter().cloned().collect();
    if let Some(matrix) = &view.matrix {
        for row in &matrix.rows {
            lines.extend(row.lines.iter().cloned());
        }
    }
    lines.extend(
        view.capacity
            .iter()
            .map(|line| format!("capacity: {}", line.text)),
    );
    if let Some(generator) = &view.generator {
        for r in &generator.rows {
            let slot = r
                .slot_p99
                .as_ref()
                .map(|s| format!(", slot lateness p99 {s}"))
                .unwrap_or_default();
            lines.push(format!(
                "generator, {}: cpu mean {}, peak {}; timer lag p50 {}, p99 {}, max {}{slot}",
                r.window, r.cpu_mean, r.cpu_peak, r.lag_p50, r.lag_p99, r.lag_max
            ));
        }
        lines.push(format!("generator: {}", generator.note));
    }
    lines
}

/// The whole document.
fn junit_xml(summary: &RunSummary) -> io::Result<Vec<u8>> {
    let verdicts = &summary.judgement.verdicts;
    let tests = verdicts.len() + usize::from(summary.interrupted);
    let failures = verdicts.iter().filter(|v| !v.passed).count() + usize::from(summary.interrupted);
    let time = seconds(summary.metrics.duration_secs);
    let suite_name = format!("loadgate: {}", summary.scenario.name);
    let (tests, failures) = (tests.to_string(), failures.to_string());

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("testsuites")
        .with_attribute(attr("name", "loadgate"))
        .with_attribute(attr("tests", &tests))
        .with_attribute(attr("failures", &failures))
        .with_attribute(attr("errors", "0"))
        .with_attribute(attr("time", &time))
        .write_inner_content(|w| {
            w.create_element("testsuite")
                .with_attribute(attr("name", &suite_name))
                .with_attribute(attr("tests", &tests))
                .with_attribute(attr("failures", &failures))
                .with_attribute(attr("errors", "0"))
                .with_attribute(attr("skipped", "0"))
                .with_attribute(attr("time", &time))
                .with_attribute(attr("timestamp", &summary.settings.started_at))
                .write_inner_content(|w| write_suite_body(w, summary))?;
            Ok(())
        })?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

/// Properties, one test case per verdict, the interruption, and the stage log.
fn write_suite_body(w: &mut Writer<Vec<u8>>, summary: &RunSummary) -> io::Result<()> {
    let view = RunView::new(summary);
    let properties = [
        ("scenario", summary.scenario.name.clone()),
        ("scenario.file", summary.scenario.file.clone()),
        ("target", summary.settings.target.clone()),
        ("tool", summary.tool.clone()),
        ("started_at", summary.settings.started_at.clone()),
        ("finished_at", summary.settings.finished_at.clone()),
        ("duration", format_duration(summary.metrics.duration_secs)),
        ("interrupted", summary.interrupted.to_string()),
    ];
    let generator: Vec<(&str, String)> = match view.generator.as_ref().map(|g| &g.rows[0]) {
        Some(run) => vec![
            ("generator.cpu_mean", run.cpu_mean.clone()),
            ("generator.cpu_peak", run.cpu_peak.clone()),
            ("generator.timer_lag_p50", run.lag_p50.clone()),
            ("generator.timer_lag_p99", run.lag_p99.clone()),
            ("generator.timer_lag_max", run.lag_max.clone()),
        ]
        .into_iter()
        .chain(
            run.slot_p99
                .clone()
                .map(|slot| ("generator.slot_lateness_p99", slot)),
        )
        .chain([(
            "generator.bottleneck",
            view.bottleneck.is_some().to_string(),
        )])
        .collect(),
        None => Vec::new(),
    };
    w.create_element("properties").write_inner_content(|w| {
        for (name, value) in properties.iter().chain(&generator) {
            w.create_element("property")
                .with_attribute(attr("name", name))
                .with_attribute(attr("value", value))
                .write_empty()?;
        }
        Ok(())
    })?;
    for v in &view.verdicts {
        let case = w
            .create_element("testcase")
            .with_attribute(attr("classname", "slo"))
            .with_attribute(attr("name", &v.rule))
            .with_attribute(attr("time", "0.000"));
        if v.passed {
            case.write_inner_content(|w| {
                w.create_element("system-out")
                    .write_text_content(text(&v.statement))?;
                Ok(())
            })?;
        } else {
            case.write_inner_content(|w| {
                w.create_element("failure")
                    .with_attribute(attr("message", &failure_message(v)))
                    .with_attribute(attr("type", "slo"))
                    .write_text_content(text(&detail(v)))?;
                Ok(())
            })?;
        }
    }
    if summary.interrupted {
        w.create_element("testcase")
            .with_attribute(attr("classname", "run"))
            .with_attribute(attr("name", RUN_COMPLETED))
            .with_attribute(attr("time", &seconds(summary.metrics.duration_secs)))
            .write_inner_content(|w| {
                w.create_element("failure")
                    .with_attribute(attr(
                        "message",
                        "the run was interrupted before its plan finished",
                    ))
                    .with_attribute(attr("type", "interrupted"))
                    .write_text_content(text(
                        "The run was stopped early (Ctrl-C): every figure, and so every \
                         verdict above, covers only part of the planned load.",
                    ))?;
                Ok(())
            })?;
    }
    let lines = stage_lines(&view);
    if !lines.is_empty() {
        w.create_element("system-out")
            .write_text_content(text(&lines.join("\n")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::html::fixture::{hostile_summary, sample_charts, sample_summary, HOSTILE};
    use quick_xml::events::Event;
    use quick_xml::Reader;

    fn render(summary: &RunSummary) -> String {
        let files = JunitReport.render(summary, &sample_charts("x")).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "junit.xml");
        String::from_utf8(files[0].bytes.clone()).unwrap()
    }

    /// Every testcase's (classname, name, failure message) and the root attributes.
    struct Parsed {
        root: Vec<(String, String)>,
        suite: Vec<(String, String)>,
        cases: Vec<(String, String, Option<String>)>,
    }

    fn attrs(e: &quick_xml::events::BytesStart) -> Vec<(String, String)> {
        e.attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .expect("escaped value")
                        .into_owned(),
                )
            })
            .collect()
    }

    fn get(list: &[(String, String)], key: &str) -> String {
        list.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no attribute {key}"))
    }

    fn parse(xml: &str) -> Parsed {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        let mut parsed = Parsed {
            root: vec![],
            suite: vec![],
            cases: vec![],
        };
        loop {
            match reader.read_event().expect("junit.xml parses as XML") {
                Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                    b"testsuites" => parsed.root = attrs(&e),
                    b"testsuite" => parsed.suite = attrs(&e),
                    b"testcase" => {
                        let a = attrs(&e);
                        parsed
                            .cases
                            .push((get(&a, "classname"), get(&a, "name"), None));
                    }
                    b"failure" => {
                        let a = attrs(&e);
                        parsed
                            .cases
                            .last_mut()
                            .expect("failure inside a testcase")
                            .2 = Some(get(&a, "message"));
                    }
                    _ => {}
                },
                Event::Text(t) => {
                    t.decode().expect("text decodes");
                }
                Event::Eof => break,
                _ => {}
            }
        }
        parsed
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_summary()));
    }

    #[test]
    fn counts_and_cases_follow_the_deciding_verdicts() {
        let summary = sample_summary();
        let parsed = parse(&render(&summary));
        assert_eq!(get(&parsed.root, "tests"), "5");
        assert_eq!(get(&parsed.root, "failures"), "2");
        assert_eq!(get(&parsed.suite, "name"), "loadgate: chat-baseline");
        assert_eq!(get(&parsed.suite, "tests"), "5");
        assert_eq!(get(&parsed.suite, "failures"), "2");
        assert_eq!(get(&parsed.suite, "time"), "120.000");
        let names: Vec<&str> = parsed.cases.iter().map(|c| c.1.as_str()).collect();
        let rules: Vec<&str> = summary
            .judgement
            .verdicts
            .iter()
            .map(|v| v.rule.as_str())
            .collect();
        assert_eq!(names, rules);
        assert!(parsed.cases.iter().all(|c| c.0 == "slo"));
        assert_eq!(
            parsed.cases[1].2.as_deref(),
            Some("measured 0.66%, limit < 0.1%")
        );
        assert_eq!(
            parsed.cases[4].2.as_deref(),
            Some("not measured: the step never ran; limit < 500.0ms")
        );
        assert_eq!(parsed.cases[0].2, None);
    }

    #[test]
    fn interrupted_adds_a_failing_run_completed_case() {
        let mut summary = sample_summary();
        summary.interrupted = true;
        let parsed = parse(&render(&summary));
        assert_eq!(get(&parsed.suite, "tests"), "6");
        assert_eq!(get(&parsed.suite, "failures"), "3");
        let last = parsed.cases.last().unwrap();
        assert_eq!((last.0.as_str(), last.1.as_str()), ("run", RUN_COMPLETED));
        assert!(last.2.as_deref().unwrap().contains("interrupted"));
    }

    #[test]
    fn hostile_text_stays_well_formed_and_intact() {
        let mut summary = hostile_summary();
        summary.judgement.verdicts[0].rule = format!("ctl \u{1b}[31m\u{0} {HOSTILE}");
        let xml = render(&summary);
        assert!(!xml.contains("<script"), "raw markup in junit.xml");
        let parsed = parse(&xml);
        assert_eq!(
            get(&parsed.suite, "name"),
            format!("loadgate: scenario {HOSTILE}")
        );
        let names: Vec<String> = parsed.cases.iter().map(|c| c.1.clone()).collect();
        assert_eq!(names[0], format!("ctl \u{FFFD}[31m\u{FFFD} {HOSTILE}"));
        for (case, verdict) in names.iter().zip(&summary.judgement.verdicts).skip(1) {
            assert_eq!(case, &verdict.rule, "rule name changed on the way");
        }
        assert_eq!(names.last().unwrap(), RUN_COMPLETED);
    }

    #[test]
    fn no_budgets_is_an_empty_passing_suite() {
        let mut summary = sample_summary();
        summary.judgement = Default::default();
        let parsed = parse(&render(&summary));
        assert_eq!(get(&parsed.suite, "tests"), "0");
        assert_eq!(get(&parsed.suite, "failures"), "0");
        assert!(parsed.cases.is_empty());
    }
}
