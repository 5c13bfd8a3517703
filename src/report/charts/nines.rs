//! The "nines" percentile axis of the distribution chart: p90, p99, p99.9 … are equally
//! spaced (x = −log10(1 − p)), so the tail gets as much room as the median.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

/// The rightmost percentile drawn: p99.999.
pub(crate) const MAX_NINES: f64 = 5.0;

/// An x axis from the minimum (0) to `end` nines, labelled at p50, p90, p95, p99, p99.9 …
#[derive(Debug, Clone)]
pub(crate) struct NinesAxis {
    end: f64,
    ticks: Vec<f64>,
}

impl NinesAxis {
    /// An axis reaching a little past `end` nines (at least 1, i.e. p90).
    pub fn new(end: f64) -> Self {
        let end = end.clamp(1.0, MAX_NINES) * 1.02;
        let mut ticks = vec![0.0, 2f64.log10(), 1.0, 20f64.log10()];
        let mut whole = 2.0;
        while whole <= end {
            ticks.push(whole);
            whole += 1.0;
        }
        ticks.retain(|t| *t <= end);
        NinesAxis { end, ticks }
    }
}

impl Ranged for NinesAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = (value / self.end).clamp(-1.0, 2.0);
        limit.0 + ((limit.1 - limit.0) as f64 * share).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        0.0..self.end
    }
}

/// How far right a curve of `count` samples goes: the percentile its samples can still
/// support (p90 for 10 samples, p99.9 for 1,000 …).
pub(crate) fn nines_end(count: u64) -> f64 {
    (count.max(1) as f64).log10().clamp(1.0, MAX_NINES)
}

/// Nines → percentile: 1 → 90, 2 → 99, 3 → 99.9.
pub(crate) fn percentile(nines: f64) -> f64 {
    100.0 * (1.0 - 10f64.powf(-nines))
}

/// `p50`, `p99.9`, `min`.
pub(crate) fn percentile_label(nines: f64) -> String {
    if nines <= 0.0 {
        return "min".to_string();
    }
    let p = format!("{:.3}", percentile(nines));
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("p{p}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_percentiles_on_the_nines_scale() {
        assert_eq!(percentile_label(0.0), "min");
        assert_eq!(percentile_label(2f64.log10()), "p50");
        assert_eq!(percentile_label(1.0), "p90");
        assert_eq!(percentile_label(20f64.log10()), "p95");
        assert_eq!(percentile_label(3.0), "p99.9");
    }

    #[test]
    fn curves_stop_where_the_samples_do() {
        assert_eq!(nines_end(1), 1.0);
        assert_eq!(nines_end(1_000), 3.0);
        assert_eq!(nines_end(u64::MAX), MAX_NINES);
    }

    #[test]
    fn axis_ticks_stay_inside() {
        let axis = NinesAxis::new(2.4);
        assert!(axis.ticks.iter().all(|t| *t <= axis.range().end));
        assert_eq!(axis.ticks.len(), 5, "min, p50, p90, p95, p99");
    }
}
