//! Baseline comparison: is the current run worse than a baseline, per step, in p95,
//! p99, error rate and throughput — beyond a tolerance and beyond noise?
//!
//! Two bare numbers cannot tell a regression from a noisy machine, so each figure is
//! bootstrapped from the recorded distributions (HDR histograms, error and completion
//! counts). A step regresses when, in at least `confidence` of the resamples, the
//! current figure is worse than the baseline by more than the tolerance (and, for
//! latency, by more than an absolute floor, since 1 ms → 1.4 ms is noise, not a
//! regression). The share of resamples that agree is reported as the confidence.

pub mod bootstrap;
pub mod command;

use crate::metrics::StepMetrics;
use crate::summary::RunSummary;
use bootstrap::{resampled_error_rate, resampled_rate, Buckets};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// How strict the comparison is; the defaults are documented in README.md.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    /// Allowed relative worsening of latency and throughput (0.25 = 25 %).
    pub relative: f64,
    /// Latency changes smaller than this many µs are never a regression.
    pub latency_floor_micros: f64,
    /// Allowed absolute rise in error rate (0.001 = 0.1 percentage points).
    pub error_rate: f64,
    /// Share of resamples that must agree before a regression is flagged.
    pub confidence: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            relative: 0.25,
            latency_floor_micros: 5_000.0,
            error_rate: 0.001,
            confidence: 0.95,
        }
    }
}

/// Resamples per figure; enough for a stable 95 % decision, fast for dozens of steps.
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
    /// Share of resamples in which the current run is worse beyond the tolerance.
    pub confidence: f64,
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
}

impl FigureComparison {
    /// The figure's values formatted for people (`12.3ms`, `0.012%`, `143.2/s`).
    pub fn display(&self, value: f64) -> String {
        use crate::report::{format_micros, format_value};
        use crate::slo::Unit;
        match self.figure.as_str() {
            "error_rate" => format_value(value, Unit::Fraction),
            "throughput" => format_value(value, Unit::PerSecond),
            _ => format_micros(value.round().max(0.0) as u64),
        }
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

/// Compares `current` with `baseline` step by step.
pub fn compare(baseline: &RunSummary, current: &RunSummary, tolerance: Tolerance) -> Comparison {
    // Fixed seed: the same two files always give the same answer.
    let mut rng = StdRng::seed_from_u64(0x10AD_6A7E);
    let mut figures = Vec::new();
    let mut unmatched = Vec::new();
    for name in &current.step_order {
        match (
            baseline.metrics.steps.get(name),
            current.metrics.steps.get(name),
        ) {
            (Some(base), Some(cur)) if base.count > 0 && cur.count > 0 => {
                let durations = (
                    baseline.metrics.duration_secs,
                    current.metrics.duration_secs,
                );
                figures.extend(compare_step(
                    name, base, cur, durations, tolerance, &mut rng,
                ));
            }
            _ => unmatched.push(name.clone()),
        }
    }
    for name in baseline.metrics.steps.keys() {
        if !current.metrics.steps.contains_key(name) && !unmatched.contains(name) {
            unmatched.push(name.clone());
        }
    }
    Comparison {
        baseline: format!(
            "{} started {}",
            baseline.scenario.name, baseline.settings.started_at
        ),
        tolerance,
        figures,
        unmatched_steps: unmatched,
    }
}

fn compare_step(
    name: &str,
    base: &StepMetrics,
    cur: &StepMetrics,
    (base_secs, cur_secs): (f64, f64),
    tol: Tolerance,
    rng: &mut StdRng,
) -> Vec<FigureComparison> {
    let mut out = Vec::new();
    let (base_buckets, cur_buckets) = (Buckets::of(&base.latency), Buckets::of(&cur.latency));
    if base_buckets.total() > 0 && cur_buckets.total() > 0 {
        for p in [95.0, 99.0] {
            let worse = |b: f64, c: f64| c - b > (b * tol.relative).max(tol.latency_floor_micros);
            let share = agreeing(rng, |rng| {
                worse(
                    base_buckets.resampled_percentile(p, rng),
                    cur_buckets.resampled_percentile(p, rng),
                )
            });
            let (b, c) = (
                base.latency.percentile(p) as f64,
                cur.latency.percentile(p) as f64,
            );
            out.push(figure(name, &format!("p{p}"), b, c, share, tol));
        }
    }
    let share = agreeing(rng, |rng| {
        let b = resampled_error_rate(base.count, base.errors, rng);
        let c = resampled_error_rate(cur.count, cur.errors, rng);
        c - b > tol.error_rate
    });
    out.push(figure(
        name,
        "error_rate",
        base.error_rate(),
        cur.error_rate(),
        share,
        tol,
    ));
    let (base_ok, cur_ok) = (base.count - base.errors, cur.count - cur.errors);
    let share = agreeing(rng, |rng| {
        let b = resampled_rate(base_ok, base_secs, rng);
        let c = resampled_rate(cur_ok, cur_secs, rng);
        c < b * (1.0 - tol.relative)
    });
    let rate = |ok: u64, secs: f64| if secs > 0.0 { ok as f64 / secs } else { 0.0 };
    out.push(figure(
        name,
        "throughput",
        rate(base_ok, base_secs),
        rate(cur_ok, cur_secs),
        share,
        tol,
    ));
    out
}

/// The share of [`RESAMPLES`] draws for which `worse` holds.
fn agreeing(rng: &mut StdRng, mut worse: impl FnMut(&mut StdRng) -> bool) -> f64 {
    (0..RESAMPLES).filter(|_| worse(rng)).count() as f64 / RESAMPLES as f64
}

fn figure(
    step: &str,
    figure: &str,
    baseline: f64,
    current: f64,
    confidence: f64,
    tol: Tolerance,
) -> FigureComparison {
    FigureComparison {
        step: step.to_string(),
        figure: figure.to_string(),
        baseline,
        current,
        change: if baseline > 0.0 {
            current / baseline - 1.0
        } else {
            0.0
        },
        confidence,
        regression: confidence >= tol.confidence,
    }
}
