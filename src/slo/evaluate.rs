//! Judging budgets against a run's measurements: the whole run, each stage, and the
//! capacity (last stage that met every health budget, first that broke one).

use super::budgets::Budget;
use super::rule::{Measure, Rule, Scope};
use super::verdict::{Capacity, Judgement, StageRef, StageVerdicts, Verdict};
use crate::metrics::snapshot::merge_where;
use crate::metrics::{RunMetrics, StepMetrics};
use std::collections::BTreeMap;

/// The measurements one judgement looks at: the whole run or one stage.
struct Window<'a> {
    steps: &'a BTreeMap<String, StepMetrics>,
    seconds: f64,
    peak_ws: u64,
    stage: Option<usize>,
}

/// Judges every budget over the run; multi-stage runs are also judged stage by stage
/// (upper-bound budgets only: they describe health) to find the capacity.
pub fn judge(
    budgets: &[Budget],
    metrics: &RunMetrics,
    stage_names: &[Option<String>],
) -> Judgement {
    let whole = Window {
        steps: &metrics.steps,
        seconds: metrics.duration_secs,
        peak_ws: metrics.peak_ws_connections,
        stage: None,
    };
    let verdicts = budgets
        .iter()
        .map(|b| match b.stage {
            None => verdict(b, &whole),
            Some(index) => match metrics.stages.get(index) {
                Some(_) => verdict(b, &stage_window(metrics, index)),
                None => unjudged(b, Some(index), "the run ended before this stage".into()),
            },
        })
        .collect();
    let health: Vec<&Budget> = budgets
        .iter()
        .filter(|b| b.stage.is_none() && b.rule.comparison.is_upper_bound())
        .collect();
    let mut stages = Vec::new();
    if metrics.stages.len() > 1 && !health.is_empty() {
        for stage in &metrics.stages {
            let window = stage_window(metrics, stage.index);
            let ran: u64 = stage.steps.values().map(|s| s.count).sum();
            if ran == 0 {
                continue;
            }
            let verdicts: Vec<Verdict> = health
                .iter()
                .filter(|b| {
                    !matches!(scope_steps(&b.rule.scope, window.steps), v if v.is_empty())
                        || matches!(b.rule.scope, Scope::All)
                })
                .map(|b| verdict(b, &window))
                .collect();
            stages.push(StageVerdicts {
                stage: stage.index,
                name: stage_names.get(stage.index).cloned().flatten(),
                users: stage.users,
                requests_per_sec: ran as f64 / stage.duration_secs.max(1e-9),
                passed: verdicts.iter().all(|v| v.passed),
                verdicts,
            });
        }
    }
    let capacity = (!stages.is_empty()).then(|| capacity(&stages));
    Judgement {
        verdicts,
        stages,
        capacity,
    }
}

fn stage_window(metrics: &RunMetrics, index: usize) -> Window<'_> {
    let stage = &metrics.stages[index];
    let (start, end) = (stage.start_secs, stage.start_secs + stage.duration_secs);
    let peak_ws = metrics
        .series
        .iter()
        .filter(|s| (s.second as f64) >= start.floor() && (s.second as f64) < end.ceil())
        .map(|s| s.ws_open)
        .max()
        .unwrap_or(0);
    Window {
        steps: &stage.steps,
        seconds: stage.duration_secs,
        peak_ws,
        stage: Some(index),
    }
}

/// Stages with users ramping to zero say nothing about capacity.
fn capacity(stages: &[StageVerdicts]) -> Capacity {
    let loaded: Vec<&StageVerdicts> = stages.iter().filter(|s| s.users > 0).collect();
    let first_failing = loaded.iter().position(|s| !s.passed);
    let last_passing = match first_failing {
        Some(0) => None,
        Some(i) => Some(loaded[i - 1]),
        None => loaded.last().copied(),
    };
    let reference = |s: &StageVerdicts| StageRef {
        stage: s.stage,
        name: s.name.clone(),
        users: s.users,
        requests_per_sec: s.requests_per_sec,
    };
    let failing = first_failing.map(|i| loaded[i]);
    Capacity {
        last_passing: last_passing.map(reference),
        first_failing: failing.map(reference),
        broken_rules: failing
            .map(|s| {
                s.verdicts
                    .iter()
                    .filter(|v| !v.passed)
                    .map(|v| v.rule.clone())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn scope_steps<'a>(scope: &Scope, steps: &'a BTreeMap<String, StepMetrics>) -> Vec<&'a String> {
    steps
        .iter()
        .filter(|(name, step)| in_scope(scope, name, step))
        .map(|(name, _)| name)
        .collect()
}

fn in_scope(scope: &Scope, name: &str, step: &StepMetrics) -> bool {
    match scope {
        Scope::All => true,
        Scope::Http => !step.kind.is_websocket(),
        Scope::Ws => step.kind.is_websocket(),
        Scope::Steps(names) => names.iter().any(|n| n == name),
    }
}

fn scope_label(scope: &Scope) -> String {
    match scope {
        Scope::All => "all steps".into(),
        Scope::Http => "all HTTP steps".into(),
        Scope::Ws => "all WebSocket measures".into(),
        Scope::Steps(names) => names.join(", "),
    }
}

fn unjudged(budget: &Budget, stage: Option<usize>, reason: String) -> Verdict {
    base(budget, stage, Vec::new(), None, false, Some(reason))
}

fn base(
    budget: &Budget,
    stage: Option<usize>,
    steps: Vec<String>,
    measured: Option<f64>,
    passed: bool,
    reason: Option<String>,
) -> Verdict {
    let rule: &Rule = &budget.rule;
    Verdict {
        rule: budget.text.clone(),
        source: budget.source.clone(),
        measure: rule.measure.to_string(),
        comparison: rule.comparison.symbol().to_string(),
        limit: rule.limit,
        measured,
        unit: rule.measure.unit(),
        steps,
        scope: scope_label(&rule.scope),
        stage,
        passed,
        reason,
    }
}

fn verdict(budget: &Budget, window: &Window) -> Verdict {
    let rule = &budget.rule;
    let steps: Vec<String> = match rule.measure {
        Measure::WsConnections => Vec::new(),
        _ => scope_steps(&rule.scope, window.steps)
            .into_iter()
            .cloned()
            .collect(),
    };
    let measured = measure(rule, window);
    match measured {
        Ok(value) => {
            let passed = rule.comparison.holds(value, rule.limit);
            base(budget, window.stage, steps, Some(value), passed, None)
        }
        Err(reason) => base(budget, window.stage, steps, None, false, Some(reason)),
    }
}

/// The measured value, or why there is none.
fn measure(rule: &Rule, window: &Window) -> Result<f64, String> {
    if rule.measure == Measure::WsConnections {
        return Ok(window.peak_ws as f64);
    }
    let merged = merge_where(window.steps, |name, step| in_scope(&rule.scope, name, step));
    let never_ran = || match &rule.scope {
        Scope::Steps(names) => format!("no samples: {} never ran", names.join(", ")),
        other => format!("no samples: no step in scope ({}) ran", scope_label(other)),
    };
    let Some(merged) = merged.filter(|m| m.count > 0) else {
        return Err(never_ran());
    };
    let latency = |value: f64| {
        if merged.latency.count() == 0 {
            Err("no latency samples: every attempt failed before it could be timed".to_string())
        } else {
            Ok(value)
        }
    };
    match rule.measure {
        Measure::Percentile(p) => latency(merged.latency.percentile(p) as f64),
        Measure::Mean => latency(merged.latency.mean()),
        Measure::Max => latency(merged.latency.max() as f64),
        Measure::ErrorRate => Ok(merged.error_rate()),
        Measure::Throughput if window.seconds > 0.0 => {
            Ok((merged.count - merged.errors) as f64 / window.seconds)
        }
        Measure::Throughput => Err("the window lasted no time".into()),
        Measure::WsConnections => Ok(window.peak_ws as f64),
    }
}
