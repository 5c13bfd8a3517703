//! One test per figure of one step: how far the current run is beyond the baseline's
//! margin, and the bootstrap standard error of that excess.
//!
//! Latency (p95, p99) resamples both HDR histograms; its margin is the larger of the
//! absolute latency floor and the relative tolerance times the baseline, so it scales
//! with the figure: 1 ms → 1.04 ms is noise, 200 ms → 208 ms is not. Error rate redraws
//! errors as binomial, with a margin in percentage points. Throughput redraws
//! completions as Poisson, and is worse when lower.

use super::bootstrap::{resampled_error_rate, resampled_rate, Buckets};
use super::stats::mean_and_sd;
use super::{Tolerance, RESAMPLES};
use crate::metrics::StepMetrics;
use rand::rngs::StdRng;

/// A percentile is judged only when at least this many samples of each run lie above
/// it: with fewer, the resamples cannot show how uncertain it is (p99 of 20 samples is
/// simply the largest, every time).
pub const MIN_TAIL_SAMPLES: f64 = 5.0;

/// The percentiles compared, with their names.
pub const PERCENTILES: [(f64, &str); 2] = [(95.0, "p95"), (99.0, "p99")];

/// One figure's test, before the correction across figures.
#[derive(Debug, Clone)]
pub struct FigureTest {
    /// Step name.
    pub step: String,
    /// `p95`, `p99`, `error_rate` or `throughput`.
    pub figure: &'static str,
    /// Baseline value (µs, fraction or per second).
    pub baseline: f64,
    /// Current value, same unit.
    pub current: f64,
    /// Observed worsening beyond the margin (positive: worse than allowed).
    pub excess: f64,
    /// Bootstrap standard error of that excess.
    pub standard_error: f64,
    /// The margin at the baseline value: worsening allowed before it counts.
    pub margin: f64,
    /// False when there were too few samples to judge the figure at all.
    pub judged: bool,
}

/// The four figures of one step present in both runs.
pub fn step_tests(
    name: &str,
    base: &StepMetrics,
    cur: &StepMetrics,
    (base_secs, cur_secs): (f64, f64),
    tol: &Tolerance,
    rng: &mut StdRng,
) -> Vec<FigureTest> {
    let mut out = Vec::new();
    let (base_buckets, cur_buckets) = (Buckets::of(&base.latency), Buckets::of(&cur.latency));
    let margin = |b: f64| (b * tol.relative).max(tol.latency_floor_micros);
    for (p, label) in PERCENTILES {
        let (b, c) = (
            base.latency.percentile(p) as f64,
            cur.latency.percentile(p) as f64,
        );
        let tail = |n: u64| n as f64 * (1.0 - p / 100.0) >= MIN_TAIL_SAMPLES;
        let judged = tail(base_buckets.total()) && tail(cur_buckets.total());
        let standard_error = if judged {
            spread(rng, |rng| {
                let b = base_buckets.resampled_percentile(p, rng);
                let c = cur_buckets.resampled_percentile(p, rng);
                c - b - margin(b)
            })
        } else {
            0.0
        };
        out.push(FigureTest {
            step: name.to_string(),
            figure: label,
            baseline: b,
            current: c,
            excess: c - b - margin(b),
            standard_error,
            margin: margin(b),
            judged,
        });
    }

    let (b, c) = (base.error_rate(), cur.error_rate());
    let drawn = spread(rng, |rng| {
        resampled_error_rate(cur.count, cur.errors, rng)
            - resampled_error_rate(base.count, base.errors, rng)
    });
    // A run with no errors redraws none, which would claim the rate is exact; use the
    // binomial error at the edge of the margin whenever it is larger.
    let edge = (b + tol.error_rate).min(1.0);
    let at_edge =
        (b * (1.0 - b) / base.count as f64 + edge * (1.0 - edge) / cur.count as f64).sqrt();
    out.push(FigureTest {
        step: name.to_string(),
        figure: "error_rate",
        baseline: b,
        current: c,
        excess: c - b - tol.error_rate,
        standard_error: drawn.max(at_edge),
        margin: tol.error_rate,
        judged: true,
    });

    let (base_ok, cur_ok) = (base.successes(), cur.successes());
    let rate = |ok: u64, secs: f64| if secs > 0.0 { ok as f64 / secs } else { 0.0 };
    let (b, c) = (rate(base_ok, base_secs), rate(cur_ok, cur_secs));
    let judged = base_secs > 0.0 && cur_secs > 0.0;
    let standard_error = spread(rng, |rng| {
        let b = resampled_rate(base_ok, base_secs, rng);
        let c = resampled_rate(cur_ok, cur_secs, rng);
        b * (1.0 - tol.relative) - c
    });
    out.push(FigureTest {
        step: name.to_string(),
        figure: "throughput",
        baseline: b,
        current: c,
        excess: b * (1.0 - tol.relative) - c,
        standard_error,
        margin: b * tol.relative,
        judged,
    });
    out
}

/// Standard deviation of [`RESAMPLES`] draws of `excess`.
fn spread(rng: &mut StdRng, mut excess: impl FnMut(&mut StdRng) -> f64) -> f64 {
    let draws: Vec<f64> = (0..RESAMPLES).map(|_| excess(rng)).collect();
    mean_and_sd(&draws).1
}
