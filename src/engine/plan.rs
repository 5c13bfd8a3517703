//! The run's load profile after `--time-scale`, in the whole seconds Goose's test plan
//! counts in. The recorder's stage clock uses these same durations, so per-stage
//! measurements line up with the users Goose actually ran.

use crate::scenario::Scenario;
use std::time::Duration;

/// One stage as it will run.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStage {
    /// The stage's name, if it has one.
    pub name: Option<String>,
    /// Users at the end of the stage.
    pub users: usize,
    /// Length after scaling and rounding to whole seconds.
    pub duration: Duration,
    /// Open model: iterations per second at the end of the stage (never scaled).
    pub rate: Option<f64>,
}

/// Scales each stage's duration by `scale` and rounds to whole seconds; a stage that
/// lasted any time at all keeps at least one second, so no ramp silently disappears.
pub fn plan_stages(scenario: &Scenario, scale: f64) -> Vec<PlannedStage> {
    scenario
        .load
        .stages
        .iter()
        .map(|stage| {
            let scaled = stage.over.as_secs_f64() * scale;
            let seconds = if stage.over.is_zero() {
                0.0
            } else {
                scaled.round().max(1.0)
            };
            PlannedStage {
                name: stage.name.clone(),
                users: stage.users,
                duration: Duration::from_secs(seconds as u64),
                rate: stage.rate,
            }
        })
        .collect()
}

/// Goose's test-plan string (`users,secs;…`). Goose keeps users running forever when the
/// last step has any, so a plan that does not end at 0 users gets a final `0,0s`: the
/// users stop as soon as the last stage ends (Goose's own `--run-time` does the same).
pub fn goose_test_plan(stages: &[PlannedStage]) -> String {
    if stages.iter().any(|s| s.rate.is_some()) {
        return open_test_plan(stages);
    }
    let mut steps: Vec<String> = stages
        .iter()
        .map(|s| format!("{},{}s", s.users, s.duration.as_secs()))
        .collect();
    if stages.last().is_some_and(|s| s.users > 0) {
        steps.push("0,0s".to_string());
    }
    steps.join(";")
}

/// Users Goose launches per second in the open model: their setup (a login, say) must
/// not arrive as one burst.
const OPEN_LAUNCH_PER_SEC: usize = 100;

/// The open model's Goose plan: the users (`max_users`, in each stage's `users`) are
/// launched at [`OPEN_LAUNCH_PER_SEC`] and kept for the whole plan, with room for their
/// setup (the arrival clock starts once every user is set up, and the engine ends
/// Goose's plan when the arrival plan is over). The clock, not Goose, sets the load.
fn open_test_plan(stages: &[PlannedStage]) -> String {
    let users = stages.iter().map(|s| s.users).max().unwrap_or(0);
    let secs: u64 = stages.iter().map(|s| s.duration.as_secs()).sum();
    let launch = users.div_ceil(OPEN_LAUNCH_PER_SEC) as u64;
    let room = super::stop::SETUP_BOUND.as_secs() + 10;
    format!("{users},{launch}s;{users},{}s;0,0s", secs + room)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;

    #[test]
    fn scales_and_rounds_to_whole_seconds() {
        let yaml = "name: t\nload:\n  stages:\n    - { users: 5, over: 10s }\n    - { users: 5, over: 60s }\n    - { users: 0, over: 4s }\nflows:\n  - name: f\n    steps:\n      - http: { path: / }\n";
        let scenario = parse_scenario("t.yaml".as_ref(), yaml, &|_| None).unwrap();
        let stages = plan_stages(&scenario, 0.1);
        let secs: Vec<u64> = stages.iter().map(|s| s.duration.as_secs()).collect();
        assert_eq!(secs, vec![1, 6, 1]);
        assert_eq!(goose_test_plan(&stages), "5,1s;5,6s;0,1s");
        let open: Vec<PlannedStage> = stages
            .iter()
            .map(|s| PlannedStage {
                users: 40,
                rate: Some(10.0),
                ..s.clone()
            })
            .collect();
        assert_eq!(goose_test_plan(&open), "40,1s;40,78s;0,0s");
        let held = &stages[..2];
        assert_eq!(
            goose_test_plan(held),
            "5,1s;5,6s;0,0s",
            "a plan must end, not hold forever"
        );
    }
}
