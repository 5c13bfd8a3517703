//! The statistics of the gate: one-sided z tests on bootstrap standard errors, the
//! Holm–Bonferroni correction across every figure of a comparison, and the minimum
//! detectable effect that says how large a regression a pass could have missed.
//!
//! Each figure asks "is the current run worse than the baseline by more than its
//! margin?". The bootstrap gives the standard error of (current − baseline − margin);
//! the observed value over that error is a z score, and its one-sided p-value is the
//! chance of a score this high when the true worsening is exactly the margin.

use serde::{Deserialize, Serialize};

/// How the false-alarm level is shared among the figures of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    /// Holm–Bonferroni: the chance that *any* figure of an unchanged pair is flagged
    /// stays at most 1 − confidence, however many figures are compared.
    #[default]
    Holm,
    /// Each figure tested at 1 − confidence on its own; with dozens of figures, some
    /// unchanged pair is flagged far more often than that.
    None,
}

impl Correction {
    /// The lowest per-figure level the correction may ask for among `m` tests: what a
    /// figure must reach to be flagged when nothing else is.
    pub fn strictest_level(self, alpha: f64, m: usize) -> f64 {
        match self {
            Correction::Holm => alpha / m.max(1) as f64,
            Correction::None => alpha,
        }
    }

    /// Adjusted p-values, in the order given: a figure is flagged when its adjusted
    /// p-value is at most 1 − confidence.
    pub fn adjust(self, p_values: &[f64]) -> Vec<f64> {
        match self {
            Correction::None => p_values.to_vec(),
            Correction::Holm => holm(p_values),
        }
    }
}

/// Holm's step-down adjustment: sort ascending, scale the i-th smallest (from 0) by
/// m − i, and keep the running maximum so the adjusted values stay in order.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![1.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Power at which the minimum detectable effect is quoted: a regression that large is
/// caught four times out of five.
pub const POWER: f64 = 0.8;

/// The standard normal distribution function Φ(x).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for 0 < p < 1, by bisection on [`normal_cdf`] (exact to ~1e-12, and only
/// called a few times per comparison).
pub fn normal_quantile(p: f64) -> f64 {
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let (mut low, mut high) = (-40.0f64, 40.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if normal_cdf(mid) < p {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// One-sided p-value of `excess` (observed worsening beyond the margin) given its
/// standard error: small when the excess is many errors above zero.
pub fn p_value(excess: f64, standard_error: f64) -> f64 {
    if standard_error > 0.0 && standard_error.is_finite() {
        1.0 - normal_cdf(excess / standard_error)
    } else if excess > 0.0 {
        0.0
    } else {
        1.0
    }
}

/// How many standard errors beyond the margin a worsening must lie to be caught with
/// [`POWER`] at per-figure level `level`.
pub fn detection_multiplier(level: f64) -> f64 {
    normal_quantile(1.0 - level) + normal_quantile(POWER)
}

/// Mean and standard deviation of `draws` (n − 1 in the denominator).
pub fn mean_and_sd(draws: &[f64]) -> (f64, f64) {
    let n = draws.len();
    if n < 2 {
        return (draws.first().copied().unwrap_or(0.0), 0.0);
    }
    let mean = draws.iter().sum::<f64>() / n as f64;
    let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_the_tables() {
        for (p, z) in [
            (0.5, 0.0),
            (0.8, 0.841_621),
            (0.95, 1.644_854),
            (0.975, 1.959_964),
        ] {
            assert!((normal_quantile(p) - z).abs() < 1e-5, "{p}");
        }
        assert!((normal_quantile(1.0 - 0.05 / 52.0) - 3.101_862).abs() < 1e-5);
        assert!((normal_cdf(1.644_854) - 0.95).abs() < 1e-6);
    }

    #[test]
    fn holm_scales_by_rank_and_keeps_order() {
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        // Sorted: 0.005×4 = 0.02, 0.01×3 = 0.03, 0.03×2 = 0.06, 0.04×1 → max(0.06, 0.04).
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{adjusted:?}");
        }
        assert_eq!(holm(&[0.9, 0.8]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn p_values_fall_as_the_excess_grows_and_handle_zero_error() {
        assert!((p_value(0.0, 1.0) - 0.5).abs() < 1e-12);
        assert!(p_value(3.0, 1.0) < 0.002);
        assert!(p_value(-3.0, 1.0) > 0.998);
        assert_eq!(p_value(1.0, 0.0), 0.0);
        assert_eq!(p_value(0.0, 0.0), 1.0);
    }
}
