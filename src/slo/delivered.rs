//! The open model's built-in check, `load delivered`: a run whose generator could not
//! start the iterations it was asked for measured loadgate, not the target, so its gate
//! must not pass. It fails when more than [`MAX_DROPPED`] of the planned iterations were
//! dropped (no user was free in time, see `engine::arrivals`).

use super::verdict::{Unit, Verdict};
use crate::metrics::RunMetrics;

/// The rule's name, as every report shows it.
pub const RULE: &str = "load delivered";

/// The share of planned iterations that may be dropped: 0.1 %.
pub const MAX_DROPPED: f64 = 0.001;

/// The check for an open-model run; `None` for a closed-model run.
pub fn load_delivered(metrics: &RunMetrics) -> Option<Verdict> {
    let arrivals: Vec<_> = metrics
        .stages
        .iter()
        .filter_map(|s| s.arrivals.as_ref())
        .collect();
    if arrivals.is_empty() {
        return None;
    }
    let dropped: u64 = arrivals.iter().map(|a| a.dropped).sum();
    let asked: u64 = arrivals.iter().map(|a| a.started + a.dropped).sum();
    let share = dropped as f64 / asked.max(1) as f64;
    let passed = share <= MAX_DROPPED;
    Some(Verdict {
        rule: RULE.to_string(),
        source: Some("built in: the open model must start what it was asked to".to_string()),
        measure: "dropped".to_string(),
        comparison: "<=".to_string(),
        limit: MAX_DROPPED,
        measured: Some(share),
        unit: Unit::Fraction,
        steps: Vec::new(),
        scope: "every iteration that came due".to_string(),
        stage: None,
        passed,
        reason: (!passed).then(|| {
            format!(
                "{dropped} of {asked} iterations were dropped because no user was free in time: loadgate, not the target, set the pace; raise load.max_users, or lower the rate"
            )
        }),
        partial: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Recorder, StagePlan};
    use std::time::Duration;

    fn open_run(started: u64, dropped: u64) -> RunMetrics {
        let plan = StagePlan {
            name: None,
            users: 10,
            duration: Duration::from_secs(10),
            rate: Some(100.0),
        };
        let recorder = Recorder::new(&[plan], &[]);
        recorder.record_dropped(&[dropped]);
        let mut metrics = recorder.snapshot();
        metrics.stages[0].arrivals.as_mut().unwrap().started = started;
        metrics
    }

    #[test]
    fn passes_when_the_load_was_delivered_and_fails_when_it_was_not() {
        let delivered = load_delivered(&open_run(1000, 1)).unwrap();
        assert!(delivered.passed, "1 in 1001 dropped is within 0.1 %");
        let short = load_delivered(&open_run(900, 100)).unwrap();
        assert!(!short.passed);
        assert_eq!(short.measured, Some(0.1));
        assert!(short
            .reason
            .unwrap()
            .starts_with("100 of 1000 iterations were dropped"));
    }

    #[test]
    fn a_closed_model_run_has_no_such_check() {
        let recorder = Recorder::new(&[], &[]);
        assert!(load_delivered(&recorder.snapshot()).is_none());
    }
}
