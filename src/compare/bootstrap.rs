//! Resampling a run's recorded distributions, so a comparison can say how sure it is
//! that a difference is real rather than noise: the histogram is treated as the
//! empirical distribution and redrawn many times.

use crate::metrics::LatencyHistogram;
use rand::rngs::StdRng;
use rand_distr::{Beta, Binomial, Distribution, Poisson};

/// A histogram reduced to its distinct values and their cumulative counts, ready to
/// resample quickly.
pub struct Buckets {
    values: Vec<u64>,
    cumulative: Vec<u64>,
    total: u64,
}

impl Buckets {
    /// The distinct recorded values of `histogram`, ascending, with cumulative counts.
    pub fn of(histogram: &LatencyHistogram) -> Self {
        let mut values = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for v in histogram.inner().iter_recorded() {
            total += v.count_at_value();
            values.push(v.value_iterated_to());
            cumulative.push(total);
        }
        Buckets {
            values,
            cumulative,
            total,
        }
    }

    /// Samples in the histogram.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The `p`th percentile of one bootstrap resample (same size as the original).
    ///
    /// A resample's k-th smallest value is F⁻¹(U₍ₖ₎), where F is the recorded
    /// distribution and U₍ₖ₎ the k-th smallest of n uniforms, which is Beta(k, n − k + 1).
    /// One Beta draw and a binary search give exactly what redrawing all n samples
    /// would, in O(log buckets) instead of O(n).
    pub fn resampled_percentile(&self, p: f64, rng: &mut StdRng) -> f64 {
        let Some(&largest) = self.values.last() else {
            return 0.0;
        };
        let n = self.total as f64;
        let rank = ((p / 100.0) * n).ceil().clamp(1.0, n);
        let u = Beta::new(rank, n - rank + 1.0)
            .map(|b| b.sample(rng))
            .unwrap_or(rank / n);
        let target = u * n;
        let i = self.cumulative.partition_point(|&c| (c as f64) < target);
        self.values.get(i).copied().unwrap_or(largest) as f64
    }
}

/// A resampled error rate: errors redrawn as Binomial(count, observed rate).
pub fn resampled_error_rate(count: u64, errors: u64, rng: &mut StdRng) -> f64 {
    if count == 0 {
        return 0.0;
    }
    let rate = errors as f64 / count as f64;
    Binomial::new(count, rate)
        .map(|b| b.sample(rng) as f64 / count as f64)
        .unwrap_or(rate)
}

/// A resampled rate: completions redrawn as Poisson(observed) over the same time.
pub fn resampled_rate(successes: u64, seconds: f64, rng: &mut StdRng) -> f64 {
    if successes == 0 || seconds <= 0.0 {
        return 0.0;
    }
    let drawn = Poisson::new(successes as f64)
        .map(|p| p.sample(rng))
        .unwrap_or(successes as f64);
    drawn / seconds
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn resampled_percentiles_centre_on_the_observed_one() {
        let mut h = LatencyHistogram::default();
        for v in 1..=10_000u64 {
            h.record(v);
        }
        let buckets = Buckets::of(&h);
        let mut rng = StdRng::seed_from_u64(1);
        let draws: Vec<f64> = (0..200)
            .map(|_| buckets.resampled_percentile(95.0, &mut rng))
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!(
            (mean - 9_500.0).abs() < 100.0,
            "mean of resampled p95 {mean}"
        );
        assert!(draws.iter().any(|d| *d != draws[0]), "resamples vary");
    }

    #[test]
    fn the_order_statistic_shortcut_matches_redrawing_every_sample() {
        use rand::Rng;
        let mut h = LatencyHistogram::default();
        let mut rng = StdRng::seed_from_u64(7);
        let samples: Vec<u64> = (0..300).map(|_| rng.random_range(1_000..5_000)).collect();
        for s in &samples {
            h.record(*s);
        }
        let buckets = Buckets::of(&h);
        let rank = (0.95f64 * 300.0).ceil() as usize;
        let rounds = 3000;
        let fast: Vec<f64> = (0..rounds)
            .map(|_| buckets.resampled_percentile(95.0, &mut rng))
            .collect();
        let slow: Vec<f64> = (0..rounds)
            .map(|_| {
                let mut draw: Vec<u64> = (0..samples.len())
                    .map(|_| samples[rng.random_range(0..samples.len())])
                    .collect();
                draw.sort_unstable();
                // Same quantisation as the histogram's buckets.
                h.inner().highest_equivalent(draw[rank - 1]) as f64
            })
            .collect();
        let (fast_mean, fast_sd) = crate::compare::stats::mean_and_sd(&fast);
        let (slow_mean, slow_sd) = crate::compare::stats::mean_and_sd(&slow);
        assert!(
            (fast_mean - slow_mean).abs() < 0.1 * slow_sd + 5.0,
            "means {fast_mean} vs {slow_mean}"
        );
        assert!(
            (fast_sd / slow_sd - 1.0).abs() < 0.15,
            "sds {fast_sd} vs {slow_sd}"
        );
    }
}
