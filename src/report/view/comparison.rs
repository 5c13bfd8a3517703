//! The baseline part of the view: each compared figure and its minimum detectable
//! effect in its unit, the settings in one phrase, and which figures had too little
//! data for a pass to say much.

use super::format::{format_micros, format_value};
use crate::compare::{Comparison, Correction, FigureComparison, WEAK_SHARE};
use crate::slo::Unit;

/// The comparison with `--baseline`, formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineView {
    /// Which run it was compared with: `normal started 2025-01-15T10:00:00Z`.
    pub against: String,
    /// True when no gated figure regressed.
    pub passed: bool,
    /// Every compared figure.
    pub rows: Vec<BaselineRow>,
    /// Steps in one run only, comma-separated (empty when none).
    pub not_compared: String,
    /// The settings the comparison used, in one phrase.
    pub settings: String,
    /// Which latency figures had too little data to rule out a large regression.
    pub weak: Option<String>,
}

/// One compared figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineRow {
    /// The step.
    pub step: String,
    /// `p95`, `error_rate`, `throughput`, …
    pub figure: String,
    /// The baseline's value in its unit.
    pub baseline: String,
    /// This run's value.
    pub current: String,
    /// `+12.5%`.
    pub change: String,
    /// How sure the comparison is that it got worse: `97.5%`.
    pub confidence: String,
    /// Minimum detectable effect: the smallest worsening this pair would have caught.
    pub detectable: String,
    /// `REGRESSION`, `ok` or `not gated`.
    pub verdict: &'static str,
    /// False for a figure shown but unable to fail the comparison (p99 by default).
    pub gated: bool,
    /// True when it regressed.
    pub regression: bool,
}

/// The comparison as rows.
pub fn baseline_view(c: &Comparison) -> BaselineView {
    BaselineView {
        against: c.baseline.clone(),
        passed: c.passed(),
        rows: c
            .figures
            .iter()
            .map(|f| BaselineRow {
                step: f.step.clone(),
                figure: f.figure.clone(),
                baseline: value_text(f, f.baseline),
                current: value_text(f, f.current),
                change: f.change_text(),
                confidence: super::format::format_percent(f.confidence, 0),
                detectable: detectable_text(f),
                verdict: verdict_text(f),
                gated: f.gated,
                regression: f.regression,
            })
            .collect(),
        not_compared: c.unmatched_steps.join(", "),
        settings: settings_text(c),
        weak: weak_text(c),
    }
}

/// A figure's value formatted for people (`12.3ms`, `0.012%`, `143.2/s`).
pub fn value_text(f: &FigureComparison, value: f64) -> String {
    match f.figure.as_str() {
        "error_rate" => format_value(value, Unit::Fraction, 0),
        "throughput" => format_value(value, Unit::PerSecond, 0),
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
}
