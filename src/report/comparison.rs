//! The baseline comparison for people: the terminal table, the settings in one phrase,
//! each figure's values and minimum detectable effect in its unit, and which figures
//! had too little data to say much. The HTML and Markdown baseline sections use the
//! same texts.

use crate::compare::{Comparison, Correction, FigureComparison, WEAK_SHARE};
use crate::report::{format_micros, format_value};
use crate::slo::Unit;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;

/// A figure's value formatted for people (`12.3ms`, `0.012%`, `143.2/s`).
pub fn value_text(f: &FigureComparison, value: f64) -> String {
    match f.figure.as_str() {
        "error_rate" => format_value(value, Unit::Fraction),
        "throughput" => format_value(value, Unit::PerSecond),
        _ => format_micros(value.round().max(0.0) as u64),
    }
}

/// `REGRESSION`, `ok`, or `not gated` for a figure that is shown but cannot fail.
pub fn verdict_text(f: &FigureComparison) -> &'static str {
    if f.regression {
        "REGRESSION"
    } else if f.gated {
        "ok"
    } else {
        "not gated"
    }
}

/// The minimum detectable effect for people: `+7.3%` slower latency, `-4.1%`
/// throughput, `+0.15 pts` error rate, or `too few samples`.
pub fn detectable_text(f: &FigureComparison) -> String {
    let Some(mde) = f.min_detectable else {
        return "too few samples".into();
    };
    match (f.figure.as_str(), f.detectable_share()) {
        ("error_rate", _) => format!("+{:.2} pts", mde * 100.0),
        ("throughput", Some(share)) => format!("-{:.1}%", share * 100.0),
        ("throughput", None) => format!("-{}", value_text(f, mde)),
        (_, Some(share)) => format!("+{:.1}%", share * 100.0),
        (_, None) => format!("+{}", value_text(f, mde)),
    }
}

/// The comparison as a table plus a one-line result.
pub fn comparison_lines(comparison: &Comparison) -> Vec<String> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "step",
        "figure",
        "baseline",
        "current",
        "change",
        "confidence",
        "detectable",
        "verdict",
    ]);
    for f in &comparison.figures {
        table.add_row(vec![
            f.step.clone(),
            f.figure.clone(),
            value_text(f, f.baseline),
            value_text(f, f.current),
            f.change_text(),
            format!("{:.1}%", f.confidence * 100.0),
            detectable_text(f),
            verdict_text(f).into(),
        ]);
    }
    let mut lines = vec![
        format!("Baseline comparison against {}:", comparison.baseline),
        table.to_string(),
    ];
    if !comparison.unmatched_steps.is_empty() {
        lines.push(format!(
            "not compared (in one run only): {}",
            comparison.unmatched_steps.join(", ")
        ));
    }
    let regressions = comparison.regressions();
    lines.push(if regressions.is_empty() {
        format!("Baseline: PASS ({})", settings_text(comparison))
    } else {
        format!(
            "Baseline: FAIL, regressed: {} ({})",
            regressions.join(", "),
            settings_text(comparison)
        )
    });
    lines.push(
        "  detectable: the smallest worsening each figure would have been flagged for \
         (4 times in 5); a pass rules out regressions of that size, not smaller ones."
            .into(),
    );
    if let Some(weak) = weak_text(comparison) {
        lines.push(format!("  {weak}"));
    }
    lines
}

/// `Too little data to rule out a +25% latency regression in: login p99, …`, naming the
/// latency figures whose pass says little; `None` when every one could have caught that.
pub fn weak_text(comparison: &Comparison) -> Option<String> {
    let weak = comparison.weakly_judged(WEAK_SHARE);
    (!weak.is_empty()).then(|| {
        let names: Vec<String> = weak
            .iter()
            .map(|f| format!("{} {}", f.step, f.figure))
            .collect();
        format!(
            "Too little data to rule out a +{:.0}% latency regression in: {}.",
            WEAK_SHARE * 100.0,
            names.join(", ")
        )
    })
}

/// The settings in one phrase: `worse beyond 5% (latency at least 1.0ms) or +0.10
/// points, Holm-corrected at 95% confidence`.
pub fn settings_text(comparison: &Comparison) -> String {
    let t = &comparison.tolerance;
    let percent = |x: f64| {
        let text = format!("{:.1}", x * 100.0);
        text.strip_suffix(".0").unwrap_or(&text).to_string()
    };
    format!(
        "worse beyond {}% (latency at least {}) or +{:.2} error points, {} at {}% confidence{}",
        percent(t.relative),
        format_micros(t.latency_floor_micros as u64),
        t.error_rate * 100.0,
        match t.correction {
            Correction::Holm => "Holm-corrected over all gated figures",
            Correction::None => "each figure on its own",
        },
        percent(t.confidence),
        if t.gate_p99 {
            ""
        } else {
            "; p99 shown, not gated"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn detectable_effects_read_in_each_figures_unit() {
        assert_eq!(
            detectable_text(&figure("p95", 40_000.0, Some(2_920.0))),
            "+7.3%"
        );
        assert_eq!(
            detectable_text(&figure("throughput", 200.0, Some(8.2))),
            "-4.1%"
        );
        assert_eq!(
            detectable_text(&figure("error_rate", 0.0, Some(0.0015))),
            "+0.15 pts"
        );
        assert_eq!(
            detectable_text(&figure("p99", 40_000.0, None)),
            "too few samples"
        );
    }

    #[test]
    fn a_pass_names_the_figures_it_says_little_about() {
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
        let lines = comparison_lines(&comparison);
        let text = lines.join("\n");
        assert!(text.contains("detectable"), "{text}");
        assert!(text.contains("Baseline: PASS"), "{text}");
        assert_eq!(
            weak_text(&comparison).as_deref(),
            Some("Too little data to rule out a +25% latency regression in: send-message p99.")
        );
    }
}
