//! Judging budgets against a run's measurements: the whole run, each stage, and the
//! capacity (the highest load that met every budget applying to its stage, the lowest
//! that broke one).
//!
//! Latency budgets judge successful attempts only; failed attempts are the error
//! rate's business. A scope with no successful attempt cannot be judged, so its latency
//! budget fails and says why.

use super::budgets::Budget;
use super::rule::{Measure, Rule, Scope, SeriesStat};
use super::server::ServerWindow;
use super::verdict::{Capacity, Judgement, RateRange, StageRef, StageVerdicts, Unit, Verdict};
use crate::metrics::snapshot::merge_scope;
use crate::metrics::{RunMetrics, StageMetrics, StepMetrics};
use std::collections::BTreeMap;

/// The measurements one judgement looks at: the whole run or one stage.
struct Window<'a> {
    steps: &'a BTreeMap<String, StepMetrics>,
    /// The run's steps, to tell "never ran" from "ran, but not in this stage".
    run_steps: &'a BTreeMap<String, StepMetrics>,
    seconds: f64,
    peak_ws: u64,
    stage: Option<&'a StageMetrics>,
    /// The window did not run to its end (the run was interrupted).
    partial: bool,
    /// The monitored server series over the same window.
    server: ServerWindow<'a>,
}

/// Judges every budget over the run. Runs of several stages are also judged stage by
/// stage, each stage against the budgets that apply to it, which gives the capacity.
/// `interrupted` says the run stopped before its plan ended.
pub fn judge(budgets: &[Budget], metrics: &RunMetrics, interrupted: bool) -> Judgement {
    let whole = Window {
        steps: &metrics.steps,
        run_steps: &metrics.steps,
        seconds: metrics.duration_secs,
        peak_ws: metrics.peak_ws_connections,
        stage: None,
        partial: interrupted,
        server: ServerWindow {
            server: metrics.server.as_ref(),
            span: (0.0, f64::INFINITY),
            holds: holding_spans(metrics),
            stage: None,
        },
    };
    let mut verdicts: Vec<Verdict> = budgets
        .iter()
        .map(|b| match b.stage {
            None => verdict(b, &whole),
            Some(index) => match metrics.stages.get(index) {
                Some(stage) if stage.ran_secs > 0.0 => {
                    verdict(b, &stage_window(metrics, stage, interrupted))
                }
                Some(stage) => unjudged(b, index, not_reached(stage, interrupted)),
                None => unjudged(b, index, "the plan has no such stage".into()),
            },
        })
        .collect();
    verdicts.extend(super::delivered::load_delivered(metrics));
    let mut stages = Vec::new();
    if metrics.stages.len() > 1 && !budgets.is_empty() {
        for stage in metrics.stages.iter().filter(|s| s.ran_secs > 0.0) {
            stages.push(judge_stage(budgets, metrics, stage, interrupted));
        }
    }
    let capacity = (!stages.is_empty()).then(|| capacity(metrics, &stages, &verdicts));
    Judgement {
        verdicts,
        stages,
        capacity,
    }
}

/// The scopes whose latency the recorder follows second by second: one per latency
/// budget's scope, so each budget line on a chart is drawn against exactly what it
/// judges; HTTP steps and WebSocket measures apart when there is no latency budget.
pub fn series_scopes(budgets: &[Budget]) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = Vec::new();
    for budget in budgets
        .iter()
        .filter(|b| b.rule.measure.unit() == Unit::Micros)
    {
        if !scopes.contains(&budget.rule.scope) {
            scopes.push(budget.rule.scope.clone());
        }
    }
    if scopes.is_empty() {
        scopes = vec![Scope::Http, Scope::Ws];
    }
    scopes
}

/// The stages that hold the load (the same users, or the same arrival rate, at their
/// start and end, above zero), as they ran: a whole-run growth is fitted to these.
pub fn holding_spans(metrics: &RunMetrics) -> Vec<(f64, f64)> {
    metrics
        .stages
        .iter()
        .filter(|s| s.ran_secs > 0.0)
        .filter(|s| match &s.arrivals {
            Some(a) => a.start_rate == a.end_rate && a.end_rate > 0.0,
            None => s.start_users == s.users && s.users > 0,
        })
        .map(|s| (s.start_secs, s.start_secs + s.ran_secs))
        .collect()
}

/// Why a stage-pinned budget has no figure: its stage never started.
fn not_reached(stage: &StageMetrics, interrupted: bool) -> String {
    let name = stage_label(stage);
    if interrupted {
        format!("the run was interrupted before {name}")
    } else {
        format!("the run ended before {name}")
    }
}

fn stage_label(stage: &StageMetrics) -> String {
    match &stage.name {
        Some(name) => format!("stage {} `{name}`", stage.index + 1),
        None => format!("stage {}", stage.index + 1),
    }
}

fn stage_window<'a>(
    metrics: &'a RunMetrics,
    stage: &'a StageMetrics,
    interrupted: bool,
) -> Window<'a> {
    let (start, end) = (stage.start_secs, stage.start_secs + stage.ran_secs);
    let peak_ws = metrics
        .series
        .iter()
        .filter(|s| (s.second as f64) >= start.floor() && (s.second as f64) < end.ceil())
        .map(|s| s.ws_open)
        .max()
        .unwrap_or(0);
    Window {
        steps: &stage.steps,
        run_steps: &metrics.steps,
        seconds: stage.ran_secs,
        peak_ws,
        stage: Some(stage),
        partial: interrupted && stage.ran_secs < stage.duration_secs,
        server: ServerWindow {
            server: metrics.server.as_ref(),
            span: (start, end),
            holds: Vec::new(),
            stage: Some(stage_label(stage)),
        },
    }
}

/// The budgets that apply to `stage`, judged on it: every rule pinned to it, and every
/// run-wide upper bound whose scope had attempts in the stage (or all of them when no
/// attempt at all completed in the stage: a stalled stage is not a healthy one).
fn judge_stage(
    budgets: &[Budget],
    metrics: &RunMetrics,
    stage: &StageMetrics,
    interrupted: bool,
) -> StageVerdicts {
    let window = stage_window(metrics, stage, interrupted);
    let stalled = stage.steps.values().all(|s| s.count == 0);
    let verdicts: Vec<Verdict> = budgets
        .iter()
        .filter(|b| match b.stage {
            Some(index) => index == stage.index,
            // A growth is judged over the stages that hold the load, never stage by
            // stage: a ramp grows memory on its way up.
            None if matches!(
                b.rule.measure,
                Measure::Server {
                    stat: SeriesStat::Growth,
                    ..
                }
            ) =>
            {
                false
            }
            None => {
                b.rule.comparison.is_upper_bound()
                    && (stalled
                        || b.rule.measure.is_server()
                        || b.rule.measure == Measure::WsConnections
                        || merge_scope(&stage.steps, &b.rule.scope).is_some())
            }
        })
        .map(|b| verdict(b, &window))
        .collect();
    let completed: u64 = stage.steps.values().map(|s| s.count).sum();
    StageVerdicts {
        stage: stage.index,
        name: stage.name.clone(),
        start_users: stage.start_users,
        users: stage.users,
        rates: stage.arrivals.as_ref().map(|a| RateRange {
            start: a.start_rate,
            end: a.end_rate,
        }),
        requests_per_sec: completed as f64 / stage.ran_secs.max(1e-9),
        passed: verdicts.iter().all(|v| v.passed),
        verdicts,
        complete: !window.partial,
    }
}

/// The highest load among complete stages that met every budget applying to them, and
/// the lowest load among those that broke one. Both claims are conservative: a stage
/// held the load it kept throughout (the lower of its start and end users) and broke at
/// no more than the most it reached (the higher). In the open model the load is the
/// target arrival rate, by the same rule.
fn capacity(metrics: &RunMetrics, stages: &[StageVerdicts], verdicts: &[Verdict]) -> Capacity {
    let kept = |s: &StageVerdicts| match s.rates {
        Some(r) => r.start.min(r.end),
        None => s.users.min(s.start_users) as f64,
    };
    let reached = |s: &StageVerdicts| match s.rates {
        Some(r) => r.start.max(r.end),
        None => s.users.max(s.start_users) as f64,
    };
    let reference = |s: &StageVerdicts, load: f64| StageRef {
        stage: s.stage,
        name: s.name.clone(),
        users: if s.rates.is_some() {
            s.users
        } else {
            load as usize
        },
        rate: s.rates.map(|_| load),
        requests_per_sec: s.requests_per_sec,
    };
    let duration = |s: &StageVerdicts| {
        metrics
            .stages
            .get(s.stage)
            .map(|m| m.duration_secs)
            .unwrap_or(0.0)
    };
    let complete = || stages.iter().filter(|s| s.complete);
    let mut held: Option<&StageVerdicts> = None;
    for stage in complete().filter(|s| s.passed && kept(s) > 0.0) {
        let better =
            held.is_none_or(|best| (kept(stage), duration(stage)) > (kept(best), duration(best)));
        if better {
            held = Some(stage);
        }
    }
    let mut broke: Option<&StageVerdicts> = None;
    for stage in complete().filter(|s| !s.passed) {
        if broke.is_none_or(|worst| reached(stage) < reached(worst)) {
            broke = Some(stage);
        }
    }
    let broken_in_stages: Vec<&str> = stages
        .iter()
        .flat_map(|s| s.verdicts.iter())
        .filter(|v| !v.passed)
        .map(|v| v.rule.as_str())
        .collect();
    let run_wide_broken = verdicts
        .iter()
        .filter(|v| v.stage.is_none() && !v.passed)
        .filter(|v| !broken_in_stages.contains(&v.rule.as_str()))
        .map(|v| v.rule.clone())
        .collect();
    let mut not_judged: Vec<usize> = stages
        .iter()
        .filter(|s| !s.complete)
        .map(|s| s.stage)
        .collect();
    not_judged.extend(
        metrics
            .stages
            .iter()
            .filter(|s| s.ran_secs <= 0.0 && s.duration_secs > 0.0)
            .map(|s| s.index),
    );
    not_judged.sort_unstable();
    Capacity {
        held: held.map(|s| reference(s, kept(s))),
        broke: broke.map(|s| reference(s, reached(s))),
        broken_rules: broke
            .map(|s| {
                s.verdicts
                    .iter()
                    .filter(|v| !v.passed)
                    .map(|v| v.rule.clone())
                    .collect()
            })
            .unwrap_or_default(),
        run_wide_broken,
        not_judged,
    }
}

fn unjudged(budget: &Budget, stage: usize, reason: String) -> Verdict {
    base(budget, Some(stage), Vec::new(), Err(reason), false)
}

fn base(
    budget: &Budget,
    stage: Option<usize>,
    steps: Vec<String>,
    measured: Result<f64, String>,
    partial: bool,
) -> Verdict {
    let rule: &Rule = &budget.rule;
    let (measured, passed, reason) = match measured {
        Ok(value) => (Some(value), rule.comparison.holds(value, rule.limit), None),
        Err(reason) => (None, false, Some(reason)),
    };
    Verdict {
        rule: budget.text.clone(),
        source: budget.source.clone(),
        measure: rule.measure.to_string(),
        comparison: rule.comparison.symbol().to_string(),
        limit: rule.limit,
        measured,
        unit: rule.measure.unit(),
        steps,
        scope: match &rule.measure {
            Measure::WsConnections => "open WebSockets".to_string(),
            Measure::Server { series, .. } => format!("server series {series}"),
            _ => rule.scope.label(),
        },
        stage,
        passed,
        reason,
        partial,
    }
}

fn verdict(budget: &Budget, window: &Window) -> Verdict {
    let rule = &budget.rule;
    let steps: Vec<String> = match rule.measure {
        Measure::WsConnections | Measure::Server { .. } => Vec::new(),
        _ => window
            .steps
            .iter()
            .filter(|(name, step)| rule.scope.matches(name, step.kind))
            .map(|(name, _)| name.clone())
            .collect(),
    };
    base(
        budget,
        window.stage.map(|s| s.index),
        steps,
        measure(rule, window),
        window.partial,
    )
}

/// The measured value, or why there is none.
fn measure(rule: &Rule, window: &Window) -> Result<f64, String> {
    if rule.measure == Measure::WsConnections {
        return Ok(window.peak_ws as f64);
    }
    if let Measure::Server { series, stat, .. } = &rule.measure {
        return super::server::figure(series, *stat, &window.server);
    }
    let Some(merged) = merge_scope(window.steps, &rule.scope).filter(|m| m.count > 0) else {
        return Err(no_samples(rule, window));
    };
    let timed = merged.latency.count() > 0;
    match &rule.measure {
        Measure::Percentile(p) if timed => Ok(merged.latency.percentile(*p) as f64),
        Measure::Mean if timed => Ok(merged.latency.mean()),
        Measure::Max if timed => Ok(merged.latency.max() as f64),
        Measure::Percentile(_) | Measure::Mean | Measure::Max => Err(format!(
            "none of the {} attempts succeeded, and latency is judged on successes only",
            merged.count
        )),
        Measure::ErrorRate => Ok(merged.error_rate()),
        Measure::Throughput if window.seconds > 0.0 => {
            Ok(merged.successes() as f64 / window.seconds)
        }
        Measure::Throughput => Err("the window lasted no time".into()),
        Measure::WsConnections => Ok(window.peak_ws as f64),
        Measure::Server { series, stat, .. } => {
            super::server::figure(series, *stat, &window.server)
        }
    }
}

/// Why a scope has no attempt in the window: it never ran at all, or it ran elsewhere
/// in the run (another stage, or only before an interruption).
fn no_samples(rule: &Rule, window: &Window) -> String {
    let ran_in_run = merge_scope(window.run_steps, &rule.scope)
        .map(|m| m.count)
        .unwrap_or(0);
    let what = match &rule.scope {
        Scope::Steps(names) => names.join(", "),
        other => format!("no step in scope ({})", other.label()),
    };
    match window.stage {
        Some(stage) if ran_in_run > 0 => format!(
            "no samples in {}: {what} ran {ran_in_run} times in the run, but not in this stage",
            stage_label(stage)
        ),
        _ if window.partial => {
            format!("no samples: {what} did not run before the run was interrupted")
        }
        _ => match &rule.scope {
            Scope::Steps(_) => format!("no samples: {what} never ran"),
            _ => format!("no samples: {what} ran"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::failure::{Failure, FailureKind};
    use crate::metrics::{Recorder, Sample, StagePlan, StepKind};
    use crate::slo::rule::parse_rule;
    use std::time::Duration;

    fn budget(text: &str, stage: Option<usize>) -> Budget {
        Budget {
            text: text.to_string(),
            rule: parse_rule(text).unwrap(),
            source: None,
            stage,
        }
    }

    fn ok(ms: u64) -> Sample {
        Sample {
            latency: Some(Duration::from_millis(ms)),
            failure: None,
            frames: 0,
            service: None,
        }
    }

    fn failed(ms: u64) -> Sample {
        Sample {
            latency: Some(Duration::from_millis(ms)),
            failure: Some(Failure::new(FailureKind::Status(500), "boom")),
            frames: 0,
            service: None,
        }
    }

    fn metrics_of(samples: &[(&str, Sample)]) -> RunMetrics {
        let recorder = Recorder::new(&[], &[]);
        for (step, sample) in samples {
            recorder.record(step, StepKind::Http, sample.clone());
        }
        recorder.snapshot()
    }

    #[test]
    fn latency_budgets_judge_successes_only() {
        let mut samples: Vec<(&str, Sample)> = (0..81).map(|_| ("fast-fail", failed(0))).collect();
        samples.push(("slow", ok(900)));
        samples.extend((0..99).map(|_| ("slow", failed(1))));
        let metrics = metrics_of(&samples);
        let budgets = [
            budget("p95 < 500ms for fast-fail", None),
            budget("p95 < 500ms for slow", None),
            budget("mean < 500ms for fast-fail", None),
            budget("max < 500ms for fast-fail", None),
        ];
        let judgement = judge(&budgets, &metrics, false);
        let all_failed = &judgement.verdicts[0];
        assert!(!all_failed.passed, "{all_failed:?}");
        assert_eq!(all_failed.measured, None);
        assert!(
            all_failed
                .reason
                .as_deref()
                .unwrap()
                .contains("none of the 81 attempts succeeded"),
            "{all_failed:?}"
        );
        let slow = &judgement.verdicts[1];
        assert!(!slow.passed, "the one success took 900ms: {slow:?}");
        assert!((slow.measured.unwrap() - 900_000.0).abs() < 1_000.0);
        assert!(!judgement.verdicts[2].passed && !judgement.verdicts[3].passed);
    }

    fn staged(users: &[usize]) -> Recorder {
        let plans: Vec<StagePlan> = users
            .iter()
            .enumerate()
            .map(|(i, u)| StagePlan {
                name: Some(format!("s{}", i + 1)),
                users: *u,
                duration: Duration::from_secs(10),
                rate: None,
            })
            .collect();
        Recorder::new(&plans, &[])
    }

    /// A run whose stages carried these loads and these p95s (one step, `http`).
    fn run_with(users: &[usize], stage_ms: &[u64]) -> RunMetrics {
        filled(staged(users), stage_ms)
    }

    /// An open-model run: stages at these target rates (all with 50 users) and p95s.
    fn open_run_with(rates: &[f64], stage_ms: &[u64]) -> RunMetrics {
        let plans: Vec<StagePlan> = rates
            .iter()
            .enumerate()
            .map(|(i, rate)| StagePlan {
                name: Some(format!("s{}", i + 1)),
                users: 50,
                duration: Duration::from_secs(10),
                rate: Some(*rate),
            })
            .collect();
        filled(Recorder::new(&plans, &[]), stage_ms)
    }

    /// The recorder's stages, each run to its end with 100 `get` samples at its p95.
    fn filled(recorder: Recorder, stage_ms: &[u64]) -> RunMetrics {
        let mut metrics = recorder.snapshot();
        for (stage, ms) in metrics.stages.iter_mut().zip(stage_ms) {
            let mut step = StepMetrics::new(StepKind::Http);
            for _ in 0..100 {
                step.count += 1;
                step.latency.record(ms * 1_000);
            }
            stage.steps.insert("get".into(), step.clone());
            stage.ran_secs = stage.duration_secs;
            match metrics.steps.get_mut("get") {
                Some(all) => all.merge(&step),
                None => {
                    metrics.steps.insert("get".into(), step);
                }
            }
        }
        metrics.duration_secs = metrics.stages.iter().map(|s| s.ran_secs).sum();
        metrics
    }

    #[test]
    fn open_model_capacity_is_a_rate() {
        // 0 → 100/s, hold 100/s, 100 → 300/s (breaks), hold 300/s (breaks).
        let metrics = open_run_with(&[100.0, 100.0, 300.0, 300.0], &[5, 5, 250, 250]);
        let judgement = judge(&[budget("p95 < 200ms", None)], &metrics, false);
        let capacity = judgement.capacity.unwrap();
        let held = capacity.held.unwrap();
        assert_eq!(
            (held.rate, held.stage),
            (Some(100.0), 1),
            "the ramp from 0 held 0/s"
        );
        let broke = capacity.broke.unwrap();
        assert_eq!((broke.rate, broke.stage), (Some(300.0), 2));
        assert_eq!(
            broke.users, 50,
            "users stay the users that carried the rate"
        );
    }

    #[test]
    fn capacity_is_the_highest_load_that_held_not_the_last_stage() {
        // Spike: 20 → 200 → 20 → 0; every stage healthy.
        let metrics = run_with(&[20, 20, 200, 200, 20, 20, 0], &[5; 7]);
        let judgement = judge(&[budget("p95 < 200ms", None)], &metrics, false);
        let capacity = judgement.capacity.unwrap();
        let held = capacity.held.unwrap();
        assert_eq!((held.users, held.name.as_deref()), (200, Some("s4")));
        assert!(capacity.broke.is_none());
    }

    #[test]
    fn pinned_lower_bounds_break_their_stage() {
        let metrics = run_with(&[100, 100, 200, 200, 0], &[5; 5]);
        let budgets = [
            budget("p95 < 200ms", None),
            budget("throughput >= 5000/s for http in stage 4", Some(3)),
        ];
        let judgement = judge(&budgets, &metrics, false);
        assert!(!judgement.passed());
        let capacity = judgement.capacity.unwrap();
        let held = capacity.held.unwrap();
        assert_eq!((held.users, held.stage), (100, 1));
        let broke = capacity.broke.unwrap();
        assert_eq!((broke.users, broke.stage), (200, 3));
        assert_eq!(
            capacity.broken_rules,
            vec!["throughput >= 5000/s for http in stage 4".to_string()]
        );
        assert!(capacity.run_wide_broken.is_empty());
    }

    #[test]
    fn run_wide_failures_are_carried_by_the_capacity() {
        let metrics = run_with(&[100, 200], &[5, 5]);
        let budgets = [
            budget("p95 < 200ms", None),
            budget("throughput >= 5000/s", None),
        ];
        let judgement = judge(&budgets, &metrics, false);
        let capacity = judgement.capacity.unwrap();
        assert_eq!(
            capacity.held.unwrap().users,
            100,
            "kept from 100 to 200 users"
        );
        assert_eq!(
            capacity.run_wide_broken,
            vec!["throughput >= 5000/s".to_string()]
        );
    }

    #[test]
    fn lowest_breaking_load_is_named_with_its_rules() {
        let metrics = run_with(&[100, 200, 400, 800, 0], &[5, 5, 300, 900, 5]);
        let judgement = judge(&[budget("p95 < 200ms", None)], &metrics, false);
        let capacity = judgement.capacity.unwrap();
        let (held, broke) = (capacity.held.unwrap(), capacity.broke.unwrap());
        assert_eq!((held.users, held.stage), (100, 1), "200→0 held 0, not 200");
        assert_eq!((broke.users, broke.stage), (400, 2));
        assert_eq!(capacity.broken_rules, vec!["p95 < 200ms".to_string()]);
    }

    #[test]
    fn interrupted_runs_say_what_they_could_not_judge() {
        let mut metrics = run_with(&[100, 100, 100, 400], &[5, 5, 5]);
        metrics.stages[2].ran_secs = 4.0;
        metrics.duration_secs = 24.0;
        let budgets = [
            budget("p95 < 200ms", None),
            budget("p95 < 200ms for get in stage 4", Some(3)),
            budget("throughput >= 1/s for get in stage 3", Some(2)),
        ];
        let judgement = judge(&budgets, &metrics, true);
        let [whole, stage3, stage2] = &judgement.verdicts[..] else {
            panic!()
        };
        assert!(whole.partial && whole.passed);
        assert!(!stage3.passed);
        assert_eq!(
            stage3.reason.as_deref(),
            Some("the run was interrupted before stage 4 `s4`")
        );
        assert!(stage2.partial, "{stage2:?}");
        assert!(
            (stage2.measured.unwrap() - 25.0).abs() < 1e-9,
            "100 attempts over the 4 s that ran, not the 10 planned: {stage2:?}"
        );
        let capacity = judgement.capacity.unwrap();
        let held = capacity.held.unwrap();
        assert_eq!((held.users, held.stage), (100, 1));
        assert_eq!(capacity.not_judged, vec![2, 3]);
    }

    #[test]
    fn a_step_that_ran_elsewhere_is_not_called_never_ran() {
        let mut metrics = run_with(&[100, 100], &[5, 5]);
        metrics.stages[1].steps.clear();
        let judgement = judge(
            &[budget("p95 < 200ms for get in stage 2", Some(1))],
            &metrics,
            false,
        );
        let reason = judgement.verdicts[0].reason.clone().unwrap();
        assert!(
            reason.contains("ran 200 times in the run, but not in this stage"),
            "{reason}"
        );
        assert!(!reason.contains("never ran"));
    }
}
