//! The gate on synthetic runs: a real +10 % shift is flagged, identical distributions
//! are not, the Holm correction holds the family-wise false-alarm rate over many seeded
//! pairs, and the minimum detectable effect shrinks as the runs grow.

use super::*;
use crate::metrics::StepKind;
use rand_distr::{Binomial, Distribution, Exp, Poisson};

/// Seconds every synthetic run lasts.
const SECS: f64 = 60.0;

/// A step whose latencies are `base_ms` plus an exponential tail of mean `tail_ms`,
/// scaled by `scale`, with `n` attempts and `errors` of them failed.
fn step(
    n: u64,
    errors: u64,
    base_ms: f64,
    tail_ms: f64,
    scale: f64,
    rng: &mut StdRng,
) -> StepMetrics {
    let tail = Exp::new(1.0 / tail_ms).unwrap();
    let mut metrics = StepMetrics::new(StepKind::Http);
    metrics.count = n;
    metrics.errors = errors;
    for _ in 0..n - errors {
        let ms = (base_ms + tail.sample(rng)) * scale;
        metrics.latency.record((ms * 1000.0) as u64);
    }
    metrics
}

/// A step with Poisson attempts and binomial errors, as a run of `SECS` would give.
fn noisy_step(mean_n: f64, base_ms: f64, tail_ms: f64, rng: &mut StdRng) -> StepMetrics {
    let n = Poisson::new(mean_n).unwrap().sample(rng) as u64;
    let errors = Binomial::new(n, 0.01).unwrap().sample(rng);
    step(n, errors, base_ms, tail_ms, 1.0, rng)
}

fn judge(pairs: &[(StepMetrics, StepMetrics)], tolerance: &Tolerance) -> Vec<FigureComparison> {
    let names: Vec<String> = (0..pairs.len()).map(|i| format!("step-{i}")).collect();
    let refs: Vec<(&str, &StepMetrics, &StepMetrics)> = pairs
        .iter()
        .zip(&names)
        .map(|((b, c), name)| (name.as_str(), b, c))
        .collect();
    compare_steps(&refs, (SECS, SECS), tolerance)
}

fn find<'a>(figures: &'a [FigureComparison], figure: &str) -> &'a FigureComparison {
    figures.iter().find(|f| f.figure == figure).unwrap()
}

/// Judges every figure at face value: no margin at all, only noise.
fn margin_free(correction: Correction) -> Tolerance {
    Tolerance {
        relative: 0.0,
        latency_floor_micros: 0.0,
        error_rate: 0.0,
        confidence: 0.95,
        correction,
        gate_p99: true,
    }
}

#[test]
fn a_ten_percent_shift_with_enough_samples_is_flagged() {
    let mut rng = StdRng::seed_from_u64(1);
    let base = step(6000, 0, 40.0, 10.0, 1.0, &mut rng);
    let slower = step(6000, 0, 40.0, 10.0, 1.10, &mut rng);
    let figures = judge(&[(base, slower)], &Tolerance::default());
    let p95 = find(&figures, "p95");
    assert!(p95.regression, "{p95:?}");
    assert!((p95.change - 0.10).abs() < 0.03, "{p95:?}");
    assert!(
        p95.detectable_share().unwrap() < 0.10,
        "a +10 % shift is within reach: {p95:?}"
    );
    assert!(!find(&figures, "error_rate").regression);
    assert!(!find(&figures, "throughput").regression);
}

#[test]
fn identical_distributions_are_not_flagged() {
    let mut rng = StdRng::seed_from_u64(2);
    let pairs: Vec<_> = (0..10)
        .map(|i| {
            let base_ms = 0.5 + 10.0 * i as f64;
            (
                noisy_step(3000.0, base_ms, 5.0, &mut rng),
                noisy_step(3000.0, base_ms, 5.0, &mut rng),
            )
        })
        .collect();
    let figures = judge(&pairs, &Tolerance::default());
    assert_eq!(figures.len(), 40);
    assert!(figures.iter().all(|f| !f.regression), "{figures:#?}");
    // The very same histograms are not flagged either, even with no margin at all.
    let same: Vec<_> = pairs.iter().map(|(b, _)| (b.clone(), b.clone())).collect();
    let figures = judge(&same, &margin_free(Correction::None));
    assert!(figures.iter().all(|f| !f.regression));
}

#[test]
fn holm_holds_the_family_wise_false_alarm_rate() {
    let pairs_tried = 200;
    let (mut holm_alarms, mut plain_alarms) = (0, 0);
    let (mut figure_alarms, mut figures_judged) = (0, 0);
    for seed in 0..pairs_tried {
        let mut rng = StdRng::seed_from_u64(1000 + seed);
        let pairs: Vec<_> = (0..10)
            .map(|i| {
                let base_ms = 2.0 + 5.0 * i as f64;
                (
                    noisy_step(1500.0, base_ms, 3.0, &mut rng),
                    noisy_step(1500.0, base_ms, 3.0, &mut rng),
                )
            })
            .collect();
        let plain = judge(&pairs, &margin_free(Correction::None));
        figure_alarms += plain.iter().filter(|f| f.regression).count();
        plain_alarms += usize::from(plain.iter().any(|f| f.regression));
        // The same tests, corrected: what `Correction::Holm` flags (bootstrapping
        // once instead of twice keeps this test fast).
        let p_values: Vec<f64> = plain.iter().filter_map(|f| f.p_value).collect();
        figures_judged += p_values.len();
        let holm_flags: Vec<bool> = stats::holm(&p_values).iter().map(|a| *a <= 0.05).collect();
        holm_alarms += usize::from(holm_flags.contains(&true));
        if seed < 3 {
            let holm = judge(&pairs, &margin_free(Correction::Holm));
            let flags: Vec<bool> = holm
                .iter()
                .filter(|f| f.p_value.is_some())
                .map(|f| f.regression)
                .collect();
            assert_eq!(
                flags, holm_flags,
                "compare_steps applies Holm as stats::holm does"
            );
        }
    }
    let rate = |k: usize, n: usize| k as f64 / n as f64;
    let per_figure = rate(figure_alarms, figures_judged);
    assert!(
        (0.02..=0.08).contains(&per_figure),
        "each figure alone is a test at 5 %: {per_figure}"
    );
    let plain = rate(plain_alarms, pairs_tried as usize);
    assert!(plain > 0.3, "40 figures at 5 % each: {plain}");
    let holm = rate(holm_alarms, pairs_tried as usize);
    eprintln!("per figure {per_figure}, any figure uncorrected {plain}, with Holm {holm}");
    assert!(holm <= 0.08, "Holm keeps any false alarm to ~5 %: {holm}");
}

#[test]
fn the_minimum_detectable_effect_shrinks_as_the_runs_grow() {
    let tolerance = Tolerance {
        latency_floor_micros: 100.0,
        ..Tolerance::default()
    };
    let mut previous = f64::INFINITY;
    for n in [300, 3_000, 30_000] {
        let mut rng = StdRng::seed_from_u64(n);
        let base = step(n, 0, 20.0, 5.0, 1.0, &mut rng);
        let cur = step(n, 0, 20.0, 5.0, 1.0, &mut rng);
        let figures = judge(&[(base, cur)], &tolerance);
        let share = find(&figures, "p95").detectable_share().unwrap();
        assert!(share < previous, "n = {n}: {share} after {previous}");
        assert!(
            share > tolerance.relative,
            "never below the tolerance itself"
        );
        previous = share;
    }
    assert!(
        previous < 0.07,
        "30,000 samples resolve a few percent: {previous}"
    );
}

#[test]
fn too_few_samples_are_not_judged_and_say_so() {
    let mut rng = StdRng::seed_from_u64(3);
    // 150 samples: 7.5 above p95, only 1.5 above p99.
    let base = step(150, 0, 20.0, 5.0, 1.0, &mut rng);
    let slower = step(150, 0, 20.0, 5.0, 3.0, &mut rng);
    let figures = judge(&[(base, slower)], &Tolerance::default());
    let p99 = find(&figures, "p99");
    assert!(!p99.regression && p99.p_value.is_none(), "{p99:?}");
    assert_eq!(p99.min_detectable, None);
    // p95 of 150 samples is judged, and a threefold slowdown is plain to see.
    assert!(find(&figures, "p95").regression);
}

#[test]
fn the_latency_floor_scales_with_the_figure() {
    let mut rng = StdRng::seed_from_u64(4);
    // +20 % of a 0.4 ms step is 80 µs: under the 3 ms absolute floor.
    let fast = step(20_000, 0, 0.4, 0.02, 1.0, &mut rng);
    let fast_slower = step(20_000, 0, 0.4, 0.02, 1.2, &mut rng);
    // +20 % of a 60 ms step is 12 ms: well over 5 % of it.
    let slow = step(20_000, 0, 60.0, 2.0, 1.0, &mut rng);
    let slow_slower = step(20_000, 0, 60.0, 2.0, 1.2, &mut rng);
    let figures = judge(
        &[(fast, fast_slower), (slow, slow_slower)],
        &Tolerance::default(),
    );
    let p95 = |step: &str| {
        figures
            .iter()
            .find(|f| f.step == step && f.figure == "p95")
            .unwrap()
    };
    assert!(!p95("step-0").regression, "{:?}", p95("step-0"));
    assert!(p95("step-1").regression, "{:?}", p95("step-1"));
}

#[test]
fn comparisons_written_before_the_correction_still_read() {
    let old = r#"{"baseline":"normal started x","tolerance":{"relative":0.25,
        "latency_floor_micros":5000.0,"error_rate":0.001,"confidence":0.95},
        "figures":[{"step":"login","figure":"p95","baseline":1000.0,"current":1100.0,
        "change":0.1,"confidence":0.2,"regression":false}],"unmatched_steps":[]}"#;
    let comparison: Comparison = serde_json::from_str(old).unwrap();
    assert_eq!(comparison.tolerance.correction, Correction::None);
    assert_eq!(comparison.figures[0].min_detectable, None);
    assert!(comparison.passed());
}

#[test]
fn p99_is_shown_but_gated_only_when_asked() {
    let mut rng = StdRng::seed_from_u64(6);
    let base = step(20_000, 0, 30.0, 1.0, 1.0, &mut rng);
    // The same body with a stalled second: 1.5 % of the attempts take 150 ms.
    let mut stalled = step(19_700, 0, 30.0, 1.0, 1.0, &mut rng);
    for _ in 0..300 {
        stalled.latency.record(150_000);
    }
    stalled.count = 20_000;
    let default = judge(&[(base.clone(), stalled.clone())], &Tolerance::default());
    let p99 = find(&default, "p99");
    assert!(
        !p99.gated && !p99.regression && p99.adjusted_p.is_none(),
        "{p99:?}"
    );
    assert!(p99.change > 1.0 && p99.min_detectable.is_some(), "{p99:?}");
    assert!(!find(&default, "p95").regression, "p95 barely moves");
    let gating = Tolerance {
        gate_p99: true,
        ..Tolerance::default()
    };
    let judged = judge(&[(base, stalled)], &gating);
    assert!(find(&judged, "p99").regression);
}
