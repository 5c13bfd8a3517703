//! Baseline comparison: is the current run worse than a baseline, per step, in p95,
//! p99, error rate and throughput — beyond a margin and beyond noise?
//!
//! Two bare numbers cannot tell a regression from a noisy machine, so each figure is
//! bootstrapped from the recorded distributions (HDR histograms, error and completion
//! counts) to get the standard error of its change. A figure regresses when it is worse
//! than the baseline by more than its margin (the relative tolerance, and for latency
//! at least an absolute floor) with a one-sided p-value that survives the
//! Holm–Bonferroni correction across every figure of the comparison, so the chance of
//! any false alarm on an unchanged pair stays at most 1 − confidence. Every figure also
//! gets its minimum detectable effect: the smallest worsening this pair of runs would
//! have caught, so a pass can be told from "too little data to say".

pub mod bootstrap;
pub mod figure;
pub mod stats;
#[cfg(test)]
mod tests;

use crate::metrics::{RunMetrics, StepMetrics};
use figure::{step_tests, FigureTest};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
pub use stats::Correction;

/// How strict the comparison is; the defaults are documented in README.md and were
/// chosen from `bench/gate-fidelity`'s measured false-alarm and detection rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Allowed relative worsening of latency and throughput (0.05 = 5 %).
    pub relative: f64,
    /// Latency changes smaller than this many µs are never a regression, whatever
    /// their relative size.
    pub latency_floor_micros: f64,
    /// Allowed absolute rise in error rate (0.001 = 0.1 percentage points).
    pub error_rate: f64,
    /// 1 − the false-alarm level: with the Holm correction, the chance that an
    /// unchanged pair passes as a whole.
    pub confidence: f64,
    /// How the false-alarm level is shared among the figures (files written before the
    /// correction existed were uncorrected).
    #[serde(default = "uncorrected")]
    pub correction: Correction,
    /// Whether p99 can fail the comparison. By default it is compared and shown, with
    /// its detectable effect, but not gated: in a one-minute run the slowest 1 % is a
    /// few hundred samples, and one stall of a second moves it (files written before
    /// this existed gated it).
    #[serde(default = "gated")]
    pub gate_p99: bool,
}

fn uncorrected() -> Correction {
    Correction::None
}

fn gated() -> bool {
    true
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            relative: DEFAULT_TOLERANCE_PERCENT / 100.0,
            latency_floor_micros: DEFAULT_LATENCY_FLOOR_MICROS,
            error_rate: 0.001,
            confidence: 0.95,
            correction: Correction::Holm,
            gate_p99: false,
        }
    }
}

/// Default `--tolerance`, in percent.
pub const DEFAULT_TOLERANCE_PERCENT: f64 = 5.0;

/// Default `--latency-floor`, in µs.
pub const DEFAULT_LATENCY_FLOOR_MICROS: f64 = 3_000.0;

/// A latency figure that could only have caught a worsening above this share of its
/// baseline is reported as too little data to say.
pub const WEAK_SHARE: f64 = 0.25;

/// Resamples per figure: enough for a standard error good to a few percent.
pub const RESAMPLES: usize = 1000;

/// The comparison of one figure of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureComparison {
    /// Step name.
    pub step: String,
    /// `p95`, `p99`, `error_rate` or `throughput`.
    pub figure: String,
    /// Baseline value (µs, fraction or per second).
    pub baseline: f64,
    /// Current value, same unit.
    pub current: f64,
    /// Relative change, current over baseline minus one (0 when the baseline is 0).
    pub change: f64,
    /// How sure the comparison is, before the correction, that the current run is
    /// worse beyond the margin: 1 − the one-sided p-value (0 when not judged).
    pub confidence: f64,
    /// One-sided p-value before the correction; `None` when the figure had too few
    /// samples to be judged.
    #[serde(default)]
    pub p_value: Option<f64>,
    /// p-value after the correction across all gated, judged figures; flagged when at
    /// most 1 − `Tolerance::confidence`. `None` for a figure that is not gated.
    #[serde(default)]
    pub adjusted_p: Option<f64>,
    /// Minimum detectable effect: the smallest worsening, in the figure's unit, that
    /// this pair of runs would have flagged 80 % of the time (µs slower, points more
    /// errors, or per second fewer). `None` when the figure was not judged.
    #[serde(default)]
    pub min_detectable: Option<f64>,
    /// Whether this figure can fail the comparison (p99 is shown but not gated unless
    /// `Tolerance::gate_p99`).
    #[serde(default = "gated")]
    pub gated: bool,
    /// Whether this is flagged as a regression.
    pub regression: bool,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What the baseline was (scenario and start time).
    pub baseline: String,
    /// The tolerance used.
    pub tolerance: Tolerance,
    /// Every figure compared.
    pub figures: Vec<FigureComparison>,
    /// Steps in only one of the two runs (not compared).
    pub unmatched_steps: Vec<String>,
}

impl Comparison {
    /// True when no figure regressed.
    pub fn passed(&self) -> bool {
        self.figures.iter().all(|f| !f.regression)
    }

    /// The regressed figures as `step figure`, for one-line summaries.
    pub fn regressions(&self) -> Vec<String> {
        self.figures
            .iter()
            .filter(|f| f.regression)
            .map(|f| format!("{} {}", f.step, f.figure))
            .collect()
    }

    /// The latency figures whose minimum detectable effect exceeds `share` of
    /// the baseline, or that could not be judged: where a pass says little.
    pub fn weakly_judged(&self, share: f64) -> Vec<&FigureComparison> {
        self.figures
            .iter()
            .filter(|f| f.is_latency())
            .filter(|f| f.detectable_share().is_none_or(|d| d > share))
            .collect()
    }
}

impl FigureComparison {
    /// True for the latency percentiles (p95, p99).
    pub fn is_latency(&self) -> bool {
        self.figure.starts_with('p')
    }

    /// The minimum detectable effect as a share of the baseline (0.07 = 7 % worse), for
    /// latency and throughput; `None` when not judged or the baseline is zero.
    pub fn detectable_share(&self) -> Option<f64> {
        let mde = self.min_detectable?;
        (self.figure != "error_rate" && self.baseline > 0.0).then(|| mde / self.baseline)
    }

    /// The relative change as `+12.5%`, or `-` when the baseline was zero.
    pub fn change_text(&self) -> String {
        if self.baseline > 0.0 {
            format!("{:+.1}%", self.change * 100.0)
        } else {
            "-".into()
        }
    }
}

/// Compares `current` with `baseline` step by step, in the current run's step order;
/// `against` names the baseline for people (scenario and start time).
pub fn compare(
    against: String,
    baseline: &RunMetrics,
    current: &RunMetrics,
    step_order: &[String],
    tolerance: Tolerance,
) -> Comparison {
    let mut pairs = Vec::new();
    let mut unmatched = Vec::new();
    for name in step_order {
        match (baseline.steps.get(name), current.steps.get(name)) {
            (Some(base), Some(cur)) if base.count > 0 && cur.count > 0 => {
                pairs.push((name.as_str(), base, cur));
            }
            _ => unmatched.push(name.clone()),
        }
    }
    for name in baseline.steps.keys() {
        if !current.steps.contains_key(name) && !unmatched.contains(name) {
            unmatched.push(name.clone());
        }
    }
    let durations = (baseline.duration_secs, current.duration_secs);
    Comparison {
        baseline: against,
        tolerance,
        figures: compare_steps(&pairs, durations, &tolerance),
        unmatched_steps: unmatched,
    }
}

/// Tests every figure of every step pair, then corrects across all of them at once.
pub fn compare_steps(
    pairs: &[(&str, &StepMetrics, &StepMetrics)],
    durations: (f64, f64),
    tolerance: &Tolerance,
) -> Vec<FigureComparison> {
    // Fixed seed: the same two files always give the same answer.
    let mut rng = StdRng::seed_from_u64(0x10AD_6A7E);
    let tests: Vec<FigureTest> = pairs
        .iter()
        .flat_map(|(name, base, cur)| step_tests(name, base, cur, durations, tolerance, &mut rng))
        .collect();
    let gated = |t: &FigureTest| t.judged && (t.figure != "p99" || tolerance.gate_p99);
    // The family the correction covers: every figure that can fail the comparison.
    let family: Vec<f64> = tests
        .iter()
        .filter(|t| gated(t))
        .map(|t| stats::p_value(t.excess, t.standard_error))
        .collect();
    let mut adjusted = tolerance.correction.adjust(&family).into_iter();
    let alpha = 1.0 - tolerance.confidence;
    let level = tolerance.correction.strictest_level(alpha, family.len());
    let multiplier = stats::detection_multiplier(level);
    tests
        .into_iter()
        .map(|t| {
            let in_family = gated(&t);
            let judged = t.judged.then(|| {
                let p = stats::p_value(t.excess, t.standard_error);
                let adjusted = if in_family { adjusted.next() } else { None };
                (p, adjusted, t.margin + multiplier * t.standard_error)
            });
            FigureComparison {
                change: if t.baseline > 0.0 {
                    t.current / t.baseline - 1.0
                } else {
                    0.0
                },
                confidence: judged.map_or(0.0, |(p, _, _)| 1.0 - p),
                p_value: judged.map(|(p, _, _)| p),
                adjusted_p: judged.and_then(|(_, a, _)| a),
                min_detectable: judged.map(|(_, _, mde)| mde),
                gated: t.figure != "p99" || tolerance.gate_p99,
                regression: judged.is_some_and(|(_, a, _)| a.is_some_and(|a| a <= alpha)),
                step: t.step,
                figure: t.figure.to_string(),
                baseline: t.baseline,
                current: t.current,
            }
        })
        .collect()
}
