//! `summary.md`: the run in a few lines of GitHub-flavoured Markdown, sized for a CI
//! job summary (`$GITHUB_STEP_SUMMARY`) or a pull-request comment: the verdict, the
//! budgets, the capacity and the key per-step figures.
//!
//! Every string from the summary goes through [`escape`]: pipes cannot split a table
//! cell, `<`, `>` and `&` become entities so no HTML renders, Markdown punctuation is
//! backslash-escaped so nothing turns into a link or emphasis, and newlines become
//! spaces so a row stays one row.

use super::view::format::format_duration;
use super::view::{BaselineView, GeneratorView, RunView, ServerView, StepTable, VerdictRow};
use super::{Chart, ReportError, ReportFile, ReportWriter};
use crate::summary::RunSummary;
use std::fmt::Write as _;

/// The report's file name inside the report folder.
pub const FILE_NAME: &str = "summary.md";

/// Writes `summary.md`, the short form of the report for CI pages and PR comments.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkdownSummary;

impl ReportWriter for MarkdownSummary {
    fn render(
        &self,
        summary: &RunSummary,
        _charts: &[Chart],
    ) -> Result<Vec<ReportFile>, ReportError> {
        Ok(vec![ReportFile {
            name: FILE_NAME.to_string(),
            bytes: markdown(summary).into_bytes(),
        }])
    }
}

/// Makes text from a run safe inside a GFM table cell or a line of prose: it renders
/// as exactly that text and never as HTML, a link, emphasis or another cell.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push(' ');
                }
            }
            '\n' | '\t' => out.push(' '),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The baseline section: the verdict, what a pass can rule out, and a table of the
/// regressed figures, or on a pass of every step's p95 with its minimum detectable effect.
fn baseline_section(md: &mut String, baseline: &BaselineView) {
    let _ = writeln!(md, "### Baseline\n");
    let against = escape(&baseline.against);
    if baseline.passed {
        let _ = writeln!(md, "No regression against {against}.\n");
    } else {
        let _ = writeln!(md, "Regressed against {against}:\n");
    }
    let _ = writeln!(
        md,
        "| step | figure | baseline | current | change | confidence | detectable |"
    );
    let _ = writeln!(md, "| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    let shown = baseline.rows.iter().filter(|f| {
        if baseline.passed {
            f.figure == "p95"
        } else {
            f.regression
        }
    });
    for f in shown {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            escape(&f.step),
            escape(&f.figure),
            escape(&f.baseline),
            escape(&f.current),
            escape(&f.change),
            escape(&f.confidence),
            escape(&f.detectable)
        );
    }
    let _ = writeln!(
        md,
        "\nFlagged when {}. *Detectable* is the smallest worsening each figure would have \
         been flagged for (4 times in 5): a pass rules out regressions of that size, not \
         smaller ones.",
        escape(&baseline.settings)
    );
    if let Some(weak) = &baseline.weak {
        let _ = writeln!(md, "{}", escape(weak));
    }
    md.push('\n');
}

/// The budgets table: one row per deciding budget.
fn budgets_section(md: &mut String, verdicts: &[VerdictRow]) {
    md.push_str("\n### Budgets\n\n");
    md.push_str("| rule | measured | limit | result |\n");
    md.push_str("| --- | ---: | ---: | :---: |\n");
    for v in verdicts {
        let measured = match &v.measured {
            Some(m) => m.clone(),
            None => format!(
                "not measured: {}",
                v.reason.as_deref().unwrap_or("no samples")
            ),
        };
        let stage = match &v.stage {
            Some(stage) => format!(" ({stage})"),
            None => String::new(),
        };
        let _ = writeln!(
            md,
            "| {}{} | {} | {} {} | {} |",
            escape(&v.rule),
            escape(&stage),
            escape(&measured),
            escape(&v.comparison),
            escape(&v.limit),
            if v.passed { "✅ pass" } else { "❌ fail" }
        );
    }
}

/// loadgate's own CPU and timer lag, for the run and each stage.
fn generator_section(md: &mut String, generator: &GeneratorView) {
    md.push_str("\n### Generator\n\n");
    md.push_str("| window | CPU mean | CPU peak | timer lag p50 | p99 | max |");
    md.push_str(if generator.open_model {
        " slot lateness p99 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    } else {
        "\n| --- | ---: | ---: | ---: | ---: | ---: |\n"
    });
    for r in &generator.rows {
        let _ = write!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            escape(&r.window),
            r.cpu_mean,
            r.cpu_peak,
            r.lag_p50,
            r.lag_p99,
            r.lag_max
        );
        if let Some(slot) = &r.slot_p99 {
            let _ = write!(md, " {slot} |");
        }
        md.push('\n');
    }
    let _ = writeln!(md, "\n{}", escape(&generator.note));
}

/// The monitored server: the scrapes, then one row per series.
fn server_section(md: &mut String, server: &ServerView) {
    let _ = writeln!(md, "\n### Server\n\n{}\n", escape(&server.statement));
    for (reason, count, example) in &server.failures {
        let _ = writeln!(
            md,
            "- scrape failed: {} ×{} (e.g. {})",
            escape(reason),
            count,
            escape(example)
        );
    }
    if !server.failures.is_empty() {
        md.push('\n');
    }
    md.push_str("| series | min | mean | max | growth |\n| --- | ---: | ---: | ---: | ---: |\n");
    for r in &server.rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            escape(&r.name),
            escape(&r.min),
            escape(&r.mean),
            escape(&r.max),
            escape(&r.growth)
        );
    }
    if let Some(note) = server.note {
        let _ = writeln!(md, "\n{}", escape(note));
    }
}

/// The key per-step figures (the HTML report has every percentile and each stage).
fn steps_section(md: &mut String, steps: &StepTable) {
    md.push_str("\n### Steps\n\n");
    md.push_str("| step | count | errors | req/s | p50 | p95 | p99 |\n");
    md.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for row in &steps.rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            escape(&row.name),
            row.count,
            escape(&row.errors_with_pct()),
            row.rps,
            row.p50,
            row.p95,
            row.p99
        );
    }
}

/// The whole document.
fn markdown(summary: &RunSummary) -> String {
    let view = RunView::new(summary);
    let mut md = String::new();
    let mark = if view.headline.passed { "✅" } else { "❌" };
    let _ = writeln!(
        md,
        "## {mark} {}: {}{}",
        view.headline.word,
        escape(&summary.scenario.name),
        if view.interrupted {
            " (interrupted)"
        } else {
            ""
        }
    );
    md.push('\n');
    let _ = writeln!(
        md,
        "**{}** Ran {} against {}, starting {}.",
        escape(&view.headline.detail),
        format_duration(summary.metrics.duration_secs),
        escape(&summary.settings.target),
        escape(&summary.settings.started_at)
    );
    if view.interrupted {
        md.push('\n');
        md.push_str(
            "> ⚠️ **Interrupted:** the run was stopped before its plan finished; every \
             figure covers only part of it.\n",
        );
    }
    if let Some(bottleneck) = &view.bottleneck {
        let _ = writeln!(md, "\n> ⚠️ **{}**", escape(bottleneck));
    }
    if !view.verdicts.is_empty() {
        budgets_section(&mut md, &view.verdicts);
    }
    if let Some(baseline) = &view.baseline {
        baseline_section(&mut md, baseline);
    }
    if let Some(capacity) = view.capacity_paragraph() {
        let _ = writeln!(md, "\n**Capacity:** {}", escape(&capacity));
    }
    if !view.arrivals.is_empty() {
        md.push_str("\n## Arrivals\n\n| stage | target | planned | started | delivered | dropped |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for a in &view.arrivals {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                escape(&a.stage),
                a.target,
                a.planned,
                a.started,
                a.delivered,
                if a.has_drops {
                    format!("**{}**", a.dropped)
                } else {
                    a.dropped.clone()
                }
            );
        }
    }
    if let Some(note) = view.latency_note {
        let _ = writeln!(md, "\n{}", escape(note));
    }
    if let Some(generator) = &view.generator {
        generator_section(&mut md, generator);
    }
    if let Some(server) = &view.server {
        server_section(&mut md, server);
    }
    if !view.steps.rows.is_empty() {
        steps_section(&mut md, &view.steps);
    }
    let _ = writeln!(
        md,
        "\n<sub>{} · scenario {} · full report in report.html</sub>",
        escape(&summary.tool),
        escape(&summary.scenario.file)
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::html::fixture::{hostile_summary, sample_charts, sample_summary};

    fn render(summary: &RunSummary) -> String {
        let files = MarkdownSummary
            .render(summary, &sample_charts("x"))
            .unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "summary.md");
        String::from_utf8(files[0].bytes.clone()).unwrap()
    }

    #[test]
    fn the_baseline_section_says_what_a_pass_could_have_caught() {
        let mut summary = sample_summary();
        let comparison = summary.compared_with(&sample_summary(), Default::default());
        let p95_steps = comparison
            .figures
            .iter()
            .filter(|f| f.figure == "p95")
            .count();
        summary.comparison = Some(comparison);
        let md = render(&summary);
        let start = md.find("### Baseline").expect("a baseline section");
        let section = &md[start..start + md[start..].find("Flagged when").unwrap()];
        assert!(section.contains("No regression against"), "{section}");
        assert!(section.contains("| detectable |"), "{section}");
        assert!(md[start..].contains("*Detectable* is the smallest worsening"));
        let rows = section.lines().filter(|l| l.contains("| p95 |")).count();
        assert_eq!(
            rows, p95_steps,
            "one p95 row per step on a pass:\n{section}"
        );
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample_summary()));
    }

    #[test]
    fn an_empty_run_is_a_verdict_line_and_nothing_else() {
        let md = render(&crate::report::charts::fixture::empty_summary());
        assert!(md.starts_with("## ✅ PASS: "));
        assert!(md.contains("No budgets were set"));
        assert!(!md.contains("### Budgets") && !md.contains("### Steps"));
    }

    #[test]
    fn interrupted_snapshot() {
        let mut summary = sample_summary();
        summary.interrupted = true;
        summary.judgement.capacity = None;
        for v in &mut summary.judgement.verdicts {
            v.passed = true;
        }
        insta::assert_snapshot!(render(&summary));
    }

    #[test]
    fn escapes_table_breakers_and_html() {
        assert_eq!(
            escape("<script>alert(1)</script> | a\nb & [x](y)"),
            "&lt;script&gt;alert(1)&lt;/script&gt; \\| a b &amp; \\[x\\](y)"
        );
        assert_eq!(escape("a\r\nb\rc"), "a b c");
        assert_eq!(escape("a\\|b"), "a\\\\\\|b");
    }

    /// Pipes not preceded by an odd number of backslashes: GFM's cell separators.
    fn unescaped_pipes(line: &str) -> usize {
        line.char_indices()
            .filter(|(i, c)| {
                let backslashes = line[..*i].chars().rev().take_while(|b| *b == '\\').count();
                *c == '|' && backslashes % 2 == 0
            })
            .count()
    }

    #[test]
    fn hostile_text_cannot_render_html_or_break_rows() {
        let md = render(&crate::report::html::fixture::with_generator(
            hostile_summary(),
            true,
        ));
        assert!(!md.contains("<script"), "raw <script in summary.md:\n{md}");
        assert!(md.contains("### Generator"), "{md}");
        assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // Every table row keeps exactly its columns: no unescaped pipe slipped in.
        let mut expected = 0;
        for line in md.lines() {
            if line.starts_with("### Budgets") {
                expected = 5;
            } else if line.starts_with("### Steps") {
                expected = 8;
            } else if line.starts_with("### Generator") {
                expected = 7;
            } else if line.starts_with('|') {
                assert_eq!(
                    unescaped_pipes(line),
                    expected,
                    "row has extra cells: {line}"
                );
            }
        }
    }
}
