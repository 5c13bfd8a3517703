//! The baseline comparison at the terminal: the figures' table, the result and what a
//! pass could not rule out, from the same [`super::view::BaselineView`] the HTML and
//! Markdown sections show.

use super::terminal::{Droppable, Terminal};
use super::view::baseline_view;
use crate::compare::Comparison;

/// The comparison as a table plus a one-line result, laid out for this terminal.
pub fn comparison_lines(comparison: &Comparison) -> Vec<String> {
    lines(&Terminal::detect(), comparison)
}

/// The comparison as a table plus a one-line result, laid out for `terminal`.
pub fn lines(terminal: &Terminal, comparison: &Comparison) -> Vec<String> {
    let view = baseline_view(comparison);
    let rows: Vec<Vec<String>> = view
        .rows
        .iter()
        .map(|f| {
            vec![
                f.step.clone(),
                f.figure.clone(),
                f.baseline.clone(),
                f.current.clone(),
                f.change.clone(),
                f.confidence.clone(),
                f.detectable.clone(),
                f.verdict.to_string(),
            ]
        })
        .collect();
    let table = terminal.fit_table(
        &[
            "step",
            "figure",
            "baseline",
            "current",
            "change",
            "confidence",
            "detectable",
            "verdict",
        ],
        &rows,
        &[
            Droppable {
                name: "confidence",
                columns: &[5],
            },
            Droppable {
                name: "detectable",
                columns: &[6],
            },
            Droppable {
                name: "baseline",
                columns: &[2],
            },
        ],
        &[2, 3, 4, 5, 6],
        "`loadgate compare --json` and report.html have every figure",
    );
    let mut lines = terminal.wrap(
        &format!("Baseline comparison against {}:", view.against),
        "",
        "  ",
    );
    lines.extend(table);
    if !view.not_compared.is_empty() {
        lines.extend(terminal.wrap(
            &format!("not compared (in one run only): {}", view.not_compared),
            "",
            "  ",
        ));
    }
    let regressions = comparison.regressions();
    let (word, text) = if regressions.is_empty() {
        ("PASS", format!("Baseline: PASS ({})", view.settings))
    } else {
        (
            "FAIL",
            format!(
                "Baseline: FAIL, regressed: {} ({})",
                regressions.join(", "),
                view.settings
            ),
        )
    };
    let mut result = terminal.wrap(&text, "", "  ");
    if let Some(first) = result.first_mut() {
        *first = first.replacen(word, &terminal.mark(word, regressions.is_empty()), 1);
    }
    lines.extend(result);
    lines.extend(terminal.wrap(
        "detectable: the smallest worsening each figure would have been flagged for \
         (4 times in 5); a pass rules out regressions of that size, not smaller ones.",
        "  ",
        "  ",
    ));
    if let Some(weak) = &view.weak {
        lines.extend(terminal.wrap(weak, "  ", "  "));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::FigureComparison;

    fn figure(name: &str, baseline: f64, min_detectable: Option<f64>) -> FigureComparison {
        FigureComparison {
            step: "send-message".into(),
            figure: name.into(),
            baseline,
            current: baseline,
            change: 0.0,
            confidence: 0.0,
            p_value: min_detectable.map(|_| 0.5),
            adjusted_p: min_detectable.map(|_| 1.0),
            min_detectable,
            gated: true,
            regression: false,
        }
    }

    #[test]
    fn a_pass_names_the_figures_it_says_little_about_and_fits_80_columns() {
        let comparison = Comparison {
            baseline: "normal started then".into(),
            tolerance: Default::default(),
            figures: vec![
                figure("p95", 40_000.0, Some(2_000.0)),
                figure("p99", 40_000.0, Some(30_000.0)),
                figure("throughput", 100.0, Some(60.0)),
            ],
            unmatched_steps: vec![],
        };
        let lines = lines(&Terminal::plain(80), &comparison);
        let text = lines.join("\n");
        assert!(text.contains("detectable"), "{text}");
        assert!(text.contains("Baseline: PASS"), "{text}");
        assert!(text.contains("send-message p99."), "{text}");
        for line in &lines {
            assert!(
                line.chars().count() <= 80,
                "{} chars: {line}",
                line.chars().count()
            );
        }
    }
}
