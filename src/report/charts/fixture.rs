//! A synthetic but realistic [`RunSummary`] for tests and examples: every report writer
//! can render it without running a load test, and its figures are consistent (the
//! verdicts are computed from the histograms it holds).
//!
//! The run: scenario `chat-fixture`, 30 seconds in 3 stages (warm-up 10 users, steady 50,
//! spike 100), five steps (three HTTP, two WebSocket) whose latency grows with load,
//! errors on `send-message` during the spike. Budgets: `p95 < 200ms for send-message`
//! (fails), `p95 < 400ms for http` (passes), `p99.9 < 2s for http`, `error_rate < 1%`,
//! and a stage-scoped `p95 < 100ms for login` on the warm-up.
//!
//! Not `cfg(test)`, so integration tests, examples and other modules' tests can use it.

use crate::metrics::{
    FailureCount, LatencyHistogram, RunMetrics, SecondSample, StageMetrics, StepKind, StepMetrics,
};
use crate::slo::{Capacity, Judgement, StageRef, StageVerdicts, Unit, Verdict};
use crate::summary::{FlowSetting, RunSettings, RunSummary, ScenarioInfo, StageSetting};
use std::collections::BTreeMap;

/// The fixture's steps: name, kind, typical latency in ms at light load.
const STEPS: [(&str, StepKind, f64); 5] = [
    ("login", StepKind::Http, 38.0),
    ("list-rooms", StepKind::Http, 14.0),
    ("send-message", StepKind::Http, 62.0),
    ("ws-connect", StepKind::WsConnect, 22.0),
    ("ws-receive", StepKind::WsReceive, 7.0),
];

/// The fixture's stages: name, users at the end, seconds, latency factor at the end.
const STAGES: [(&str, usize, u64, f64); 3] = [
    ("warm-up", 10, 10, 1.0),
    ("steady", 50, 10, 1.5),
    ("spike", 100, 10, 2.6),
];

/// Steps each user completes per second at light load; fewer as the server saturates.
const STEPS_PER_USER: f64 = 2.0;

/// The HTTP steps, which `for http` budgets cover.
const HTTP_STEPS: [&str; 3] = ["login", "list-rooms", "send-message"];

/// A small deterministic generator (64-bit LCG), so the fixture is the same every time
/// without a random-number dependency.
struct Lcg(u64);

impl Lcg {
    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A positive multiplier around 1 with a long right tail, like real latencies.
    fn latency_noise(&mut self) -> f64 {
        let bell: f64 = (0..4).map(|_| self.next()).sum::<f64>() - 2.0;
        let tail = if self.next() < 0.01 {
            3.0 + 3.0 * self.next()
        } else {
            1.0
        };
        (bell * 0.55).exp() * tail
    }
}

/// The fixture run described in the module docs.
pub fn sample_summary() -> RunSummary {
    let mut rng = Lcg(0x5eed_c4a7);
    let mut steps: BTreeMap<String, StepMetrics> = STEPS
        .iter()
        .map(|(name, kind, _)| (name.to_string(), StepMetrics::new(*kind)))
        .collect();
    let mut stages = Vec::new();
    let mut series = Vec::new();
    let mut second = 0u64;
    let (mut users_before, mut factor_before) = (0usize, 1.0f64);
    for (index, (_, users, duration, factor)) in STAGES.iter().enumerate() {
        let mut stage = StageMetrics {
            index,
            users: *users,
            start_secs: second as f64,
            duration_secs: *duration as f64,
            steps: BTreeMap::new(),
        };
        for tick in 0..*duration {
            let progress = (tick + 1) as f64 / *duration as f64;
            let active = users_before as f64 + (*users as f64 - users_before as f64) * progress;
            let load = factor_before + (factor - factor_before) * progress;
            let mut sample = SecondSample::new(second);
            sample.users = active.round() as u64;
            sample.ws_open = (active * 0.6).round() as u64;
            let pace = STEPS_PER_USER / load.sqrt();
            for n in 0..(active * pace).round() as u64 {
                let (name, kind, base) = STEPS[(n as usize * 7 + second as usize) % STEPS.len()];
                let micros = (base * load * rng.latency_noise() * 1_000.0) as u64;
                let failed = name == "send-message" && index == 2 && rng.next() < 0.12;
                for metrics in [
                    steps.get_mut(name),
                    Some(
                        stage
                            .steps
                            .entry(name.to_string())
                            .or_insert_with(|| StepMetrics::new(kind)),
                    ),
                ]
                .into_iter()
                .flatten()
                {
                    metrics.count += 1;
                    metrics.latency.record(micros);
                    if kind == StepKind::WsReceive {
                        metrics.frames += 1;
                    }
                    if failed {
                        metrics.errors += 1;
                        metrics
                            .failures
                            .entry("http 503".to_string())
                            .and_modify(|f| f.count += 1)
                            .or_insert_with(|| FailureCount {
                                count: 1,
                                example: "503 Service Unavailable: upstream overloaded".into(),
                            });
                    }
                }
                sample.requests += 1;
                sample.errors += u64::from(failed);
                sample.latency.record(micros);
            }
            series.push(sample);
            second += 1;
        }
        stages.push(stage);
        users_before = *users;
        factor_before = *factor;
    }
    let metrics = RunMetrics {
        duration_secs: second as f64,
        steps,
        stages,
        series,
        peak_ws_connections: 60,
        peak_users: 100,
    };
    let judgement = judge(&metrics);
    RunSummary {
        schema_version: crate::summary::SCHEMA_VERSION,
        tool: format!("loadgate {}", env!("CARGO_PKG_VERSION")),
        scenario: ScenarioInfo {
            name: "chat-fixture".to_string(),
            description: Some("Synthetic run for tests and examples".to_string()),
            file: "scenarios/chat-fixture.yaml".to_string(),
        },
        settings: RunSettings {
            target: "http://127.0.0.1:8080".to_string(),
            embedded_target: true,
            time_scale: 1.0,
            stages: STAGES
                .iter()
                .map(|(name, users, duration, _)| StageSetting {
                    name: Some(name.to_string()),
                    users: *users,
                    duration_secs: *duration,
                })
                .collect(),
            flows: vec![
                FlowSetting {
                    name: "chatter".to_string(),
                    weight: 3,
                },
                FlowSetting {
                    name: "lurker".to_string(),
                    weight: 1,
                },
            ],
            started_at: "2025-01-01T12:00:00Z".to_string(),
            finished_at: "2025-01-01T12:00:30Z".to_string(),
        },
        interrupted: false,
        step_order: STEPS.iter().map(|(name, _, _)| name.to_string()).collect(),
        metrics,
        judgement,
        comparison: None,
    }
}

/// A run that measured nothing: no steps, no stages, no seconds, no budgets.
pub fn empty_summary() -> RunSummary {
    let mut summary = sample_summary();
    summary.step_order.clear();
    summary.settings.stages.clear();
    summary.settings.flows.clear();
    summary.metrics = RunMetrics::default();
    summary.judgement = Judgement::default();
    summary
}

/// A latency budget `measure < limit_ms` over `names`, judged on `steps`.
fn latency_verdict(
    steps: &BTreeMap<String, StepMetrics>,
    measure: &str,
    percentile: f64,
    limit_ms: f64,
    names: &[&str],
    scope: &str,
    stage: Option<usize>,
) -> Verdict {
    let mut merged = LatencyHistogram::default();
    for name in names {
        if let Some(step) = steps.get(*name) {
            merged.merge(&step.latency);
        }
    }
    let measured = (merged.count() > 0).then(|| merged.percentile(percentile) as f64);
    let limit = limit_ms * 1_000.0;
    let rule_limit = if limit_ms >= 1_000.0 {
        format!("{}s", limit_ms / 1_000.0)
    } else {
        format!("{limit_ms}ms")
    };
    let rule = format!("{measure} < {rule_limit} for {scope}");
    Verdict {
        rule,
        source: Some("SLO doc §2.1".to_string()),
        measure: measure.to_string(),
        comparison: "<".to_string(),
        limit,
        measured,
        unit: Unit::Micros,
        steps: names.iter().map(|n| n.to_string()).collect(),
        scope: if scope == "http" {
            "all HTTP steps".to_string()
        } else {
            scope.to_string()
        },
        stage,
        passed: measured.is_some_and(|m| m < limit),
        reason: None,
    }
}

/// The error-rate budget over every step.
fn error_verdict(steps: &BTreeMap<String, StepMetrics>, stage: Option<usize>) -> Verdict {
    let count: u64 = steps.values().map(|s| s.count).sum();
    let errors: u64 = steps.values().map(|s| s.errors).sum();
    let measured = (count > 0).then(|| errors as f64 / count as f64);
    Verdict {
        rule: "error_rate < 1%".to_string(),
        source: None,
        measure: "error_rate".to_string(),
        comparison: "<".to_string(),
        limit: 0.01,
        measured,
        unit: Unit::Fraction,
        steps: steps.keys().cloned().collect(),
        scope: "all steps".to_string(),
        stage,
        passed: measured.is_some_and(|m| m < 0.01),
        reason: None,
    }
}

/// The fixture's budgets, judged on the whole run and on each stage.
fn judge(metrics: &RunMetrics) -> Judgement {
    let whole = |steps: &BTreeMap<String, StepMetrics>, stage: Option<usize>| {
        vec![
            latency_verdict(
                steps,
                "p95",
                95.0,
                200.0,
                &["send-message"],
                "send-message",
                stage,
            ),
            latency_verdict(steps, "p95", 95.0, 400.0, &HTTP_STEPS, "http", stage),
            latency_verdict(steps, "p99.9", 99.9, 2_000.0, &HTTP_STEPS, "http", stage),
            error_verdict(steps, stage),
        ]
    };
    let mut verdicts = whole(&metrics.steps, None);
    let warm_up = &metrics.stages[0].steps;
    let mut login_warm_up =
        latency_verdict(warm_up, "p95", 95.0, 100.0, &["login"], "login", Some(0));
    login_warm_up.rule = "p95 < 100ms for login during warm-up".to_string();
    verdicts.push(login_warm_up);
    let stages: Vec<StageVerdicts> = metrics
        .stages
        .iter()
        .map(|stage| {
            let verdicts = whole(&stage.steps, Some(stage.index));
            let count: u64 = stage.steps.values().map(|s| s.count).sum();
            StageVerdicts {
                stage: stage.index,
                name: Some(STAGES[stage.index].0.to_string()),
                users: stage.users,
                requests_per_sec: count as f64 / stage.duration_secs,
                passed: verdicts.iter().all(|v| v.passed),
                verdicts,
            }
        })
        .collect();
    let stage_ref = |s: &StageVerdicts| StageRef {
        stage: s.stage,
        name: s.name.clone(),
        users: s.users,
        requests_per_sec: s.requests_per_sec,
    };
    let first_failing = stages.iter().position(|s| !s.passed);
    let capacity = Capacity {
        last_passing: match first_failing {
            Some(0) => None,
            Some(i) => Some(stage_ref(&stages[i - 1])),
            None => stages.last().map(stage_ref),
        },
        first_failing: first_failing.map(|i| stage_ref(&stages[i])),
        broken_rules: first_failing
            .map(|i| {
                stages[i]
                    .verdicts
                    .iter()
                    .filter(|v| !v.passed)
                    .map(|v| v.rule.clone())
                    .collect()
            })
            .unwrap_or_default(),
    };
    Judgement {
        verdicts,
        stages,
        capacity: Some(capacity),
    }
}
