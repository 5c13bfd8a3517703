//! Resampling a run's recorded distributions, so a comparison can say how sure it is
//! that a difference is real rather than noise: the histogram is treated as the
//! empirical distribution and redrawn many times (a multinomial draw over its buckets).

use crate::metrics::LatencyHistogram;
use rand::rngs::StdRng;
use rand_distr::{Binomial, Distribution, Poisson};

/// A histogram reduced to (value, count) pairs, ready to resample quickly.
pub struct Buckets {
    values: Vec<(u64, u64)>,
    total: u64,
}

impl Buckets {
    /// The distinct recorded values of `histogram` with their counts.
    pub fn of(histogram: &LatencyHistogram) -> Self {
        let values: Vec<(u64, u64)> = histogram
            .inner()
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        let total = values.iter().map(|(_, c)| c).sum();
        Buckets { values, total }
    }

    /// Samples in the histogram.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The `p`th percentile of one bootstrap resample (same size as the original).
    pub fn resampled_percentile(&self, p: f64, rng: &mut StdRng) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let mut remaining_n = self.total;
        let mut remaining_weight = self.total;
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut cumulative = 0u64;
        for (value, count) in &self.values {
            let drawn = if remaining_weight == *count || remaining_n == 0 {
                remaining_n
            } else {
                let probability = *count as f64 / remaining_weight as f64;
                Binomial::new(remaining_n, probability.clamp(0.0, 1.0))
                    .map(|b| b.sample(rng))
                    .unwrap_or(0)
            };
            remaining_n -= drawn;
            remaining_weight -= count;
            cumulative += drawn;
            if cumulative >= rank {
                return *value as f64;
            }
        }
        self.values.last().map(|(v, _)| *v as f64).unwrap_or(0.0)
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
}
