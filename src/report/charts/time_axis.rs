//! The time axis of the over-time charts, ticked at round intervals (10 s, 1 min, 5 min,
//! 1 h …) rather than plotters' decimal steps, which give ticks like 8:20 and 16:40.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

/// Tick spacings to choose from, in seconds.
const STEPS: [f64; 19] = [
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1_800.0, 3_600.0, 7_200.0,
    10_800.0, 21_600.0, 43_200.0, 86_400.0, 172_800.0,
];

/// Seconds from 0 to `end`, with ticks at the roundest spacing giving at most `max`.
#[derive(Debug, Clone)]
pub(crate) struct TimeAxis {
    end: f64,
}

impl TimeAxis {
    /// An axis from 0 to `end` seconds (at least 1).
    pub fn new(end: f64) -> Self {
        let end = if end.is_finite() { end.max(1.0) } else { 1.0 };
        TimeAxis { end }
    }

    /// Tick positions: multiples of the smallest step that yields at most `max` ticks.
    fn ticks(&self, max: usize) -> Vec<f64> {
        let max = max.max(2) as f64;
        let step = STEPS
            .iter()
            .copied()
            .find(|step| (self.end / step).floor() + 1.0 <= max)
            .unwrap_or_else(|| (self.end / (max - 1.0)).ceil());
        let count = (self.end / step).floor() as usize;
        (0..=count).map(|i| i as f64 * step).collect()
    }
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = (value / self.end).clamp(-1.0, 2.0);
        limit.0 + (f64::from(limit.1 - limit.0) * share).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks(hint.max_num_points())
        }
    }

    fn range(&self) -> Range<f64> {
        0.0..self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_round_times() {
        assert_eq!(
            TimeAxis::new(30.0).ticks(12),
            vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]
        );
        let hour = TimeAxis::new(3_600.0).ticks(12);
        assert_eq!(hour[1], 600.0);
        assert_eq!(TimeAxis::new(1.0).ticks(12), vec![0.0, 1.0]);
        assert!(TimeAxis::new(f64::NAN).ticks(12).len() >= 2);
    }
}
